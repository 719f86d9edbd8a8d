package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/metrics"
)

// Options are what a Service is built from.
type Options struct {
	// Pool is the database. Required.
	Pool *pgxpool.Pool
	// Tokens signs the access tokens of new pairs. Required.
	Tokens *auth.Tokens
	// Policy sets the lifetimes. Its retention must cover the tokens' validity.
	Policy Policy
	// Logger receives the revocation listener's and the pruner's warnings. Required.
	Logger *slog.Logger
	// Rand is the source of refresh tokens. Nil: crypto/rand.
	Rand io.Reader
	// Listen is the connection the revocation listener opens. Nil: one like
	// the pool's. Behind a transaction pooler it must be a direct one.
	Listen *pgx.ConnConfig
	// Metrics counts applied revocations and reports the listener. Nil: none.
	Metrics *metrics.Metrics
}

// Service starts, rotates, lists and ends sessions.
type Service struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	tokens  *auth.Tokens
	policy  Policy
	log     *slog.Logger
	rand    io.Reader
	revoked *revokedSet
}

// New checks o and returns a Service. Its revoked set is empty until Start.
func New(o Options) (*Service, error) {
	if o.Pool == nil || o.Tokens == nil || o.Logger == nil {
		return nil, errors.New("sessions: Options.Pool, Tokens and Logger are required")
	}
	if err := o.Policy.check(o.Tokens.ValidFor()); err != nil {
		return nil, err
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	s := &Service{
		pool: o.Pool, q: db.New(o.Pool), tokens: o.Tokens, policy: o.Policy, log: o.Logger, rand: o.Rand,
		revoked: newRevokedSet(o.Pool, o.Listen, o.Tokens.ValidFor(), o.Logger),
	}
	s.revoked.applied = o.Metrics.RevocationsApplied
	o.Metrics.WatchListener(s.revoked.isListenUp, s.revoked.heard)
	return s, nil
}

// Policy is the session policy in force.
func (s *Service) Policy() Policy { return s.policy }

// Start loads the sessions revoked within the token validity window and keeps
// the set current until ctx ends. It returns once the set is loaded: serving
// before that could accept a revoked session's token.
func (s *Service) Start(ctx context.Context) error { return s.revoked.start(ctx) }

// Revoked reports whether the session was revoked. It never touches the
// database: the bearer check calls it on every request.
func (s *Service) Revoked(session uuid.UUID) bool { return s.revoked.has(session) }

// List returns the user's live sessions, newest first.
func (s *Service) List(ctx context.Context, user uuid.UUID) ([]db.ListLiveSessionsByUserRow, error) {
	return s.q.ListLiveSessionsByUser(ctx, db.ListLiveSessionsByUserParams{
		UserID: user, IdleTimeoutSeconds: s.policy.IdleTimeout.Seconds(),
	})
}
