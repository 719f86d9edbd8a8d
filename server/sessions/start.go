package sessions

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
)

// maxUserAgent bounds the User-Agent kept with a session, in bytes.
const maxUserAgent = 512

// Pair is what a client gets for a session: a signed access token and an
// opaque refresh token.
type Pair struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	Access    string
	Refresh   string
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
	// MFARequired: the session must verify the user's second factor.
	MFARequired bool
}

// Start is what a login knows of its user, as of its transaction.
type Start struct {
	User          uuid.UUID
	Role          auth.Role
	EmailVerified bool
	// MFA: the user has an active second factor, which the session must verify
	// before it is good for more than a few operations.
	MFA bool
}

// Begin starts a session by password (aal1) for st.User inside tx (the
// login's transaction) with its first refresh token, and returns its pair.
func (s *Service) Begin(ctx context.Context, tx *store.Tx, st Start, c Client) (Pair, error) {
	user := st.User
	sessionID, err := uuid.NewV7()
	if err != nil {
		return Pair{}, err
	}
	var ip *netip.Addr
	if c.IP.IsValid() {
		ip = &c.IP
	}
	if err := tx.CreateSession(ctx, db.CreateSessionParams{
		ID: sessionID, UserID: user, LifetimeSeconds: s.policy.Lifetime.Seconds(),
		UserAgent: auth.HeaderText(c.UserAgent, maxUserAgent), Ip: ip,
	}); err != nil {
		return Pair{}, fmt.Errorf("creating the session: %w", err)
	}
	return s.mint(ctx, tx, auth.Subject{UserID: user, SessionID: sessionID, Role: st.Role, EmailVerified: st.EmailVerified,
		Assurance: auth.PasswordOnly(), MFARequired: st.MFA})
}

// mint gives the session of sub a new refresh token, in tx, and pairs it with
// an access token signed for sub.
func (s *Service) mint(ctx context.Context, tx *store.Tx, sub auth.Subject) (Pair, error) {
	refresh, err := auth.NewOpaqueToken(s.rand)
	if err != nil {
		return Pair{}, err
	}
	if err := tx.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: refresh.Hash[:], SessionID: sub.SessionID}); err != nil {
		return Pair{}, fmt.Errorf("creating the refresh token: %w", err)
	}
	access, err := s.tokens.Issue(sub)
	if err != nil {
		return Pair{}, err
	}
	return Pair{UserID: sub.UserID, SessionID: sub.SessionID, Access: access, Refresh: refresh.Text, ExpiresIn: s.tokens.TTL(),
		MFARequired: sub.MFARequired}, nil
}
