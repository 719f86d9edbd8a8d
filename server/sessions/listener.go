package sessions

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const (
	// heartbeatEvery is how often a replica sends a heartbeat on the channel.
	heartbeatEvery = time.Second
	// heartbeatTimeout is how long a listener may go without any notification
	// (its own heartbeats included) before it is taken for dead: a connection
	// can stay open and deliver nothing (a silenced proxy, a pooler).
	heartbeatTimeout = 3 * time.Second
	// reconnectEvery is the pause between attempts to listen again.
	reconnectEvery = time.Second
	// heartbeatPayload is the payload of heartbeats; revocations carry a UUID.
	heartbeatPayload = "heartbeat"
	// connectTimeout bounds opening the listener's connection and its LISTEN.
	connectTimeout = 10 * time.Second
)

// start subscribes to revocations, loads those of the last window, and keeps the
// set current in the background until ctx ends: the listener, its heartbeats
// and the poll.
func (r *revokedSet) start(ctx context.Context) error {
	conn, err := r.connect(ctx)
	if err != nil {
		return fmt.Errorf("listening for revocations: %w", err)
	}
	if err := r.poll(ctx, time.Now().Add(-r.window-pollOverlap)); err != nil {
		conn.Close(context.Background())
		return fmt.Errorf("loading revocations: %w", err)
	}
	r.setListenUp(true, "")
	go r.receive(ctx, conn)
	go r.heartbeats(ctx)
	go r.pollLoop(ctx)
	return nil
}

// connect opens the listener's connection and LISTENs on the channel, within
// connectTimeout: a hung database must not hold the reconnection forever.
func (r *revokedSet) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, r.listen.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+revocationChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// receive adds every notified session. A broken connection, or one silent for
// heartbeatTimeout, is closed and opened again; meanwhile the poll runs often.
func (r *revokedSet) receive(ctx context.Context, conn *pgx.Conn) {
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	failures := 0
	for ctx.Err() == nil {
		if conn == nil {
			var err error
			if conn, err = r.connect(ctx); err != nil {
				failures++
				if failures == 1 || failures%30 == 0 {
					r.log.Warn("revocation listener cannot reconnect; retrying", slog.Int("attempts", failures), slog.Any("error", err))
				}
				sleep(ctx, reconnectEvery)
				continue
			}
			failures = 0
			r.setListenUp(true, "")
			// Catch up on what was missed while down.
			_ = r.poll(ctx, r.lastPoll().Add(-pollOverlap))
		}
		if err := r.next(ctx, conn); err != nil {
			if ctx.Err() != nil {
				return
			}
			r.setListenUp(false, err.Error())
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// next waits for the next notification, at most heartbeatTimeout.
func (r *revokedSet) next(ctx context.Context, conn *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	n, err := conn.WaitForNotification(wctx)
	switch {
	case err != nil && wctx.Err() != nil && ctx.Err() == nil:
		return fmt.Errorf("no notification, not even a heartbeat, for %s", heartbeatTimeout)
	case err != nil:
		return err
	}
	r.mu.Lock()
	r.lastHeard = time.Now()
	r.mu.Unlock()
	if id, err := uuid.Parse(n.Payload); err == nil && r.add(id) > 0 {
		r.log.Debug("revocation notified", slog.String("session_id", id.String()))
	}
	return nil
}

// heartbeats sends a heartbeat on the channel every heartbeatEvery, through the
// pool, so that every live listener hears something at least that often.
func (r *revokedSet) heartbeats(ctx context.Context) {
	for sleep(ctx, heartbeatEvery) {
		hctx, cancel := context.WithTimeout(ctx, heartbeatEvery)
		_, _ = r.pool.Exec(hctx, "SELECT pg_notify($1, $2)", revocationChannel, heartbeatPayload)
		cancel()
	}
}
