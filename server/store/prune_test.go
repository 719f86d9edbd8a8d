package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/meridianhq/accounts/server/store"
)

func TestPruneInBatches(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		deleted   []int64 // what each run deletes; the last one fails when err is set
		err       error
		wantTotal int64
		wantRuns  int
	}{
		{"Nothing", []int64{0}, nil, 0, 1},
		{"LessThanABatch", []int64{3}, nil, 3, 1},
		{"ExactlyABatch", []int64{store.PruneBatch, 0}, nil, store.PruneBatch, 2},
		{"Batches", []int64{store.PruneBatch, store.PruneBatch, 7}, nil, 2*store.PruneBatch + 7, 3},
		{"FailureStops", []int64{store.PruneBatch, store.PruneBatch}, boom, 2 * store.PruneBatch, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			total, err := store.PruneInBatches(context.Background(), func(_ context.Context, batch int32) (int64, error) {
				if batch != store.PruneBatch {
					t.Fatalf("batch %d; want %d", batch, store.PruneBatch)
				}
				n := tc.deleted[runs]
				runs++
				if tc.err != nil && runs == len(tc.deleted) {
					return n, tc.err
				}
				return n, nil
			})
			if total != tc.wantTotal || runs != tc.wantRuns || !errors.Is(err, tc.err) {
				t.Fatalf("total %d after %d runs, %v; want %d after %d, %v", total, runs, err, tc.wantTotal, tc.wantRuns, tc.err)
			}
		})
	}
}
