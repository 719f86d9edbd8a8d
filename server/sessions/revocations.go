package sessions

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
)

// revocationChannel is the NOTIFY channel of the sessions_revoked_notify trigger.
const revocationChannel = "accounts_session_revoked"

const (
	// pollDown is how often revocations are polled while LISTEN is down.
	pollDown = 250 * time.Millisecond
	// pollUp is the safety net while LISTEN works, short enough that a
	// listener that dies silently (found out only when its heartbeat is late)
	// still leaves every revocation seen within a second.
	pollUp = 750 * time.Millisecond
	// pollTimeout bounds one poll, so that a hung database cannot stop it.
	pollTimeout = 5 * time.Second
	// pollOverlap re-reads a margin before the last poll, for clock skew between
	// this process and the database, and for transactions that commit late.
	pollOverlap = time.Minute
)

// revokedSet is this replica's set of sessions revoked within the last access
// token validity window. The bearer authenticator consults it, so revocation
// takes effect at once without a database query per request. It is fed by the
// sessions_revoked_notify trigger through LISTEN/NOTIFY (listener.go), within
// milliseconds while the listener is alive, and by a poll, every 250 ms while
// it is not and every 750 ms as a safety net while it is.
type revokedSet struct {
	pool   *pgxpool.Pool
	q      *db.Queries
	listen *pgx.ConnConfig // the listener's own connection; unpooled
	window time.Duration
	log    *slog.Logger
	wake   chan struct{} // a poll now: the listener went down
	// applied is told how many sessions each add newly revoked (the metrics).
	applied func(n int)

	mu        sync.RWMutex
	revoked   map[uuid.UUID]time.Time // session id → when it may be forgotten
	listenUp  bool
	lastHeard time.Time // the last notification, heartbeats included
	polled    time.Time
}

// newRevokedSet returns an empty set. window is how long a revoked session must
// be remembered: as long as its access tokens verify. listen is the listener's
// connection (nil: one like the pool's); behind a transaction pooler it must be
// a direct one, as LISTEN outlives a transaction.
func newRevokedSet(pool *pgxpool.Pool, listen *pgx.ConnConfig, window time.Duration, log *slog.Logger) *revokedSet {
	if listen == nil {
		listen = pool.Config().ConnConfig
	}
	return &revokedSet{pool: pool, q: db.New(pool), listen: listen, window: window, log: log,
		wake: make(chan struct{}, 1), revoked: map[uuid.UUID]time.Time{}}
}

// has reports whether the session was revoked.
func (r *revokedSet) has(session uuid.UUID) bool {
	r.mu.RLock()
	_, ok := r.revoked[session]
	r.mu.RUnlock()
	return ok
}

// add marks sessions revoked on this replica, and returns how many it did not
// know yet.
func (r *revokedSet) add(sessions ...uuid.UUID) int {
	forget := time.Now().Add(r.window + pollOverlap)
	fresh := 0
	r.mu.Lock()
	for _, id := range sessions {
		if _, ok := r.revoked[id]; !ok {
			fresh++
		}
		r.revoked[id] = forget
	}
	r.mu.Unlock()
	if r.applied != nil && fresh > 0 {
		r.applied(fresh)
	}
	return fresh
}

// pollLoop polls often while LISTEN is down and less often while it works (at
// once when it goes down), and forgets revocations older than the window.
func (r *revokedSet) pollLoop(ctx context.Context) {
	failing := false
	for {
		every := pollUp
		if !r.isListenUp() {
			every = pollDown
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-r.wake:
			t.Stop()
		}
		err := r.poll(ctx, r.lastPoll().Add(-pollOverlap))
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			r.log.Warn("polling revocations failed; retrying", slog.Any("error", err))
		case err == nil && failing:
			r.log.Info("polling revocations works again")
		}
		failing = err != nil
		r.prune()
	}
}

// poll adds the sessions revoked since since.
func (r *revokedSet) poll(ctx context.Context, since time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	started := time.Now()
	rows, err := r.q.ListRevokedSessionsSince(ctx, since)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	if fresh := r.add(ids...); fresh > 0 {
		r.log.Debug("revocations found by polling", slog.Int("sessions", fresh))
	}
	r.mu.Lock()
	r.polled = started
	r.mu.Unlock()
	return nil
}

func (r *revokedSet) prune() {
	now := time.Now()
	r.mu.Lock()
	for id, forget := range r.revoked {
		if now.After(forget) {
			delete(r.revoked, id)
		}
	}
	r.mu.Unlock()
}

func (r *revokedSet) lastPoll() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.polled
}

// setListenUp records the listener's state, logs a change, and on a loss
// wakes the poll loop at once rather than after its current sleep.
func (r *revokedSet) setListenUp(up bool, why string) {
	r.mu.Lock()
	changed := r.listenUp != up
	r.listenUp = up
	r.mu.Unlock()
	switch {
	case changed && up:
		r.log.Info("revocation listener up")
	case changed:
		r.log.Warn("revocation listener down; polling every "+pollDown.String()+" until it is back", slog.String("why", why))
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// heard is when the listener last heard a notification.
func (r *revokedSet) heard() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lastHeard
}

func (r *revokedSet) isListenUp() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.listenUp
}

// sleep waits d, or less if ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
