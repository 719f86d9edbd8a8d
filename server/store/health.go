package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// IsUnavailable reports whether err means the database cannot be used now,
// rather than that a query was wrong: it is down, refuses connections, lost
// the connection, is shutting down, or did not answer before a deadline (the
// client's or its own statement timeout). Such a request is answered as an
// outage (503), not a failure (500).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P: operator intervention (shutdown, cannot
		// connect now); 57014: a statement cancelled by its timeout; 53300: too
		// many connections.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "57014" || pe.Code == "53300"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	// A connection the server or a proxy cut is reported as an EOF by the query
	// that finds out, and as ErrConnClosed by the next use of that connection
	// (a transaction's rollback, a pooled connection handed out before the
	// pool noticed).
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, pgconn.ErrConnClosed)
}

// Health is what this replica believes of the database: up or down, changed by
// what queries and a once-a-second ping observe. Each change is logged once, at
// WARN with its cause when the database goes, not once per failed request.
type Health struct {
	log  *slog.Logger
	mu   sync.Mutex
	down bool
}

// NewHealth returns a Health that believes the database is up.
func NewHealth(log *slog.Logger) *Health { return &Health{log: log} }

// Observe records the outcome of a database call: an outage marks the database
// down, a success marks it up; any other error says nothing about it.
func (h *Health) Observe(err error) {
	switch {
	case err == nil:
		h.set(false, nil)
	case IsUnavailable(err):
		h.set(true, err)
	}
}

// Down reports whether the database was last seen unavailable.
func (h *Health) Down() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

func (h *Health) set(down bool, cause error) {
	h.mu.Lock()
	changed := h.down != down
	h.down = down
	h.mu.Unlock()
	switch {
	case changed && down:
		h.log.Warn("database unavailable; answering 503 until it is back", slog.String("cause", cause.Error()))
	case changed:
		h.log.Warn("database available again")
	}
}

// Watch pings the database every interval, each ping bounded by timeout, until
// ctx ends, so that a recovery is noticed (and logged) even without traffic.
func (h *Health) Watch(ctx context.Context, pool *pgxpool.Pool, interval, timeout time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := pool.Ping(pctx)
		cancel()
		if ctx.Err() == nil {
			h.Observe(err)
		}
	}
}
