package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/secrets"
)

func TestKeysGenerate(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "keys.json")
	ctx := context.Background()
	if code, stdout, stderr := runCmd(t, ctx, nil, "keys", "generate", "--out", out); code != 0 || !strings.Contains(stdout, "1 key(s)") {
		t.Fatalf("first key: exit %d %s%s", code, stdout, stderr)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	first := mustKeySet(t, out)
	if code, _, stderr := runCmd(t, ctx, nil, "keys", "generate", "--out", out); code != 2 || !strings.Contains(stderr, "--add") {
		t.Fatalf("overwriting without --add: exit %d %s", code, stderr)
	}
	if code, stdout, stderr := runCmd(t, ctx, nil, "keys", "generate", "--out", out, "--add"); code != 0 || !strings.Contains(stdout, "2 key(s)") {
		t.Fatalf("rotation: exit %d %s%s", code, stdout, stderr)
	}
	rotated := mustKeySet(t, out)
	if rotated.SigningKeyID() == first.SigningKeyID() {
		t.Fatal("after --add the old key still signs")
	}
	var pub struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rotated.PublicJSON(), &pub); err != nil || len(pub.Keys) != 2 || pub.Keys[1]["kid"] != first.SigningKeyID() {
		t.Fatalf("rotated public set %s: want the new key, then the old one", rotated.PublicJSON())
	}
}

