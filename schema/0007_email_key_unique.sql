-- +goose Up
-- One live account per address, compared by email_key. Deleted users do not
-- count, so deleting a user frees its address.
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
CREATE UNIQUE INDEX users_email_key_live_key ON users (email_key) WHERE deleted_at IS NULL;
-- Exact search by address among deleted users too.
CREATE INDEX users_email_key_idx ON users (email_key);
DROP INDEX users_email_live_key;
-- Listings filter the profiles by email_key.
CREATE OR REPLACE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key
FROM users;

-- +goose Down
DROP VIEW user_profiles;
CREATE VIEW user_profiles AS
SELECT id, email, name, role, version, created_at, updated_at, deleted_at
FROM users;
CREATE UNIQUE INDEX users_email_live_key ON users (lower(email)) WHERE deleted_at IS NULL;
DROP INDEX users_email_key_idx;
DROP INDEX users_email_key_live_key;
ALTER TABLE users ALTER COLUMN email_key DROP NOT NULL;
