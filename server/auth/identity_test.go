package auth

import (
	"strings"
	"testing"
)

func TestNormalizeEmail_Accepts(t *testing.T) {
	t.Parallel()
	local64 := strings.Repeat("a", 64)
	// 64 + 1 + 189 = 254 bytes: labels of 63, 63, 58 and "io".
	domain189 := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".io"
	tests := []struct{ name, in, want string }{
		{"Plain", "bob@example.com", "bob@example.com"},
		{"KeepsCase", "Bob.Smith@Example.COM", "Bob.Smith@Example.COM"},
		{"TrimsSpaces", "  bob@example.com\t\n", "bob@example.com"},
		{"TrimsUnicodeSpace", "\u00a0bob@example.com\u3000", "bob@example.com"},
		{"PlusAddressing", "bob+news@example.com", "bob+news@example.com"},
		{"InnerDots", "b.o.b@example.com", "b.o.b@example.com"},
		{"Atext", "a!#$%&'*+/=?^_`{|}~-z@x.io", "a!#$%&'*+/=?^_`{|}~-z@x.io"},
		{"Subdomains", "bob@mail.eu.example.co.uk", "bob@mail.eu.example.co.uk"},
		{"HyphenInLabel", "bob@my-host.example.com", "bob@my-host.example.com"},
		{"DigitsInDomain", "bob@123.example.com", "bob@123.example.com"},
		{"IDNDomain", "bob@bücher.de", "bob@bücher.de"},
		{"IDNLocal", "josé@exämple.com", "josé@exämple.com"},
		{"CJK", "用户@例子.广告", "用户@例子.广告"},
		{"Cyrillic", "иван@пример.рф", "иван@пример.рф"},
		{"Local64", local64 + "@x.io", local64 + "@x.io"},
		{"Total254", local64 + "@" + domain189, local64 + "@" + domain189},
		{"Shortest", "a@b.c", "a@b.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeEmail(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNormalizeEmail_Rejects(t *testing.T) {
	t.Parallel()
	local64 := strings.Repeat("a", 64)
	domain190 := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 59) + ".io"
	tests := []struct{ name, in string }{
		{"Empty", ""},
		{"OnlySpaces", "   "},
		{"DisplayName", "Bob <bob@x.com>"},
		{"AngleBrackets", "<bob@x.com>"},
		{"Comment", "bob(comment)@x.com"},
		{"NoAt", "bob.example.com"},
		{"TwoAts", "bob@x@example.com"},
		{"FullwidthAt", "bob＠example.com"},
		{"EmptyLocal", "@example.com"},
		{"EmptyDomain", "bob@"},
		{"NoDotInDomain", "bob@localhost"},
		{"LeadingDotLocal", ".bob@x.com"},
		{"TrailingDotLocal", "bob.@x.com"},
		{"DoubleDotLocal", "b..ob@x.com"},
		{"SpaceInLocal", "bo b@x.com"},
		{"SpaceInDomain", "bob@exa mple.com"},
		{"SpaceAroundAt", "bob @x.com"},
		{"NBSPInside", "bo\u00a0b@x.com"},
		{"TabInside", "bo\tb@x.com"},
		{"NewlineInside", "bob@x.com\nBcc: eve@x.com"},
		{"NUL", "bob\x00@x.com"},
		{"DEL", "bob\x7f@x.com"},
		{"C1Control", "bob\u0085x@x.com"},
		{"ZeroWidthSpace", "bo\u200bb@x.com"},
		{"BiDiOverride", "bob\u202e@x.com"},
		{"QuotedLocal", `"bob"@x.com`},
		{"QuotedLocalWithSpace", `"bob smith"@x.com`},
		{"Backslash", `bo\b@x.com`},
		{"Comma", "bob,eve@x.com"},
		{"Semicolon", "bob;eve@x.com"},
		{"IPLiteral", "bob@[127.0.0.1]"},
		{"LabelLeadingHyphen", "bob@-x.com"},
		{"LabelTrailingHyphen", "bob@x-.com"},
		{"TLDTrailingHyphen", "bob@x.com-"},
		{"LeadingDotDomain", "bob@.x.com"},
		{"TrailingDotDomain", "bob@x.com."},
		{"DoubleDotDomain", "bob@x..com"},
		{"UnderscoreInDomain", "bob@my_host.com"},
		{"Label64", "bob@" + strings.Repeat("x", 64) + ".com"},
		{"Local65", local64 + "a@x.io"},
		{"Total255", local64 + "@" + domain190},
		{"InvalidUTF8", "bob\xff@x.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeEmail(tt.in)
			if err == nil {
				t.Fatalf("NormalizeEmail(%q) = %q, nil; want an error", tt.in, got)
			}
			if got != "" || err.Error() == "" {
				t.Errorf("NormalizeEmail(%q) = %q, %q; want \"\" and a message", tt.in, got, err)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"Plain", "Alice", "Alice", true},
		{"Trims", "  Alice Liddell \t\n", "Alice Liddell", true},
		{"InnerSpaces", "Mary  Jane", "Mary  Jane", true},
		{"OneChar", "A", "A", true},
		{"Unicode", "José Müller-Łukasz", "José Müller-Łukasz", true},
		{"CJK", "山田太郎", "山田太郎", true},
		{"Emoji", "Bob 😀", "Bob 😀", true},
		{"CombiningMark", "Jose\u0301", "Jose\u0301", true},
		{"Apostrophe", "O'Brien", "O'Brien", true},
		{"Ascii100", strings.Repeat("a", 100), strings.Repeat("a", 100), true},
		{"Astral100", strings.Repeat("😀", 100), strings.Repeat("😀", 100), true},
		{"Trimmed100", "  " + strings.Repeat("a", 100) + "  ", strings.Repeat("a", 100), true},

		{"Empty", "", "", false},
		{"OnlySpaces", " \t\n ", "", false},
		{"Ascii101", strings.Repeat("a", 101), "", false},
		{"Astral101", strings.Repeat("😀", 101), "", false},
		{"Newline", "Alice\nBob", "", false},
		{"CarriageReturn", "Alice\rBob", "", false},
		{"Tab", "Alice\tBob", "", false},
		{"NUL", "Alice\x00", "", false},
		{"Escape", "Alice\x1b[31m", "", false},
		{"DEL", "Alice\x7f", "", false},
		{"C1Control", "Alice\u0085Bob", "", false},
		{"ZeroWidthSpace", "Ali\u200bce", "", false},
		{"ZeroWidthJoiner", "Ali\u200dce", "", false},
		{"BiDiOverride", "Alice\u202etxt.exe", "", false},
		{"ByteOrderMark", "\ufeffAlice", "", false},
		{"LineSeparator", "Alice\u2028Bob", "", false},
		{"ParagraphSeparator", "Alice\u2029Bob", "", false},
		// Postgres refuses invalid UTF-8 in text columns.
		{"InvalidUTF8", "Alice\xff", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CheckName(tt.in)
			switch {
			case tt.ok && (err != nil || got != tt.want):
				t.Errorf("CheckName(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
			case !tt.ok && (err == nil || got != ""):
				t.Errorf("CheckName(%q) = %q, %v; want \"\" and an error", tt.in, got, err)
			}
		})
	}
}

func TestEmailKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b string }{
		{"jos\u00e9@example.com", "jose\u0301@example.com"},
		{"JOS\u00c9@Example.COM", "jos\u00e9@example.com"},
		{"stra\u00dfe@example.com", "STRASSE@example.com"},
		{"\u03a3\u039f\u03a6\u038a\u0391@example.com", "\u03c3\u03bf\u03c6\u03af\u03b1@example.com"},
	}
	for _, tt := range tests {
		a, err1 := NormalizeEmail(tt.a)
		b, err2 := NormalizeEmail(tt.b)
		if err1 != nil || err2 != nil || EmailKey(a) != EmailKey(b) {
			t.Errorf("EmailKey(%q) = %q, EmailKey(%q) = %q (%v, %v); want one key", tt.a, EmailKey(a), tt.b, EmailKey(b), err1, err2)
		}
	}
	if got, _ := NormalizeEmail(" Jose\u0301@Example.com "); got != "Jos\u00e9@Example.com" {
		t.Errorf("NormalizeEmail keeps case and composes: got %q", got)
	}
	if EmailKey("ada@example.com") == EmailKey("ada2@example.com") {
		t.Error("two addresses share a key")
	}
}

func TestHeaderText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"cut here", 3, "cut"},
		{"añb", 2, "a"}, // ñ is two bytes: not split
		{"日本", 4, "日"},
		{"日本", 2, ""},
		{"a\xffb", 10, "a\uFFFDb"},
		{"a\x00b", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		if got := HeaderText(tt.in, tt.n); got != tt.want {
			t.Errorf("HeaderText(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
