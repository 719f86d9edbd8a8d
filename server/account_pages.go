package server

import (
	"bytes"
	"context"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/account"
	"github.com/meridianhq/accounts/server/mail"
)

// The hosted pages of the mails' links. A GET only serves HTML: the token
// stays in the fragment, and only the page's POST spends it.

// GetVerifyEmailPage serves the page of a verification link.
func (s *Server) GetVerifyEmailPage(ctx context.Context, _ api.GetVerifyEmailPageRequestObject) (api.GetVerifyEmailPageResponseObject, error) {
	b := account.Page(mail.PageVerifyEmail)
	return api.GetVerifyEmailPage200TexthtmlResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}

// GetResetPasswordPage serves the page of a password-reset link.
func (s *Server) GetResetPasswordPage(ctx context.Context, _ api.GetResetPasswordPageRequestObject) (api.GetResetPasswordPageResponseObject, error) {
	b := account.Page(mail.PageResetPassword)
	return api.GetResetPasswordPage200TexthtmlResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}

// GetConfirmEmailChangePage serves the page of an email-change link.
func (s *Server) GetConfirmEmailChangePage(ctx context.Context, _ api.GetConfirmEmailChangePageRequestObject) (api.GetConfirmEmailChangePageResponseObject, error) {
	b := account.Page(mail.PageConfirmEmailChange)
	return api.GetConfirmEmailChangePage200TexthtmlResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}
