package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/users"
)

// The email flows. Their outages (no mail server configured, the database
// down, the hashing queue full) are answered by answerRefusals; what is left
// here is the contract's 4xx.

// RequestEmailVerification sends a new verification mail when the address
// has an unverified account: 202 whatever the address.
func (s *Server) RequestEmailVerification(ctx context.Context, req api.RequestEmailVerificationRequestObject) (api.RequestEmailVerificationResponseObject, error) {
	err := s.Users.RequestVerification(ctx, req.Body.Email)
	if p, ok := badRequest(ctx, err); ok {
		return api.RequestEmailVerification400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("request verification: %w", err)
	}
	return api.RequestEmailVerification202Response{}, nil
}

// VerifyEmail spends a verification token or code.
func (s *Server) VerifyEmail(ctx context.Context, req api.VerifyEmailRequestObject) (api.VerifyEmailResponseObject, error) {
	u, err := s.Users.VerifyEmail(ctx, proofOf(req.Body.Token, req.Body.Email, req.Body.Code))
	if p, ok := badProof(ctx, err); ok {
		return api.VerifyEmail400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify email: %w", err)
	}
	return api.VerifyEmail200JSONResponse{Body: toUser(u), Headers: api.VerifyEmail200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// RequestPasswordReset sends a reset mail when the address has an account:
// 202 whatever the address, in the same time.
func (s *Server) RequestPasswordReset(ctx context.Context, req api.RequestPasswordResetRequestObject) (api.RequestPasswordResetResponseObject, error) {
	err := s.Users.RequestPasswordReset(ctx, req.Body.Email)
	if p, ok := badRequest(ctx, err); ok {
		return api.RequestPasswordReset400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("request password reset: %w", err)
	}
	return api.RequestPasswordReset202Response{}, nil
}

// ResetPassword sets a new password from a reset mail.
func (s *Server) ResetPassword(ctx context.Context, req api.ResetPasswordRequestObject) (api.ResetPasswordResponseObject, error) {
	b := req.Body
	err := s.Users.ResetPassword(ctx, proofOf(b.Token, b.Email, b.Code), b.NewPassword)
	if p, ok := badProof(ctx, err); ok {
		return api.ResetPassword400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reset password: %w", err)
	}
	return api.ResetPassword204Response{}, nil
}

// RequestEmailChange starts a change of the caller's own address: 202 whether
// or not the new address is taken.
func (s *Server) RequestEmailChange(ctx context.Context, req api.RequestEmailChangeRequestObject) (api.RequestEmailChangeResponseObject, error) {
	p := principal(ctx)
	err := s.Users.RequestEmailChange(ctx, p.UserID, p.SessionID, req.Body.NewEmail, req.Body.CurrentPassword)
	if pr, ok := badRequest(ctx, err); ok {
		return api.RequestEmailChange400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: pr}, nil
	}
	switch {
	case errors.Is(err, users.ErrWrongPassword):
		return api.RequestEmailChange401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: wrongCurrentPassword(ctx)}, nil
	case errors.Is(err, users.ErrNotFound):
		// The caller's own account went away after the token was checked.
		return api.RequestEmailChange401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: tokenGone(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("request email change: %w", err)
	}
	return api.RequestEmailChange202Response{}, nil
}

// ConfirmEmailChange spends an email-change token or code.
func (s *Server) ConfirmEmailChange(ctx context.Context, req api.ConfirmEmailChangeRequestObject) (api.ConfirmEmailChangeResponseObject, error) {
	u, err := s.Users.ConfirmEmailChange(ctx, proofOf(req.Body.Token, req.Body.Email, req.Body.Code))
	if p, ok := badProof(ctx, err); ok {
		return api.ConfirmEmailChange400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if errors.Is(err, users.ErrEmailTaken) {
		return api.ConfirmEmailChange409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: emailTaken(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("confirm email change: %w", err)
	}
	return api.ConfirmEmailChange200JSONResponse{Body: toUser(u), Headers: api.ConfirmEmailChange200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// proofOf is the users.Secret of a request's optional members.
func proofOf(token *api.MailToken, email *api.Email, code *api.MailCode) users.Secret {
	var s users.Secret
	if token != nil {
		s.Token = *token
	}
	if email != nil {
		s.Email = *email
	}
	if code != nil {
		s.Code = *code
	}
	return s
}

// badProof is badRequest plus the 400 TOKEN_INVALID of a token or code that
// cannot be used, whichever the reason.
func badProof(ctx context.Context, err error) (api.BadRequestApplicationProblemPlusJSONResponse, bool) {
	if errors.Is(err, users.ErrTokenInvalid) {
		return api.BadRequestApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeTokenInvalid,
			"The link or code is invalid, used or expired; ask for a new mail.")), true
	}
	return badRequest(ctx, err)
}
