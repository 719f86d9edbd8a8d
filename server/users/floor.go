package users

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// floorSamples is how many verifications one measurement times.
const floorSamples = 3

// FailureFloor is the least time a failed login takes: the time to verify the
// slowest kind of hash stored. Without it an imported bcrypt-12 user with a
// wrong password answers in 0.5 s where an unknown address answers in 0.04 s,
// and the difference tells which addresses have accounts. 0 until measured.
func (us *Service) FailureFloor() time.Duration { return time.Duration(us.floor.Load()) }

// MeasureFailureFloor times the verification of the dummy hash (what an
// unknown address costs) and, when bcrypt hashes are stored, of a bcrypt hash
// at the highest cost among them, and makes the slower the failure floor.
func (us *Service) MeasureFailureFloor(ctx context.Context) error {
	floor, err := us.timeVerify(ctx, us.hasher.DummyHash())
	if err != nil {
		return err
	}
	cost, err := us.q.GetMaxBcryptCost(ctx)
	if err != nil {
		return err
	}
	if cost > 0 {
		secret := rand.Text()
		h, err := bcrypt.GenerateFromPassword([]byte(secret), int(cost))
		if err != nil {
			return fmt.Errorf("a bcrypt hash of cost %d: %w", cost, err)
		}
		slow, err := us.timeVerify(ctx, string(h))
		if err != nil {
			return err
		}
		floor = max(floor, slow)
	}
	us.floor.Store(int64(floor))
	return nil
}

// timeVerify is the median time of verifying a wrong password against encoded.
func (us *Service) timeVerify(ctx context.Context, encoded string) (time.Duration, error) {
	took := make([]time.Duration, floorSamples)
	for i := range took {
		start := time.Now()
		if _, err := us.hasher.Verify(ctx, encoded, "not the password"); err != nil {
			return 0, err
		}
		took[i] = time.Since(start)
	}
	slices.Sort(took)
	return took[len(took)/2], nil
}

// KeepFailureFloor measures the floor now and every interval until ctx ends, so
// that users imported later are covered too.
func (us *Service) KeepFailureFloor(ctx context.Context, interval time.Duration, log *slog.Logger) {
	for {
		if err := us.MeasureFailureFloor(ctx); err != nil && ctx.Err() == nil {
			log.Warn("measuring the login failure floor failed", slog.Any("error", err))
		} else if ctx.Err() == nil {
			log.Debug("login failure floor measured", slog.Duration("floor", us.FailureFloor()))
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// padFailure waits until a failed login that started at start has taken the
// failure floor (or ctx ends).
func (us *Service) padFailure(ctx context.Context, start time.Time) {
	wait := time.Until(start.Add(us.FailureFloor()))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
