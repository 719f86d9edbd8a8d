-- +goose Up
-- When the address was proven to reach the user (a verification, a reset or a
-- confirmed change); null: never, or not since it last changed.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- A new column goes last, so the view can be replaced in place.
CREATE OR REPLACE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at
FROM users;

CREATE TYPE email_token_purpose AS ENUM ('verify_email', 'reset_password', 'change_email');

-- email_tokens are the secrets the service mails: a link token (256 random
-- bits) and a 6-digit code, both stored hashed, for one purpose. A token is
-- single use (used_at), and a newer one of the same user and purpose
-- supersedes it (used_at set too).
CREATE TABLE email_tokens (
    id              uuid                PRIMARY KEY,
    user_id         uuid                NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         email_token_purpose NOT NULL,
    -- The address it was sent to (for an email change, the new one), and its
    -- key (auth.EmailKey), by which the code path finds it.
    email           text                NOT NULL,
    email_key       text                NOT NULL,
    token_hash      bytea               NOT NULL UNIQUE,
    -- sha256 of the token's id and the code: a code is only worth something
    -- with its row.
    code_hash       bytea               NOT NULL,
    -- Wrong codes entered; at the limit the code is spent.
    attempts        int                 NOT NULL DEFAULT 0,
    -- For an email change: the session that asked, which survives the change.
    session_id      uuid,
    created_at      timestamptz         NOT NULL,
    expires_at      timestamptz         NOT NULL,
    code_expires_at timestamptz         NOT NULL,
    used_at         timestamptz
);

-- The code path: the newest live token of a purpose for an address.
CREATE INDEX email_tokens_code_idx ON email_tokens (purpose, email_key, created_at DESC) WHERE used_at IS NULL;
-- Superseding: the live tokens of a user and purpose.
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose) WHERE used_at IS NULL;
-- Pruning.
CREATE INDEX email_tokens_expires_idx ON email_tokens (expires_at);

-- +goose Down
DROP TABLE email_tokens;
DROP TYPE email_token_purpose;
DROP VIEW user_profiles;
CREATE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at
FROM users;
ALTER TABLE users DROP COLUMN email_verified_at;
