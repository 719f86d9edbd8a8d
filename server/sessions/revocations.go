package sessions

import (
	"context"
	"fmt"
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
	// pollDown is how often revocations are polled while LISTEN is broken.
	pollDown = 500 * time.Millisecond
	// pollUp is the safety-net poll while LISTEN works.
	pollUp = 10 * time.Second
	// pollOverlap re-reads a margin before the last poll, for clock skew between
	// this process and the database, and for transactions that commit late.
	pollOverlap = time.Minute
)

// revokedSet is this replica's set of sessions revoked within the last access
// token validity window. The bearer authenticator consults it, so revocation takes
// effect at once without a database query per request. It is fed by the
// sessions_revoked_notify trigger through LISTEN/NOTIFY, and by a poll: a short
// one while the LISTEN connection is down, a slow one as a safety net.
type revokedSet struct {
	pool   *pgxpool.Pool
	q      *db.Queries
	window time.Duration
	log    *slog.Logger

	mu       sync.RWMutex
	revoked  map[uuid.UUID]time.Time // session id → when it may be forgotten
	listenUp bool
	polled   time.Time
}

// newRevokedSet returns an empty set. window is how long a revoked session must
// be remembered: as long as its access tokens verify.
func newRevokedSet(pool *pgxpool.Pool, window time.Duration, log *slog.Logger) *revokedSet {
	return &revokedSet{pool: pool, q: db.New(pool), window: window, log: log, revoked: map[uuid.UUID]time.Time{}}
}

// has reports whether the session was revoked.
func (r *revokedSet) has(session uuid.UUID) bool {
	r.mu.RLock()
	_, ok := r.revoked[session]
	r.mu.RUnlock()
	return ok
}

// add marks sessions revoked on this replica.
func (r *revokedSet) add(sessions ...uuid.UUID) {
	forget := time.Now().Add(r.window + pollOverlap)
	r.mu.Lock()
	for _, id := range sessions {
		r.revoked[id] = forget
	}
	r.mu.Unlock()
}

// start subscribes to revocations, loads those of the last window, and keeps the
// set current in the background until ctx ends.
func (r *revokedSet) start(ctx context.Context) error {
	conn, err := r.listen(ctx)
	if err != nil {
		return fmt.Errorf("listening for revocations: %w", err)
	}
	if err := r.poll(ctx, time.Now().Add(-r.window-pollOverlap)); err != nil {
		conn.Close(context.Background())
		return fmt.Errorf("loading revocations: %w", err)
	}
	go r.receive(ctx, conn)
	go r.pollLoop(ctx)
	return nil
}

// listen opens a dedicated connection that LISTENs on the revocation channel.
func (r *revokedSet) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+revocationChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	r.setListenUp(true)
	return conn, nil
}

// receive adds every notified session, and reconnects when the connection breaks.
func (r *revokedSet) receive(ctx context.Context, conn *pgx.Conn) {
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for ctx.Err() == nil {
		if conn == nil {
			var err error
			if conn, err = r.listen(ctx); err != nil {
				sleep(ctx, 2*time.Second)
				continue
			}
			// Catch up on what was missed while down.
			_ = r.poll(ctx, r.lastPoll().Add(-pollOverlap))
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("revocation listener lost its connection; polling until it is back", slog.Any("error", err))
			}
			r.setListenUp(false)
			conn.Close(context.Background())
			conn = nil
			continue
		}
		if id, err := uuid.Parse(n.Payload); err == nil {
			r.add(id)
		}
	}
}

// pollLoop polls often while LISTEN is down and seldom while it works, and
// forgets revocations older than the window.
func (r *revokedSet) pollLoop(ctx context.Context) {
	for {
		every := pollUp
		if !r.isListenUp() {
			every = pollDown
		}
		if !sleep(ctx, every) {
			return
		}
		if err := r.poll(ctx, r.lastPoll().Add(-pollOverlap)); err != nil && ctx.Err() == nil {
			r.log.Warn("polling revocations failed", slog.Any("error", err))
		}
		r.prune()
	}
}

// poll adds the sessions revoked since since.
func (r *revokedSet) poll(ctx context.Context, since time.Time) error {
	started := time.Now()
	rows, err := r.q.ListRevokedSessionsSince(ctx, since)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	r.add(ids...)
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

func (r *revokedSet) setListenUp(up bool) {
	r.mu.Lock()
	r.listenUp = up
	r.mu.Unlock()
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
