-- +goose Up
-- sessions: one per login. A session lives until expires_at (absolute lifetime), or
-- until it goes unused for the idle timeout, or until it is revoked.
CREATE TABLE sessions (
    id            uuid        PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Updated on refresh, not on every request.
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text,
    user_agent    text        NOT NULL DEFAULT '',
    ip            inet,
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);

CREATE INDEX sessions_user_live_idx ON sessions (user_id, created_at) WHERE revoked_at IS NULL;
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- refresh_tokens: only the SHA-256 of each token is stored. A used token is kept
-- for as long as its session, so that presenting it again is detected as reuse.
CREATE TABLE refresh_tokens (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Every replica keeps an in-memory set of revoked sessions, fed by this channel,
-- so that the bearer authenticator never queries the database. The trigger fires
-- for every way a session can be revoked; NOTIFY is delivered at commit.
-- +goose StatementBegin
CREATE FUNCTION notify_session_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('accounts_session_revoked', NEW.id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER sessions_revoked_notify
    AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION notify_session_revoked();

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP FUNCTION notify_session_revoked();
