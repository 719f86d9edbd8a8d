package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/users"
)

// Register creates an account with the user role.
func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	u, err := s.Users.Create(ctx, users.NewUser{Email: req.Body.Email, Name: req.Body.Name, Password: req.Body.Password, Role: auth.RoleUser})
	if p, ok := badRequest(ctx, err); ok {
		return api.Register400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if errors.Is(err, users.ErrEmailTaken) {
		return api.Register409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: emailTaken(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	return api.Register201JSONResponse{
		Body:    toUser(u),
		Headers: api.Register201ResponseHeaders{Location: userLocation(u.ID), ETag: etag(u.Version)},
	}, nil
}

// Login checks an address and password and starts a session. Every failure
// answers the same 401 (see users.Service.Login for why its timing says
// nothing either); the correct password of a disabled account, or of an
// unverified address where verification is required, 403.
func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	pair, err := s.Users.Login(ctx, req.Body.Email, req.Body.Password, clientOf(ctx))
	s.Metrics.Login(loginOutcome(err))
	if p, ok := badRequest(ctx, err); ok {
		return api.Login400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	var refused *users.LoginFailure
	if errors.As(err, &refused) {
		s.logLogin(ctx, "login failed", refused.UserID, refused.Reason)
		httpx.Explain(ctx, "invalid_credentials")
		p := httpx.Problem(ctx, api.CodeInvalidCredentials, "The email address or password is wrong.")
		return api.Login401ApplicationProblemPlusJSONResponse{InvalidCredentialsApplicationProblemPlusJSONResponse: api.InvalidCredentialsApplicationProblemPlusJSONResponse(p)}, nil
	}
	var disabled *users.DisabledLogin
	if errors.As(err, &disabled) {
		return s.loginRefused(ctx, disabled.UserID, api.CodeAccountDisabled, "account_disabled",
			"This account is disabled; ask an administrator to enable it."), nil
	}
	var unverified *users.UnverifiedLogin
	if errors.As(err, &unverified) {
		return s.loginRefused(ctx, unverified.UserID, api.CodeEmailNotVerified, "email_not_verified",
			"Verify your email address first: follow the link in the mail, or ask for a new one."), nil
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	s.logLogin(ctx, "login succeeded", pair.UserID, "")
	return api.Login200JSONResponse(toTokenPair(pair)), nil
}

// loginRefused is the 403 of a correct password that starts no session, with
// its log line: why is the access log's reason, and the code's.
func (s *Server) loginRefused(ctx context.Context, user uuid.UUID, code api.ProblemCode, why, detail string) api.LoginResponseObject {
	s.logLogin(ctx, "login refused: "+strings.ReplaceAll(why, "_", " "), user, "")
	httpx.Explain(ctx, why)
	p := httpx.Problem(ctx, code, detail)
	return api.Login403ApplicationProblemPlusJSONResponse{LoginRefusedApplicationProblemPlusJSONResponse: api.LoginRefusedApplicationProblemPlusJSONResponse(p)}
}

// loginOutcome names the outcome of a login for the metrics.
func loginOutcome(err error) string {
	var fields users.FieldErrors
	var refused *ratelimit.Refused
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, users.ErrInvalidCredentials):
		return "invalid_credentials"
	case errors.Is(err, users.ErrAccountDisabled):
		return "account_disabled"
	case errors.Is(err, users.ErrEmailNotVerified):
		return "email_not_verified"
	case errors.As(err, &fields):
		return "invalid_request"
	case errors.As(err, &refused):
		return "rate_limited"
	case errors.Is(err, auth.ErrOverloaded):
		return "overloaded"
	case store.IsUnavailable(err):
		return "unavailable"
	}
	return "error"
}

// logLogin records a login event: the user when known, the request and the
// client IP. Never the address, the password or a token.
func (s *Server) logLogin(ctx context.Context, msg string, user uuid.UUID, reason string) {
	ri := httpx.Info(ctx)
	attrs := []slog.Attr{slog.String("request_id", ri.ID), slog.String("ip", ri.IP)}
	if user != uuid.Nil {
		attrs = append(attrs, slog.String("user_id", user.String()))
	}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	s.Logger.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}

// withOrigin puts where the request came from into its context, where
// audit.Record finds it (httpx.Options.Enrich).
func withOrigin(ctx context.Context, ri httpx.RequestInfo) context.Context {
	cl := clientOf(ctx)
	return audit.WithOrigin(ctx, audit.Origin{IP: cl.IP, UserAgent: cl.UserAgent, RequestID: ri.ID})
}

// clientOf is the client of the request in ctx, as a session records it.
func clientOf(ctx context.Context) sessions.Client {
	ri := httpx.Info(ctx)
	ip, _ := netip.ParseAddr(ri.IP) // the zero Addr when there is none
	return sessions.Client{IP: ip, UserAgent: ri.UserAgent}
}

// userLocation is the URL of a user.
func userLocation(id uuid.UUID) string { return "/api/v1/users/" + id.String() }
