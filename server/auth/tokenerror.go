package auth

import (
	"errors"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// TokenError is an access token that does not verify, and why: for the log
// only, never for the client, which gets the same answer whatever the reason.
// It matches ErrInvalidToken.
type TokenError struct {
	// Reason is one of malformed, too_long, unknown_key, bad_signature,
	// wrong_type, expired, not_yet_valid, wrong_issuer_or_audience and
	// invalid_claims.
	Reason string
	err    error
}

func (e *TokenError) Error() string { return "auth: invalid access token: " + e.Reason }

// Is makes a TokenError match ErrInvalidToken.
func (e *TokenError) Is(target error) bool { return target == ErrInvalidToken }

func (e *TokenError) Unwrap() error { return e.err }

// TokenFailure is why err refused a token, or "" when it is no TokenError.
func TokenFailure(err error) string {
	var te *TokenError
	if errors.As(err, &te) {
		return te.Reason
	}
	return ""
}

// why explains a token that failed to verify (err), looking at it again: the
// verification itself does not say which step failed. Only failures pay.
func (t *Tokens) why(token []byte, err error) *TokenError {
	reason := "invalid_claims"
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		reason = "expired"
	case errors.Is(err, jwt.TokenNotYetValidError()):
		reason = "not_yet_valid"
	case errors.Is(err, jwt.InvalidIssuerError()), errors.Is(err, jwt.InvalidAudienceError()):
		reason = "wrong_issuer_or_audience"
	case errors.Is(err, errWrongType):
		reason = "wrong_type"
	default:
		msg, perr := jws.Parse(token)
		switch {
		case perr != nil || len(msg.Signatures()) != 1:
			reason = "malformed"
		default:
			kid, _ := msg.Signatures()[0].ProtectedHeaders().KeyID()
			if _, ok := t.keys.public.LookupKeyID(kid); !ok {
				reason = "unknown_key"
			} else if errors.Is(err, errSignature) {
				reason = "bad_signature"
			}
		}
	}
	return &TokenError{Reason: reason, err: err}
}

var (
	// errWrongType is a token whose typ header is not ours.
	errWrongType = errors.New("wrong typ")
	// errSignature is a token jws.Verify refused.
	errSignature = errors.New("signature")
)
