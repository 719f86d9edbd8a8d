-- name: CreateSession :exec
-- The absolute lifetime runs on the database's clock, like every other session time.
INSERT INTO sessions (id, user_id, expires_at, user_agent, ip)
VALUES (@id, @user_id, now() + make_interval(secs => @lifetime_seconds::float8), @user_agent, @ip);

-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (token_hash, session_id)
VALUES (@token_hash, @session_id);

-- name: GetRefreshTokenForUpdate :one
-- Locks the token row, so that concurrent refreshes of one token serialize: the
-- second sees used_at set by the first. The session and its user come along for
-- the expiry, revocation and role checks. (Deleting or disabling a user revokes
-- its sessions; user_deleted and user_disabled refuse them all the same.)
SELECT rt.used_at, rt.replayed_at,
       s.id AS session_id, s.user_id, s.expires_at, s.last_used_at, s.revoked_at,
       u.role, (u.deleted_at IS NOT NULL)::boolean AS user_deleted,
       (u.disabled_at IS NOT NULL)::boolean AS user_disabled,
       (u.email_verified_at IS NOT NULL)::boolean AS email_verified,
       s.aal, s.amr,
       EXISTS (SELECT 1 FROM mfa_totp f WHERE f.user_id = s.user_id AND f.confirmed_at IS NOT NULL)::boolean AS mfa_active,
       now()::timestamptz AS now
FROM refresh_tokens rt
JOIN sessions s ON s.id = rt.session_id
JOIN users u ON u.id = s.user_id
WHERE rt.token_hash = @token_hash
FOR UPDATE OF rt;

-- name: MarkRefreshTokenUsed :exec
UPDATE refresh_tokens
SET used_at = now()
WHERE token_hash = @token_hash AND used_at IS NULL;

-- name: MarkRefreshTokenReplayed :exec
-- The one replay a used token gets within the reuse leeway.
UPDATE refresh_tokens
SET replayed_at = now()
WHERE token_hash = @token_hash AND replayed_at IS NULL;

-- name: TouchSession :exec
UPDATE sessions
SET last_used_at = now()
WHERE id = @id;

-- name: ListLiveSessionsByUser :many
-- The caller's live sessions, newest first: not revoked, not past expires_at, and
-- used within the idle timeout.
SELECT id, created_at, last_used_at, user_agent, ip
FROM sessions
WHERE user_id = @user_id
  AND revoked_at IS NULL
  AND expires_at > now()
  AND last_used_at > now() - make_interval(secs => @idle_timeout_seconds::float8)
ORDER BY created_at DESC, id DESC;

-- name: LockUnendedSession :one
-- A session of a user that has been neither revoked nor outlived, locked
-- against its revocation until the caller's transaction ends.
SELECT id FROM sessions
WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL AND expires_at > now()
FOR SHARE;

-- name: RevokeSession :execrows
-- Revokes one live session of one user; zero rows means not found (or not theirs).
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL;

-- name: RevokeUserSessions :many
-- Revokes every live session of a user, except @keep_id when it is given, and
-- returns the ids it revoked.
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE user_id = @user_id
  AND revoked_at IS NULL
  AND (sqlc.narg(keep_id)::uuid IS NULL OR id <> sqlc.narg(keep_id)::uuid)
RETURNING id;

-- name: RevokeSessionByID :exec
-- Revokes a session whatever its owner: refresh-token reuse ends the session the
-- token belongs to.
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE id = @id AND revoked_at IS NULL;

-- name: ListRevokedSessionsSince :many
-- Feeds each replica's revocation set: sessions revoked at or after @since.
SELECT id, revoked_at::timestamptz AS revoked_at
FROM sessions
WHERE revoked_at >= @since::timestamptz;

-- name: DeleteEndedSessions :execrows
-- Deletes, with their refresh tokens, up to @batch sessions that were revoked or
-- expired more than @retention_seconds ago. Both conditions are indexed. The
-- retention must outlast the revocation window, which replicas read back from
-- revoked_at. A session that ended by going idle is deleted once it expires.
DELETE FROM sessions
WHERE id IN (
    SELECT id FROM sessions
    WHERE revoked_at < now() - make_interval(secs => @retention_seconds::float8)
       OR expires_at < now() - make_interval(secs => @retention_seconds::float8)
    LIMIT @batch
    FOR UPDATE SKIP LOCKED
);
