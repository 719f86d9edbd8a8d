-- +goose Up
CREATE TYPE user_role AS ENUM ('user', 'admin');

-- users holds every account. A soft-deleted user keeps its row (deleted_at set) for
-- audit; it disappears from every read and frees its email for a new account.
CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    role          user_role   NOT NULL DEFAULT 'user',
    -- A PHC string (argon2id) or a bcrypt hash of an imported user.
    password_hash text        NOT NULL,
    -- version increases with every update; the ETag is derived from it.
    version       bigint      NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);

-- One live account per address, compared case-insensitively. Deleted users do not
-- count, so deleting a user frees its address.
CREATE UNIQUE INDEX users_email_live_key ON users (lower(email)) WHERE deleted_at IS NULL;

-- Keyset pagination over (created_at, id), one index per listing.
CREATE INDEX users_live_created_idx ON users (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX users_deleted_created_idx ON users (created_at, id) WHERE deleted_at IS NOT NULL;
CREATE INDEX users_role_created_idx ON users (role, created_at, id);

-- Exact and prefix search on email and name, live and deleted users alike.
CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops);
CREATE INDEX users_name_prefix_idx ON users (lower(name) text_pattern_ops);

-- user_profiles is a user without the password hash: what every query returns,
-- except the ones that verify a password.
CREATE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at
FROM users;

-- +goose Down
DROP VIEW user_profiles;
DROP TABLE users;
DROP TYPE user_role;
