package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// maxUserAgent bounds the User-Agent kept with a session, in bytes.
const maxUserAgent = 512

// startSession creates a session and its first refresh token in one
// transaction, with the re-hash of the password when one is due, and returns a
// new token pair.
func (s *Server) startSession(ctx context.Context, userID uuid.UUID, role db.UserRole, rehash *passwordRehash) (api.TokenPair, error) {
	sessionID, err := uuid.NewV7()
	if err != nil {
		return api.TokenPair{}, err
	}
	refresh, hash, err := auth.NewRefreshToken(s.rand)
	if err != nil {
		return api.TokenPair{}, err
	}
	ipText, ua := clientFrom(ctx)
	var ip *netip.Addr
	if a, err := netip.ParseAddr(ipText); err == nil {
		ip = &a
	}
	err = s.inTx(ctx, func(q *db.Queries) error {
		if rehash != nil {
			if _, err := q.UpdatePasswordHash(ctx, db.UpdatePasswordHashParams{ID: userID, OldHash: rehash.old, NewHash: rehash.new}); err != nil {
				return fmt.Errorf("re-hash: %w", err)
			}
		}
		if err := q.CreateSession(ctx, db.CreateSessionParams{
			ID: sessionID, UserID: userID, LifetimeSeconds: s.sessions.Lifetime.Seconds(),
			UserAgent: truncateUTF8(ua, maxUserAgent), Ip: ip,
		}); err != nil {
			return fmt.Errorf("creating the session: %w", err)
		}
		return q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: hash[:], SessionID: sessionID})
	})
	if err != nil {
		return api.TokenPair{}, err
	}
	return s.tokenPair(userID, sessionID, role, refresh)
}

// tokenPair signs an access token and pairs it with a refresh token.
func (s *Server) tokenPair(userID, sessionID uuid.UUID, role db.UserRole, refresh string) (api.TokenPair, error) {
	access, err := s.tokens.Issue(userID, sessionID, auth.Role(role))
	if err != nil {
		return api.TokenPair{}, err
	}
	return api.TokenPair{
		AccessToken:  access,
		TokenType:    api.Bearer,
		ExpiresIn:    int(s.tokens.TTL().Seconds()),
		RefreshToken: refresh,
	}, nil
}

// refreshOutcome is what one refresh transaction decided.
type refreshOutcome struct {
	code    string // "" on success, else the 401 code
	user    uuid.UUID
	session uuid.UUID
	role    db.UserRole
	refresh string
}

// RefreshToken rotates a refresh token: the one presented is used up and a new
// one issued, in one transaction that holds the token's row lock, so concurrent
// refreshes of one token serialize. Presenting a used token (outside the reuse
// leeway) revokes its whole session.
func (s *Server) RefreshToken(ctx context.Context, req api.RefreshTokenRequestObject) (api.RefreshTokenResponseObject, error) {
	var out refreshOutcome
	err := s.inTx(ctx, func(q *db.Queries) (err error) {
		out, err = s.rotate(ctx, q, req.Body.RefreshToken)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	switch out.code {
	case CodeRefreshTokenReused:
		s.revocations.Add(out.session)
		return refreshRefused(ctx, out.code, "This refresh token was already used; its session is now ended. Log in again."), nil
	case CodeInvalidRefreshToken:
		return refreshRefused(ctx, out.code, "The refresh token is unknown, expired or revoked."), nil
	}
	pair, err := s.tokenPair(out.user, out.session, out.role, out.refresh)
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	return api.RefreshToken200JSONResponse(pair), nil
}

// rotate is the refresh transaction. A reuse is committed (the session stays
// revoked) and reported in the outcome, not as an error.
func (s *Server) rotate(ctx context.Context, q *db.Queries, token string) (refreshOutcome, error) {
	hash := auth.HashRefreshToken(token)
	row, err := q.GetRefreshTokenForUpdate(ctx, hash[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return refreshOutcome{code: CodeInvalidRefreshToken}, nil
	}
	if err != nil {
		return refreshOutcome{}, err
	}
	switch {
	case row.RevokedAt != nil || row.UserDeleted || !row.Now.Before(row.ExpiresAt) ||
		!row.Now.Before(row.LastUsedAt.Add(s.sessions.IdleTimeout)):
		return refreshOutcome{code: CodeInvalidRefreshToken}, nil
	case row.UsedAt != nil && !s.withinReuseLeeway(row.Now.Sub(*row.UsedAt)):
		err := q.RevokeSessionByID(ctx, db.RevokeSessionByIDParams{ID: row.SessionID, Reason: "refresh_token_reused"})
		return refreshOutcome{code: CodeRefreshTokenReused, session: row.SessionID}, err
	}
	if row.UsedAt == nil {
		if err := q.MarkRefreshTokenUsed(ctx, hash[:]); err != nil {
			return refreshOutcome{}, err
		}
	}
	next, nextHash, err := auth.NewRefreshToken(s.rand)
	if err != nil {
		return refreshOutcome{}, err
	}
	if err := q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{TokenHash: nextHash[:], SessionID: row.SessionID}); err != nil {
		return refreshOutcome{}, err
	}
	if err := q.TouchSession(ctx, row.SessionID); err != nil {
		return refreshOutcome{}, err
	}
	return refreshOutcome{user: row.UserID, session: row.SessionID, role: row.Role, refresh: next}, nil
}

// withinReuseLeeway reports whether a token used age ago may be used again. A
// negative age is a refresh that raced the one that used the token.
func (s *Server) withinReuseLeeway(age time.Duration) bool {
	return s.sessions.ReuseLeeway > 0 && age <= s.sessions.ReuseLeeway
}

func refreshRefused(ctx context.Context, code, detail string) api.RefreshTokenResponseObject {
	p := newProblem(ctx, http.StatusUnauthorized, code, detail)
	return api.RefreshToken401ApplicationProblemPlusJSONResponse{InvalidRefreshTokenApplicationProblemPlusJSONResponse: api.InvalidRefreshTokenApplicationProblemPlusJSONResponse(p)}
}

// Logout ends the caller's current session, the others, or all of them.
func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	p := principal(ctx)
	scope := api.Current
	if req.Body != nil && req.Body.Scope != nil {
		scope = *req.Body.Scope
	}
	var revoked []uuid.UUID
	var err error
	switch scope {
	case api.Current:
		_, err = s.q.RevokeSession(ctx, db.RevokeSessionParams{ID: p.SessionID, UserID: p.UserID, Reason: "logout"})
		revoked = []uuid.UUID{p.SessionID}
	case api.Others:
		revoked, err = s.q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{UserID: p.UserID, KeepID: &p.SessionID, Reason: "logout_others"})
	case api.All:
		revoked, err = s.q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{UserID: p.UserID, Reason: "logout_all"})
	}
	if err != nil {
		return nil, fmt.Errorf("logout: %w", err)
	}
	s.revocations.Add(revoked...)
	return api.Logout204Response{}, nil
}

// GetJwks publishes the public half of every verifying key.
func (s *Server) GetJwks(ctx context.Context, _ api.GetJwksRequestObject) (api.GetJwksResponseObject, error) {
	return api.GetJwks200JSONResponse{
		Body:    s.jwks,
		Headers: api.GetJwks200ResponseHeaders{CacheControl: "public, max-age=300"},
	}, nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
