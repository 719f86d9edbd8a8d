-- name: SupersedeEmailTokens :exec
-- A newer token of a user and purpose spends the older ones, but for one
-- that a transaction is spending at this moment (SKIP LOCKED): that one is
-- used by it, or checked against the user's address again, which an admin's
-- change has moved. Waiting for it would deadlock an admin's change of the
-- address (user, then tokens) with that verification (token, then user).
UPDATE email_tokens
SET used_at = @now::timestamptz
WHERE id IN (SELECT t.id FROM email_tokens t
             WHERE t.user_id = @user_id AND t.purpose = @purpose AND t.used_at IS NULL
             FOR UPDATE SKIP LOCKED);

-- name: CreateEmailToken :exec
INSERT INTO email_tokens (id, user_id, purpose, email, email_key, token_hash, code_hash, session_id,
                          created_at, expires_at, code_expires_at)
VALUES (@id, @user_id, @purpose, @email, @email_key, @token_hash, @code_hash, sqlc.narg(session_id),
        @now, @expires_at, @code_expires_at);

-- name: GetEmailTokenByHashForUpdate :one
-- A link's token, live or not (the caller tells spent from expired), locked
-- so that two uses of one link serialise.
SELECT * FROM email_tokens
WHERE token_hash = @token_hash AND purpose = @purpose
FOR UPDATE;

-- name: GetNewestEmailTokenForUpdate :one
-- The code path: the newest live token of a purpose sent to an address.
SELECT * FROM email_tokens
WHERE purpose = @purpose AND email_key = @email_key AND used_at IS NULL
ORDER BY created_at DESC
LIMIT 1
FOR UPDATE;

-- name: CountEmailTokenAttempt :exec
-- A wrong code; at the limit the caller treats the code as spent.
UPDATE email_tokens
SET attempts = attempts + 1
WHERE id = @id;

-- name: UseEmailToken :execrows
UPDATE email_tokens
SET used_at = @now::timestamptz
WHERE id = @id AND used_at IS NULL;

-- name: DeleteOldEmailTokens :execrows
-- Tokens a day past their expiry, in batches.
DELETE FROM email_tokens
WHERE id IN (SELECT id FROM email_tokens
             WHERE expires_at < now() - interval '1 day'
             LIMIT @batch FOR UPDATE SKIP LOCKED);
