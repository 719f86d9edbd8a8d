package users

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/store"
)

// Verification is how addresses are verified.
type Verification string

// The verification modes.
const (
	// VerificationOff sends no verification mail.
	VerificationOff Verification = "off"
	// VerificationOptional verifies addresses by mail; logins work without.
	VerificationOptional Verification = "optional"
	// VerificationRequired refuses the login of an unverified address (after
	// a correct password) with ErrEmailNotVerified.
	VerificationRequired Verification = "required"
)

var (
	// ErrMailOff: the email flows are off (no SMTP server is configured).
	ErrMailOff = errors.New("users: the email flows are off")
	// ErrTokenInvalid: a link token or code that is unknown, spent, superseded,
	// expired, or past its attempts. Which one is never told.
	ErrTokenInvalid = errors.New("users: the link or code is invalid, expired or used")
	// ErrEmailNotVerified: a correct password for an unverified address while
	// verification is required.
	ErrEmailNotVerified = errors.New("users: the email address is not verified")
	// ErrEmailChangeNeedsConfirmation: a self-service change of the address,
	// which goes through RequestEmailChange while the email flows are on.
	ErrEmailChangeNeedsConfirmation = errors.New("users: an email change must be confirmed from the new address")
)

// Outbox inserts jobs in a transaction: the mails, and the requests that may
// cause them (outbox.Queue).
type Outbox interface {
	Enqueue(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// MailOptions configure the email flows; a nil Outbox turns them off.
type MailOptions struct {
	Outbox       Outbox
	Links        mail.Links
	Verification Verification
	// Budget limits the mails of each purpose to one address (scope
	// ratelimit.ScopeMailAddress); a request past it sends nothing. A mail is
	// taken from it in the transaction that enqueues the mail.
	Budget ratelimit.TxLimiter
}

// The lifetimes of what the mails carry, and the wrong codes allowed.
const (
	verifyLinkTTL = 24 * time.Hour
	resetTTL      = 30 * time.Minute
	changeLinkTTL = 24 * time.Hour
	codeTTL       = 15 * time.Minute
	maxAttempts   = 5
)

// mailOn reports whether the email flows are on.
func (us *Service) mailOn() bool { return us.mail.Outbox != nil }

// now is the clock of mail tokens and second-factor codes.
func (us *Service) now() time.Time {
	if us.clock != nil {
		return us.clock()
	}
	return time.Now()
}

// random is the source of tokens, codes and secrets.
func (us *Service) random() io.Reader {
	if us.rand != nil {
		return us.rand
	}
	return rand.Reader
}

// Secret is how a user proves they read a mail: the link's token, or the
// address and the code.
type Secret struct {
	Token       string
	Email, Code string
}

// check says what is missing from s.
func (s Secret) check() error {
	switch {
	case s.Token != "" && s.Email == "" && s.Code == "":
		return nil
	case s.Token == "" && s.Email != "" && s.Code != "":
		return nil
	}
	return FieldErrors{{Field: "token", Reason: "give either token, or email and code"}}
}

// issued is a new token: what its mail shows.
type issued struct {
	link, code           string
	expires, codeExpires time.Duration
}

// mailData is what the token's mail shows of it: the link, the code, and how
// long each stays valid.
func (t issued) mailData() mail.Data {
	d := mail.Data{Link: t.link, Code: t.code, Expires: mail.Lifetime(t.expires)}
	if t.codeExpires < t.expires {
		d.CodeExpires = mail.Lifetime(t.codeExpires)
	}
	return d
}

// issueToken supersedes the user's live tokens of purpose and stores a new
// one sent to email, in tx; session is kept by an email change.
func (us *Service) issueToken(ctx context.Context, tx *store.Tx, user uuid.UUID, purpose db.EmailTokenPurpose, email string,
	ttl time.Duration, session *uuid.UUID, page string) (issued, error) {
	src := us.random()
	tok, err := auth.NewOpaqueToken(src)
	if err != nil {
		return issued{}, err
	}
	n, err := rand.Int(src, big.NewInt(1_000_000))
	if err != nil {
		return issued{}, err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	id, err := uuid.NewV7()
	if err != nil {
		return issued{}, err
	}
	now := us.now()
	if err := tx.SupersedeEmailTokens(ctx, db.SupersedeEmailTokensParams{UserID: user, Purpose: purpose, Now: now}); err != nil {
		return issued{}, err
	}
	err = tx.CreateEmailToken(ctx, db.CreateEmailTokenParams{
		ID: id, UserID: user, Purpose: purpose, Email: email, EmailKey: auth.EmailKey(email),
		TokenHash: tok.Hash[:], CodeHash: codeHash(id, code), SessionID: session,
		Now: now, ExpiresAt: now.Add(ttl), CodeExpiresAt: now.Add(min(ttl, codeTTL)),
	})
	if err != nil {
		return issued{}, fmt.Errorf("storing the token: %w", err)
	}
	return issued{link: us.mail.Links.For(page, tok.Text), code: code, expires: ttl, codeExpires: min(ttl, codeTTL)}, nil
}

// codeHash binds a code to its row.
func codeHash(id uuid.UUID, code string) []byte {
	h := sha256.Sum256(append(id[:], code...))
	return h[:]
}

// withToken spends the live token of purpose that s names and runs fn with
// it, in one transaction: the token is spent if and only if fn's change
// commits. A wrong code counts against the newest token of the address.
func (us *Service) withToken(ctx context.Context, purpose db.EmailTokenPurpose, s Secret, fn func(*store.Tx, db.EmailToken) error) error {
	return us.tokenTx(ctx, s, func(tx *store.Tx) error {
		t, err := us.find(ctx, tx, purpose, s)
		if err != nil {
			return err
		}
		n, err := tx.UseEmailToken(ctx, db.UseEmailTokenParams{ID: t.ID, Now: us.now()})
		if err != nil {
			return err
		}
		if n != 1 {
			return ErrTokenInvalid
		}
		return fn(tx, t)
	})
}

// tokenOwner is the live user that the live token of purpose named by s was
// mailed to, without spending the token; a wrong code counts as withToken's.
func (us *Service) tokenOwner(ctx context.Context, purpose db.EmailTokenPurpose, s Secret) (db.UserProfile, error) {
	var u db.UserProfile
	err := us.tokenTx(ctx, s, func(tx *store.Tx) error {
		t, err := us.find(ctx, tx, purpose, s)
		if err != nil {
			return err
		}
		u, err = tokenUser(ctx, tx, t)
		return err
	})
	return u, err
}

// tokenTx runs fn, which first looks up the token s names (find), in a
// transaction. A wrong code, which find has counted against its token in that
// transaction, commits the count (and nothing else: fn returns at once) and
// answers ErrTokenInvalid.
func (us *Service) tokenTx(ctx context.Context, s Secret, fn func(*store.Tx) error) error {
	if !us.mailOn() {
		return ErrMailOff
	}
	if err := s.check(); err != nil {
		return err
	}
	wrong := false
	err := store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		err := fn(tx)
		if errors.Is(err, errWrongCode) {
			wrong = true
			return nil
		}
		return err
	})
	if err == nil && wrong {
		return ErrTokenInvalid
	}
	return err
}

// errWrongCode is a code that did not match the newest token of its address,
// counted against that token in the caller's transaction.
var errWrongCode = errors.New("users: wrong code")

// find locks the live token of purpose that s names, in tx: ErrTokenInvalid
// when there is none. A wrong code is counted against the token, under its
// lock (errWrongCode): concurrent guesses see each other's counts, so a token
// takes maxAttempts of them in all.
func (us *Service) find(ctx context.Context, tx *store.Tx, purpose db.EmailTokenPurpose, s Secret) (db.EmailToken, error) {
	now := us.now()
	var t db.EmailToken
	var err error
	if s.Token != "" {
		h := auth.HashOpaqueToken(s.Token)
		t, err = tx.GetEmailTokenByHashForUpdate(ctx, db.GetEmailTokenByHashForUpdateParams{TokenHash: h[:], Purpose: purpose})
		if err == nil && (t.UsedAt != nil || !now.Before(t.ExpiresAt)) {
			return db.EmailToken{}, ErrTokenInvalid
		}
	} else {
		email, nerr := auth.NormalizeEmail(s.Email)
		if nerr != nil {
			return db.EmailToken{}, FieldErrors{{Field: "email", Reason: nerr.Error()}}
		}
		t, err = tx.GetNewestEmailTokenForUpdate(ctx, db.GetNewestEmailTokenForUpdateParams{Purpose: purpose, EmailKey: auth.EmailKey(email)})
		if err == nil {
			switch {
			case t.Attempts >= maxAttempts || !now.Before(t.CodeExpiresAt):
				return db.EmailToken{}, ErrTokenInvalid
			case subtle.ConstantTimeCompare(codeHash(t.ID, s.Code), t.CodeHash) != 1:
				if err := tx.CountEmailTokenAttempt(ctx, t.ID); err != nil {
					return db.EmailToken{}, err
				}
				return db.EmailToken{}, errWrongCode
			}
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return db.EmailToken{}, ErrTokenInvalid
	}
	return t, err
}

// tokenUser locks the live user that t was mailed to: ErrTokenInvalid when
// the user is gone or the address is no longer the one mailed; a database
// failure as it is (an outage, not a bad token).
func tokenUser(ctx context.Context, tx *store.Tx, t db.EmailToken) (db.UserProfile, error) {
	u, err := lockUser(ctx, tx, t.UserID)
	switch {
	case errors.Is(err, ErrNotFound):
		return db.UserProfile{}, ErrTokenInvalid
	case err != nil:
		return db.UserProfile{}, err
	case u.EmailKey != t.EmailKey:
		return db.UserProfile{}, ErrTokenInvalid
	}
	return u, nil
}

// withinBudget takes one mail of purpose to email from its budget, in tx: false
// when it is spent, and nothing is sent. Unknown addresses spend theirs alike.
// The mail is taken only if tx commits, and on tx's connection: a second one
// while tx holds its own could wait for ever on a full pool.
func (us *Service) withinBudget(ctx context.Context, tx *store.Tx, purpose db.EmailTokenPurpose, email string) (bool, error) {
	if us.mail.Budget == nil {
		return true, nil
	}
	key := sha256.Sum256([]byte(string(purpose) + "\x00" + auth.EmailKey(email)))
	d, err := us.mail.Budget.AllowIn(ctx, tx.Queries, ratelimit.Key{Scope: ratelimit.ScopeMailAddress, Value: hex.EncodeToString(key[:16])})
	return d.Allowed, err
}

// PruneEmailTokens deletes the tokens a day past their expiry, in batches,
// and returns how many.
func (us *Service) PruneEmailTokens(ctx context.Context) (int64, error) {
	return store.PruneInBatches(ctx, us.q.DeleteOldEmailTokens)
}
