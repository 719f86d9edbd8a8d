-- +goose Up
-- The assurance of a session: aal 1 after a password, 2 after a second factor
-- too; amr lists the methods used (RFC 8176: pwd, otp; rc for a recovery code).
-- A refresh keeps them.
ALTER TABLE sessions
    ADD COLUMN aal smallint NOT NULL DEFAULT 1 CHECK (aal IN (1, 2)),
    ADD COLUMN amr text[]   NOT NULL DEFAULT '{pwd}';

-- mfa_totp: a user's TOTP factor (RFC 6238). secret is the active one (null
-- until a first enrolment is confirmed); pending_secret an enrolment waiting
-- for its first code, which replaces the active one only once confirmed. Both
-- are sealed with the encryption key set (ACCOUNTS_ENCRYPTION_KEYS,
-- server/secrets), the user id as associated data. last_step is the time step
-- of the last code accepted, so that a code is good once.
CREATE TABLE mfa_totp (
    user_id        uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         bytea,
    pending_secret bytea,
    confirmed_at   timestamptz,
    last_step      bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((secret IS NULL) = (confirmed_at IS NULL))
);

-- mfa_recovery_codes: the single-use codes of a user with an active factor.
-- Each has 60 random bits, so a plain SHA-256 is enough to store it: no slow
-- hash is needed against guessing what is already unguessable.
CREATE TABLE mfa_recovery_codes (
    user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea       NOT NULL CHECK (octet_length(code_hash) = 32),
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- +goose Down
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_totp;
ALTER TABLE sessions DROP COLUMN amr, DROP COLUMN aal;
