-- +goose Up
-- disabled_at: when an admin disabled the account; NULL while it is enabled. A
-- disabled user keeps its row, its address and its data, but has no live session
-- (disabling ends them in the same transaction) and cannot log in: a correct
-- password answers 403 ACCOUNT_DISABLED. Adding a nullable column without a
-- default rewrites nothing.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- GET /users?disabled=true: the few disabled live users, by keyset over
-- (created_at, id). disabled=false is nearly every live user, served by
-- users_live_created_idx.
CREATE INDEX users_disabled_created_idx ON users (created_at, id)
    WHERE disabled_at IS NOT NULL AND deleted_at IS NULL;

-- Listings and reads show whether a user is disabled. A new column goes last, so
-- the view can be replaced in place.
CREATE OR REPLACE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at
FROM users;

-- +goose Down
DROP VIEW user_profiles;
CREATE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key
FROM users;
DROP INDEX users_disabled_created_idx;
ALTER TABLE users DROP COLUMN disabled_at;
