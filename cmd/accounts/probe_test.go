package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"Healthy_0", []string{"probe", srv.URL + "/healthz"}, 0},
		{"NotReady_1", []string{"probe", srv.URL + "/readyz"}, 1},
		{"Unreachable_1", []string{"probe", "-timeout", "500ms", "http://127.0.0.1:1/healthz"}, 1},
		{"NoURL_2", []string{"probe"}, 2},
		{"BadTimeout_2", []string{"probe", "-timeout", "0s", srv.URL}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// No configuration at all: a probe needs none.
			code, _, stderr := runCmd(t, context.Background(), nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if tc.code != 0 && len(strings.Split(strings.TrimSpace(stderr), "\n")) != 1 {
				t.Fatalf("want one line of error, got:\n%s", stderr)
			}
		})
	}
}
