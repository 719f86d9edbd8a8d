package auth

import (
	"errors"
	"strings"
	"testing"
)

// Reason fragments, one per rule of the policy.
const (
	tooShort  = "at least 8"
	tooLong   = "at most 128"
	localPart = "email"
	common    = "most commonly used" // not just "common": the guessable reason says "uncommon"
	guessable = "easy to guess"
	notLength = "" // accepted, or refused for a reason other than length
)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	strong128 := strings.Repeat("vK9#mQ2$", 16)
	emoji128 := strings.Repeat("😀🐙🦊🌵🎸🧊🚲🪁", 16)
	tests := []struct {
		name, password, email, display string
		ok                             bool   // the password is accepted
		reason                         string // else a fragment of the Reason, or notLength
	}{
		{"ASCII7_TooShort", "vK9#mQ2", "a@x.io", "", false, tooShort},
		{"ASCII8_OK", "vK9#mQ2$", "a@x.io", "", true, ""},
		{"Empty_TooShort", "", "a@x.io", "", false, tooShort},
		{"Emoji7_TooShort", "😀🐙🦊🌵🎸🧊🚲", "a@x.io", "", false, tooShort},
		{"Emoji8_OK", "😀🐙🦊🌵🎸🧊🚲🪁", "a@x.io", "", true, ""},
		{"SameEmoji8_LongEnough", "😀😀😀😀😀😀😀😀", "a@x.io", "", false, notLength},
		{"Chars128_OK", strong128, "a@x.io", "", true, ""},
		{"Chars129_TooLong", strong128 + "x", "a@x.io", "", false, tooLong},
		{"Emoji128_OK", emoji128, "a@x.io", "", true, ""},
		{"Emoji129_TooLong", emoji128 + "😀", "a@x.io", "", false, tooLong},

		{"ContainsLocal", "xxalice-7f#Qz!", "alice@example.com", "", false, localPart},
		{"ContainsLocalOtherCase", "xXaLiCe-7f#Qz!", "Alice@example.com", "", false, localPart},
		{"ContainsLocal3Chars", "ABC-vK9#mQ2$vLp7!", "abc@x.io", "", false, localPart},
		{"ContainsLocalNonASCII", "JOSÉ-vK9#mQ2$vLp7!", "josé@x.io", "", false, localPart},
		{"Local2Chars_NotChecked", "ab-vK9#mQ2$vLp7!", "ab@x.io", "", true, ""},
		{"Local2CodePoints4Bytes_NotChecked", "éé-vK9#mQ2$vLp7!", "éé@x.io", "", true, ""},

		{"Common_password", "password", "a@x.io", "", false, common},
		{"Common_123456789", "123456789", "a@x.io", "", false, common},
		{"Common_qwertyuiop", "qwertyuiop", "a@x.io", "", false, common},
		{"Guessable_Summer2024", "Summer2024!", "a@x.io", "", false, guessable},
		{"Guessable_longenough", "longenough", "a@x.io", "", false, guessable},
		{"Guessable_FromName", "wonderland1", "bob@x.io", "Alice Wonderland", false, guessable},

		{"Strong_Passphrase", "correct horse battery staple", "a@x.io", "", true, ""},
		{"Strong_Tr0ub4dor", "Tr0ub4dor&3-xk", "a@x.io", "", true, ""},
		{"Strong_Random13", "vK9#mQ2$vLp7!", "a@x.io", "", true, ""},
		{"Strong_Random9", "vK9#mQ2$x", "a@x.io", "", true, ""},
		{"Strong_Umlauts", "Grüße-vK9#mQ2$vLp7!", "a@x.io", "", true, ""},
		// trustelem/zxcvbn v1.0.1 alone scores this 0 guesses (byte/rune offsets).
		{"Strong_DoubledNonASCII", "xéé-vK9#mQ2$vLp7!", "a@x.io", "", true, ""},
		{"Strong_Cyrillic", "Пароль-надёжный-очень", "a@x.io", "", true, ""},

		{"SameNonASCII12_Common", "éééééééééééé", "a@x.io", "", false, common},
		// These fold to '\n', which zxcvbn's repeat pattern does not match (see report).
		{"SameNonASCII8_FoldsToNewline", "ÉÉÉÉÉÉÉÉ", "a@x.io", "", false, common},
		{"SameNonASCII10_FoldsToNewline", "ññññññññññ", "a@x.io", "", false, common},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPassword(tt.password, tt.email, tt.display)
			if tt.ok || tt.reason == notLength && err == nil {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v; want nil", tt.password, err)
				}
				return
			}
			var weak *WeakPasswordError
			if !errors.As(err, &weak) {
				t.Fatalf("CheckPassword(%q) = %v (%T); want *WeakPasswordError", tt.password, err, err)
			}
			if weak.Reason == "" || weak.Error() != "weak password: "+weak.Reason {
				t.Errorf("Reason %q, Error() %q; want a non-empty reason in the message", weak.Reason, weak.Error())
			}
			switch tt.reason {
			case notLength:
				if strings.Contains(weak.Reason, tooShort) || strings.Contains(weak.Reason, tooLong) {
					t.Errorf("Reason %q is about length; %q is within the limits", weak.Reason, tt.password)
				}
			default:
				if !strings.Contains(weak.Reason, tt.reason) {
					t.Errorf("Reason %q; want one about %q", weak.Reason, tt.reason)
				}
			}
		})
	}
}
