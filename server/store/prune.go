package store

import "context"

// PruneBatch is how many rows one statement of a pruning deletes: small
// enough that no statement holds its locks or its WAL for long.
const PruneBatch = 1000

// PruneInBatches runs del, which deletes at most batch rows and returns how
// many it deleted, until a run deletes fewer than PruneBatch, and returns the
// total.
func PruneInBatches(ctx context.Context, del func(ctx context.Context, batch int32) (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := del(ctx, PruneBatch)
		total += n
		if err != nil || n < PruneBatch {
			return total, err
		}
	}
}
