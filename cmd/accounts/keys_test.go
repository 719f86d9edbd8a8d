package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/server/auth"
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
