package ratelimit

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want time.Duration
	}{{0, time.Second}, {1, 2 * time.Second}, {5, 32 * time.Second}, {8, 256 * time.Second}, {9, backoffCap}, {1000, backoffCap}}
	for _, tt := range tests {
		if got := delay(tt.n); got != tt.want {
			t.Errorf("delay(%d) = %s; want %s", tt.n, got, tt.want)
		}
	}
}
