package main

import (
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

type mapEnv map[string]string

func (m mapEnv) Getenv(k string) string { return m[k] }
func (m mapEnv) Environ() []string      { return nil }

// TestSetMemoryLimit: 90% of a cgroup v2 or v1 limit, nothing for "max", v1's
// unlimited value, no cgroup, or a GOMEMLIMIT of the operator's.
func TestSetMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1)) // put back whatever was set
	tests := []struct {
		name  string
		files map[string]string
		env   mapEnv
		want  int64
	}{
		{"V2", map[string]string{"memory.max": "268435456\n"}, nil, 241591910},
		{"V1", map[string]string{"memory/memory.limit_in_bytes": "134217728\n"}, nil, 120795955},
		{"V2Unlimited", map[string]string{"memory.max": "max\n"}, nil, 0},
		{"V1Unlimited", map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n"}, nil, 0},
		{"NoCgroup", nil, nil, 0},
		{"GOMEMLIMITWins", map[string]string{"memory.max": "268435456\n"}, mapEnv{"GOMEMLIMIT": "100MiB"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			root := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := setMemoryLimit(tt.env, root, slog.New(slog.NewTextHandler(io.Discard, nil)))
			runtime := debug.SetMemoryLimit(-1)
			if got != tt.want || (tt.want != 0 && runtime != tt.want) || (tt.want == 0 && runtime != math.MaxInt64) {
				t.Fatalf("set %d, runtime limit %d; want %d", got, runtime, tt.want)
			}
		})
	}
}
