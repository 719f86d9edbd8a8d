package ratelimit

import (
	"context"
	"log/slog"
	"time"
)

// Pruner deletes, every interval, the rows of full buckets and of runs of
// failures that stopped long ago. Every replica may run it: the batches skip
// rows another one has locked. Either part may be nil.
type Pruner struct {
	Shared  *Shared
	Backoff *Backoff
	Log     *slog.Logger
}

// Run prunes every interval until ctx ends.
func (p Pruner) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.prune(ctx)
	}
}

func (p Pruner) prune(ctx context.Context) {
	var buckets, runs int64
	var err error
	if p.Shared != nil {
		buckets, err = p.Shared.Prune(ctx)
	}
	if err == nil {
		runs, err = p.Backoff.Prune(ctx)
	}
	if err != nil && ctx.Err() == nil {
		p.Log.Warn("pruning rate limits failed", slog.Any("error", err))
	}
	if buckets+runs > 0 {
		p.Log.Debug("pruned rate limits", slog.Int64("buckets", buckets), slog.Int64("failure_runs", runs))
	}
}
