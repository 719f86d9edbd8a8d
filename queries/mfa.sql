-- name: UpsertPendingTOTP :exec
-- A new enrolment replaces a pending one, and leaves an active factor alone
-- until it is confirmed.
INSERT INTO mfa_totp (user_id, pending_secret)
VALUES (@user_id, @pending_secret)
ON CONFLICT (user_id) DO UPDATE SET pending_secret = EXCLUDED.pending_secret;

-- name: GetTOTPForUpdate :one
SELECT user_id, secret, pending_secret, confirmed_at, last_step
FROM mfa_totp
WHERE user_id = @user_id
FOR UPDATE;

-- name: ConfirmTOTP :exec
-- The pending secret becomes the factor; @step, the step of its first code,
-- is spent.
UPDATE mfa_totp
SET secret = pending_secret, pending_secret = NULL, confirmed_at = now(), last_step = @step
WHERE user_id = @user_id AND pending_secret IS NOT NULL;

-- name: SetTOTPLastStep :exec
UPDATE mfa_totp
SET last_step = @step
WHERE user_id = @user_id;

-- name: DeleteTOTP :execrows
DELETE FROM mfa_totp WHERE user_id = @user_id;

-- name: HasActiveFactor :one
SELECT EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = @user_id AND confirmed_at IS NOT NULL)::boolean AS active;

-- name: DeleteRecoveryCodes :exec
DELETE FROM mfa_recovery_codes WHERE user_id = @user_id;

-- name: CreateRecoveryCodes :exec
-- All of a user's new codes in one statement.
INSERT INTO mfa_recovery_codes (user_id, code_hash)
SELECT @user_id, unnest(@code_hashes::bytea[]);

-- name: UseRecoveryCode :execrows
UPDATE mfa_recovery_codes
SET used_at = now()
WHERE user_id = @user_id AND code_hash = @code_hash AND used_at IS NULL;

-- name: CountRecoveryCodes :one
SELECT count(*) FILTER (WHERE used_at IS NULL)::int AS remaining
FROM mfa_recovery_codes
WHERE user_id = @user_id;

-- name: ElevateSession :execrows
-- A second factor verified: the session is at aal2 from now on, with the
-- method added, and its refresh tokens so far are spent (the pair the
-- verification returns replaces them). Only a live session: not revoked, not
-- past its lifetime, not idle (what a refresh of it would refuse).
UPDATE sessions
SET aal = 2, amr = CASE WHEN @method::text = ANY (amr) THEN amr ELSE amr || @method::text END
WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL
  AND expires_at > now()
  AND last_used_at > now() - make_interval(secs => @idle_timeout_seconds::float8);

-- name: SpendSessionRefreshTokens :exec
-- Every refresh token of the session so far is spent for good: presented
-- again, even within the reuse leeway of a raced refresh, it is a reuse (its
-- session ends), so no token from before a step-up mints a pair after it.
UPDATE refresh_tokens
SET used_at = coalesce(used_at, now()), replayed_at = now()
WHERE session_id = @session_id AND replayed_at IS NULL;

-- name: GetSessionAssurance :one
SELECT s.aal, s.amr, u.role, (u.email_verified_at IS NOT NULL)::boolean AS email_verified
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = @id;
