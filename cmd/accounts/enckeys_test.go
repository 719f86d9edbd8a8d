package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadEncryptionKeys: the encryption keys come from a file or inline;
// without them development mode gets an ephemeral set and a warning, and
// production gets nil for the caller to judge. No error shows key material.
func TestLoadEncryptionKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file, signing := filepath.Join(dir, "enc.json"), filepath.Join(dir, "signing.json")
	for _, args := range [][]string{{"--kind", "encryption", "--out", file}, {"--out", signing}} {
		if code, _, stderr := runCmd(t, context.Background(), nil, append([]string{"keys", "generate"}, args...)...); code != 0 {
			t.Fatal(stderr)
		}
	}
	inline, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	worldReadable := filepath.Join(dir, "open.json")
	if err := os.WriteFile(worldReadable, inline, 0o644); err != nil {
		t.Fatal(err)
	}
	material := keyMaterial(t, inline)
	broken := strings.Replace(string(inline), `"kty"`, `"ktx"`, 1)
	tests := []struct {
		name    string
		value   string
		devMode bool
		signing bool // signing keys are configured
		wantSet bool
		wantErr bool
		warn    string // a word the log must have, or "" for no log line at all
	}{
		{"File", file, false, true, true, false, ""},
		{"Inline", string(inline), false, true, true, false, ""},
		{"InlineDevMode", string(inline), true, false, true, false, ""},
		{"WorldReadableFile", worldReadable, false, true, true, false, "readable"},
		{"BrokenInline", broken, false, true, false, true, ""},
		{"MissingFile", filepath.Join(dir, "nope.json"), false, true, false, true, ""},
		{"SigningKeyFile", signing, false, true, false, true, ""},
		{"Unset_Production", "", false, true, false, false, ""},
		{"Unset_DevMode", "", true, false, true, false, "restart"},
		// Development mode on a deployment's own signing keys: no ephemeral key,
		// whose factors the next restart would lose.
		{"Unset_DevModeWithSigningKeys", "", true, true, false, false, "stay off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			ks, err := loadEncryptionKeys(tt.value, tt.devMode, tt.signing, newLogger(&logs, slog.LevelInfo))
			if (err != nil) != tt.wantErr || (ks != nil) != tt.wantSet {
				t.Fatalf("loadEncryptionKeys = %v, %v; want a set %v, an error %v", ks, err, tt.wantSet, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "ACCOUNTS_ENCRYPTION_KEYS") || strings.Contains(err.Error(), "ktx") || strings.Contains(err.Error(), material) {
					t.Fatalf("the error shows key material or names nothing: %v", err)
				}
				return
			}
			switch {
			case tt.warn == "" && logs.Len() != 0:
				t.Fatalf("unexpected log: %s", logs.String())
			case tt.warn != "" && (!strings.Contains(logs.String(), tt.warn) || !strings.Contains(logs.String(), "ACCOUNTS_ENCRYPTION_KEYS")):
				t.Fatalf("log %q; want a warning naming ACCOUNTS_ENCRYPTION_KEYS and saying %q", logs.String(), tt.warn)
			}
			if ks == nil {
				return
			}
			sealed, err := ks.Seal([]byte("seed"), []byte("user"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ks.Open(sealed, []byte("user")); err != nil || string(got) != "seed" {
				t.Fatalf("the loaded set does not round-trip: %q, %v", got, err)
			}
		})
	}
}

// keyMaterial is the "k" member of the first key in a JWK set file.
func keyMaterial(t *testing.T, set []byte) string {
	t.Helper()
	_, after, ok := strings.Cut(string(set), `"k": "`)
	k, _, ok2 := strings.Cut(after, `"`)
	if !ok || !ok2 || len(k) < 40 {
		t.Fatalf("no key material found in %d bytes", len(set))
	}
	return k
}
