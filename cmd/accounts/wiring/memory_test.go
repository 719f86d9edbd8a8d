package wiring

import (
	"context"
	"testing"

	"github.com/meridianhq/accounts/server/auth"
)

// TestMemoryReleaser: one release after startup, then one after each run of
// hashes once none runs or waits, and none while idle or busy.
func TestMemoryReleaser(t *testing.T) {
	slots := auth.NewCPUSlots(1, auth.Queue{})
	frees := 0
	r := &memoryReleaser{slots: slots, free: func() { frees++ }}
	hash := func() {
		if err := slots.Do(context.Background(), func() error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name  string
		do    func()
		freed bool
	}{
		{"AfterStartup", func() {}, true},
		{"Idle", func() {}, false},
		{"AfterABurst", func() { hash(); hash() }, true},
		{"IdleAgain", func() {}, false},
		{"WhileHashing", func() {
			release := make(chan struct{})
			started := make(chan struct{})
			go func() { _ = slots.Do(context.Background(), func() error { close(started); <-release; return nil }) }()
			<-started
			if r.tick() {
				t.Error("released while a hash runs")
			}
			close(release)
			for slots.Running() > 0 {
			}
		}, true},
	}
	for _, s := range steps {
		before := frees
		s.do()
		if got := r.tick(); got != s.freed || (frees > before) != s.freed {
			t.Fatalf("%s: released %v (%d frees); want %v", s.name, got, frees-before, s.freed)
		}
	}
}