// TestKeysGenerateEncryption: --kind encryption writes a key set of its own,
// and --add rotates a new key in first while secrets sealed under the old one
// still open.
func TestKeysGenerateEncryption(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "enc.json")
	ctx := context.Background()
	if code, stdout, stderr := runCmd(t, ctx, nil, "keys", "generate", "--kind", "encryption", "--out", out); code != 0 || !strings.Contains(stdout, "new encryption key") || !strings.Contains(stdout, "1 key(s)") {
		t.Fatalf("first key: exit %d %s%s", code, stdout, stderr)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	first := mustEncryptionKeySet(t, out)
	sealed, err := first.Seal([]byte("totp seed"), []byte("user-1"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, ctx, nil, "keys", "generate", "--kind", "encryption", "--out", out); code != 2 || !strings.Contains(stderr, "--add") {
		t.Fatalf("overwriting without --add: exit %d %s", code, stderr)
	}
	if code, stdout, stderr := runCmd(t, ctx, nil, "keys", "generate", "--kind", "encryption", "--out", out, "--add"); code != 0 || !strings.Contains(stdout, "2 key(s)") {
		t.Fatalf("rotation: exit %d %s%s", code, stdout, stderr)
	}
	rotated := mustEncryptionKeySet(t, out)
	if kids := rotated.KeyIDs(); len(kids) != 2 || kids[0] == first.PrimaryKeyID() || kids[1] != first.PrimaryKeyID() {
		t.Fatalf("rotated kids %q: want a new key, then the old one %q", kids, first.PrimaryKeyID())
	}
	if got, err := rotated.Open(sealed, []byte("user-1")); err != nil || string(got) != "totp seed" {
		t.Fatalf("after --add the old secret opens as %q, %v; want the plaintext", got, err)
	}
}

func mustEncryptionKeySet(t *testing.T, path string) *secrets.KeySet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := secrets.ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestKeysGenerateKindMismatch: --add never mixes signing and encryption keys
// in one file, and leaves the file as it was.
func TestKeysGenerateKindMismatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	signing, encryption := filepath.Join(dir, "signing.json"), filepath.Join(dir, "enc.json")
	if code, _, stderr := runCmd(t, ctx, nil, "keys", "generate", "--out", signing); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := runCmd(t, ctx, nil, "keys", "generate", "--kind", "encryption", "--out", encryption); code != 0 {
		t.Fatal(stderr)
	}
	tests := []struct {
		name string
		args []string
		file string
		want string
	}{
		{"SigningFileAsEncryption", []string{"--kind", "encryption", "--out", signing, "--add"}, signing, "--kind signing"},
		{"EncryptionFileAsSigning", []string{"--out", encryption, "--add"}, encryption, "--kind encryption"},
		{"EncryptionFileAsExplicitSigning", []string{"--kind", "signing", "--out", encryption, "--add"}, encryption, "--kind encryption"},
		{"UnknownKind", []string{"--kind", "hmac", "--out", filepath.Join(dir, "new.json")}, "", "signing or encryption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var before []byte
			if tt.file != "" {
				before, _ = os.ReadFile(tt.file)
			}
			code, stdout, stderr := runCmd(t, ctx, nil, append([]string{"keys", "generate"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d %s%s; want a usage error saying %q", code, stdout, stderr, tt.want)
			}
			if strings.Contains(stderr, `"d"`) || strings.Contains(stderr, `"k"`) {
				t.Fatalf("the error shows key material: %s", stderr)
			}
			if tt.file == "" {
				return
			}
			if after, _ := os.ReadFile(tt.file); string(after) != string(before) {
				t.Fatalf("%s changed", tt.file)
			}
		})
	}
	mustKeySet(t, signing)
	mustEncryptionKeySet(t, encryption)
}

func mustKeySet(t *testing.T, path string) *auth.KeySet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := auth.ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestKeysGenerateTempFile: a stale or planted FILE.tmp (world-readable, or a
// symlink to somewhere else) neither widens the key file's mode nor receives
// the private key.
func TestKeysGenerateTempFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		plant func(t *testing.T, tmp, victim string)
	}{
		{"StaleWorldReadable", func(t *testing.T, tmp, _ string) {
			if err := os.WriteFile(tmp, []byte("stale"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"Symlink", func(t *testing.T, tmp, victim string) {
			if err := os.Symlink(victim, tmp); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, victim := filepath.Join(dir, "keys.json"), filepath.Join(dir, "victim")
			if err := os.WriteFile(victim, []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.plant(t, out+".tmp", victim)
			if code, stdout, stderr := runCmd(t, context.Background(), nil, "keys", "generate", "--out", out); code != 0 {
				t.Fatalf("exit %d %s%s", code, stdout, stderr)
			}
			st, err := os.Lstat(out)
			if err != nil || st.Mode().Perm() != 0o600 || !st.Mode().IsRegular() {
				t.Fatalf("key file %v, %v; want a regular file of mode 0600", st.Mode(), err)
			}
			if b, _ := os.ReadFile(victim); string(b) != "untouched" {
				t.Fatalf("the symlink's target was overwritten: %.40q", b)
			}
			mustKeySet(t, out)
		})
	}
}

// TestLoadKeys: the keys come from a file or inline (a Kubernetes Secret in an
// environment variable), and no error ever shows the key material.
func TestLoadKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.json")
	if code, _, stderr := runCmd(t, context.Background(), nil, "keys", "generate", "--out", file); code != 0 {
		t.Fatal(stderr)
	}
	inline, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	worldReadable := filepath.Join(dir, "open.json")
	if err := os.WriteFile(worldReadable, inline, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(inline), `"kty"`, `"ktx"`, 1)
	tests := []struct {
		name     string
		value    string
		wantErr  bool
		wantWarn bool
	}{
		{"File", file, false, false},
		{"Inline", string(inline), false, false},
		{"WorldReadableFile", worldReadable, false, true},
		{"BrokenInline", broken, true, false},
		{"MissingFile", filepath.Join(dir, "nope.json"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			_, err := loadKeys(config{SigningKeys: tt.value}, newLogger(&logs, slog.LevelInfo))
			if (err != nil) != tt.wantErr {
				t.Fatalf("loadKeys: %v; want error %v", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), `"d"`) || strings.Contains(err.Error(), "ktx") || !strings.Contains(err.Error(), "ACCOUNTS_SIGNING_KEYS")) {
				t.Fatalf("the error shows key material or names nothing: %v", err)
			}
			if warned := strings.Contains(logs.String(), "readable"); warned != tt.wantWarn {
				t.Fatalf("warned %v, want %v: %s", warned, tt.wantWarn, logs.String())
			}
		})
	}
}
