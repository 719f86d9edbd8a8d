package wiring

import (
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/auth"
)

// TestHashSlotsQueue checks the hashing queue that a configuration gets: 8
// waiters a slot times the share by default, and an explicit bound as given.
func TestHashSlotsQueue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want auth.Queue
	}{
		{"DefaultShare", Config{HashConcurrency: 2}, auth.Queue{Max: 10, Wait: time.Second}},
		{"NoRest", Config{HashConcurrency: 2, HashSharePercent: 100}, auth.Queue{Max: 16, Wait: time.Second}},
		{"HalfShare", Config{HashConcurrency: 1, HashSharePercent: 50}, auth.Queue{Max: 4, Wait: time.Second}},
		{"Explicit", Config{HashConcurrency: 1, HashQueue: auth.Queue{Max: 3, Wait: time.Minute}}, auth.Queue{Max: 3, Wait: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.cfg.HashSlots().Queue(); got != tt.want {
				t.Errorf("queue %+v; want %+v", got, tt.want)
			}
		})
	}
}
