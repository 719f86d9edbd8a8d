package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/store"
)

// MailRequest is the job of a request that may send mail (a verification
// resend, a password reset, an email change). Whether the address has an
// account, and what it is sent, is decided here in the background, so that
// the request itself costs the same either way and answers 202 regardless.
type MailRequest struct {
	Purpose db.EmailTokenPurpose `json:"purpose"`
	// Email is the address asked about; for an email change, the new one.
	Email string `json:"email"`
	// UserID and SessionID are the user, and the session that asked, of an
	// email change.
	UserID    uuid.UUID `json:"user_id,omitzero"`
	SessionID uuid.UUID `json:"session_id,omitzero"`
}

// Kind is River's name of the job.
func (MailRequest) Kind() string { return "mail_request" }

// RequestWorker works MailRequests.
type RequestWorker struct {
	river.WorkerDefaults[MailRequest]
	Users *Service
}

// Work decides what a request sends, and puts it in the outbox.
func (w *RequestWorker) Work(ctx context.Context, job *river.Job[MailRequest]) error {
	r := job.Args
	var err error
	switch r.Purpose {
	case db.EmailTokenPurposeVerifyEmail:
		err = w.Users.sendVerification(ctx, r.Email)
	case db.EmailTokenPurposeResetPassword:
		err = w.Users.sendReset(ctx, r.Email)
	case db.EmailTokenPurposeChangeEmail:
		err = w.Users.sendEmailChange(ctx, r)
	default:
		return river.JobCancel(fmt.Errorf("unknown purpose %q", r.Purpose))
	}
	return err
}

// Register adds w to the workers of the job queue.
func (w *RequestWorker) Register(ws *river.Workers) { river.AddWorker(ws, w) }

// request checks email and enqueues r for it, within the address's budget
// (past it, nothing is enqueued and the caller answers as usual), in one
// transaction with the audit events of the request, which are recorded
// either way.
func (us *Service) request(ctx context.Context, r MailRequest, events ...audit.Event) error {
	if !us.mailOn() {
		return ErrMailOff
	}
	email, err := auth.NormalizeEmail(r.Email)
	if err != nil {
		field := "email"
		if r.Purpose == db.EmailTokenPurposeChangeEmail {
			field = "new_email"
		}
		return FieldErrors{{Field: field, Reason: err.Error()}}
	}
	r.Email = email
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		ok, err := us.withinBudget(ctx, tx, r.Purpose, email)
		if err != nil {
			return err
		}
		if ok {
			if err := us.mail.Outbox.Enqueue(ctx, tx, r, nil); err != nil {
				return err
			}
		}
		for _, e := range events {
			if err := audit.Record(ctx, tx.Queries, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// RequestVerification sends a new verification mail to email when it is the
// unverified address of an account; otherwise nothing. It answers the same
// either way: nil, FieldErrors for a malformed address, or ErrMailOff.
func (us *Service) RequestVerification(ctx context.Context, email string) error {
	return us.request(ctx, MailRequest{Purpose: db.EmailTokenPurposeVerifyEmail, Email: email})
}

// RequestPasswordReset sends a reset mail to email when an account has it;
// otherwise nothing, in the same time.
func (us *Service) RequestPasswordReset(ctx context.Context, email string) error {
	return us.request(ctx, MailRequest{Purpose: db.EmailTokenPurposeResetPassword, Email: email})
}

// live is the live user of email, or false.
func (us *Service) live(ctx context.Context, email string) (db.UserProfile, bool, error) {
	u, err := us.q.GetUserByEmailKey(ctx, auth.EmailKey(email))
	if errors.Is(err, pgx.ErrNoRows) {
		return db.UserProfile{}, false, nil
	}
	return u, err == nil, err
}

// mailTo puts one message into the outbox, in tx.
func (us *Service) mailTo(ctx context.Context, tx *store.Tx, template string, u db.UserProfile, to string, d mail.Data) error {
	d.Name = u.Name
	return us.mail.Outbox.Enqueue(ctx, tx, mail.Message{Template: template, To: to, Data: d, UserID: u.ID.String()}, nil)
}
