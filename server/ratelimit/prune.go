package ratelimit

import "context"

// Pruner deletes the rows of full buckets and of runs of failures that
// stopped long ago. Every replica may run it: the batches skip rows another
// one has locked. Either part may be nil.
type Pruner struct {
	Shared  *Shared
	Backoff *Backoff
}

// Prune deletes what is spent now and returns how many rows.
func (p Pruner) Prune(ctx context.Context) (int64, error) {
	var buckets, runs int64
	var err error
	if p.Shared != nil {
		if buckets, err = p.Shared.Prune(ctx); err != nil {
			return buckets, err
		}
	}
	if p.Backoff != nil {
		runs, err = p.Backoff.Prune(ctx)
	}
	return buckets + runs, err
}
