package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/users"
)

// The second factors. MFA_REQUIRED (an aal1 token where aal2 is needed) and
// MFA_UNAVAILABLE (no encryption keys) are answered by answerRefusals.

// mfaNotEnrolled is the 409 of a factor to use that is not there.
func mfaNotEnrolled(ctx context.Context, detail string) api.ConflictApplicationProblemPlusJSONResponse {
	return conflict(ctx, api.CodeMFANotEnrolled, detail)
}

// mfaCodeInvalid is the 400 of a wrong, reused or expired code.
func mfaCodeInvalid(ctx context.Context) api.BadRequestApplicationProblemPlusJSONResponse {
	return api.BadRequestApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeMFACodeInvalid,
		"The code is wrong, used or expired; enter the one the app shows now.", httpx.Field("code", "is not valid now")))
}

// GetMfa returns the caller's second factors.
func (s *Server) GetMfa(ctx context.Context, _ api.GetMfaRequestObject) (api.GetMfaResponseObject, error) {
	st, err := s.Users.Status(ctx, principal(ctx).UserID)
	if err != nil {
		return nil, fmt.Errorf("mfa status: %w", err)
	}
	return api.GetMfa200JSONResponse{TotpEnabled: st.TOTP, RecoveryCodesRemaining: st.RecoveryCodesRemaining}, nil
}

// EnrollTotp starts an enrolment of an authenticator app.
func (s *Server) EnrollTotp(ctx context.Context, req api.EnrollTotpRequestObject) (api.EnrollTotpResponseObject, error) {
	en, err := s.Users.EnrollTOTP(ctx, principal(ctx), req.Body.CurrentPassword)
	switch {
	case errors.Is(err, users.ErrWrongPassword):
		return api.EnrollTotp401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: wrongCurrentPassword(ctx)}, nil
	case errors.Is(err, users.ErrNotFound):
		return api.EnrollTotp401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: tokenGone(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("enrol totp: %w", err)
	}
	return api.EnrollTotp201JSONResponse{Secret: en.Secret, OtpauthUri: en.URI,
		QrCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(en.QRCode)}, nil
}

// ConfirmTotp turns a pending factor on with its first code.
func (s *Server) ConfirmTotp(ctx context.Context, req api.ConfirmTotpRequestObject) (api.ConfirmTotpResponseObject, error) {
	codes, pair, err := s.Users.ConfirmTOTP(ctx, principal(ctx), req.Body.Code)
	switch {
	case errors.Is(err, users.ErrMFACodeInvalid):
		return api.ConfirmTotp400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: mfaCodeInvalid(ctx)}, nil
	case errors.Is(err, users.ErrMFANotEnrolled):
		return api.ConfirmTotp409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: mfaNotEnrolled(ctx,
			"No enrolment is pending; start one with POST /api/v1/users/me/mfa/totp.")}, nil
	case errors.Is(err, users.ErrNotFound):
		return api.ConfirmTotp401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: tokenGone(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	return api.ConfirmTotp200JSONResponse{RecoveryCodes: codes, Tokens: toTokenPair(pair)}, nil
}

// DisableTotp turns the caller's authenticator app off.
func (s *Server) DisableTotp(ctx context.Context, req api.DisableTotpRequestObject) (api.DisableTotpResponseObject, error) {
	err := s.Users.DisableTOTP(ctx, principal(ctx), req.Body.CurrentPassword)
	switch {
	case errors.Is(err, users.ErrWrongPassword):
		return api.DisableTotp401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: wrongCurrentPassword(ctx)}, nil
	case errors.Is(err, users.ErrMFANotEnrolled):
		return api.DisableTotp409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: mfaNotEnrolled(ctx, "TOTP is not on.")}, nil
	case errors.Is(err, users.ErrNotFound):
		return api.DisableTotp401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: tokenGone(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("disable totp: %w", err)
	}
	return api.DisableTotp204Response{}, nil
}

// ReplaceRecoveryCodes gives the caller 10 new recovery codes.
func (s *Server) ReplaceRecoveryCodes(ctx context.Context, _ api.ReplaceRecoveryCodesRequestObject) (api.ReplaceRecoveryCodesResponseObject, error) {
	codes, err := s.Users.ReplaceRecoveryCodes(ctx, principal(ctx))
	if errors.Is(err, users.ErrMFANotEnrolled) {
		return api.ReplaceRecoveryCodes409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: mfaNotEnrolled(ctx, "TOTP is not on.")}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	return api.ReplaceRecoveryCodes200JSONResponse{RecoveryCodes: codes}, nil
}

// VerifyMfa raises the caller's aal1 session to aal2 with a code.
func (s *Server) VerifyMfa(ctx context.Context, req api.VerifyMfaRequestObject) (api.VerifyMfaResponseObject, error) {
	var proof users.MFAProof
	if req.Body.Code != nil {
		proof.Code = *req.Body.Code
	}
	if req.Body.RecoveryCode != nil {
		proof.RecoveryCode = *req.Body.RecoveryCode
	}
	pair, err := s.Users.VerifyMFA(ctx, principal(ctx), proof)
	if p, ok := badRequest(ctx, err); ok {
		return api.VerifyMfa400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	switch {
	case errors.Is(err, users.ErrMFACodeInvalid):
		return api.VerifyMfa400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: mfaCodeInvalid(ctx)}, nil
	case errors.Is(err, users.ErrMFANotEnrolled):
		return api.VerifyMfa409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: mfaNotEnrolled(ctx, "You have no second factor to verify.")}, nil
	case errors.Is(err, sessions.ErrSessionEnded):
		return api.VerifyMfa401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: tokenGone(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("verify mfa: %w", err)
	}
	return api.VerifyMfa200JSONResponse(toTokenPair(pair)), nil
}

// ResetUserMfa is an admin's removal of a user's second factors.
func (s *Server) ResetUserMfa(ctx context.Context, req api.ResetUserMfaRequestObject) (api.ResetUserMfaResponseObject, error) {
	switch auth.Authorize(principal(ctx), auth.ActionResetMFA, req.Id) {
	case auth.Allow:
	case auth.Forbidden:
		return api.ResetUserMfa403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, adminOnly)}, nil
	default:
		return api.ResetUserMfa404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	err := s.Users.ResetMFA(ctx, req.Id)
	switch {
	case errors.Is(err, users.ErrNotFound):
		return api.ResetUserMfa404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case errors.Is(err, users.ErrMFANotEnrolled):
		return api.ResetUserMfa409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: mfaNotEnrolled(ctx, "The user has no second factor.")}, nil
	case err != nil:
		return nil, fmt.Errorf("reset mfa: %w", err)
	}
	return api.ResetUserMfa204Response{}, nil
}
