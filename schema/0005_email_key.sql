-- +goose Up
-- email_key: the address as it is compared (auth.EmailKey: Unicode normal form C,
-- then full case folding, in Go rather than by the database's locale). Migration
-- 6 (Go, schema/email_key.go) fills it for existing rows and reports addresses
-- that turn out to be one; migration 7 makes it the unique key.
ALTER TABLE users ADD COLUMN email_key text;

-- +goose Down
ALTER TABLE users DROP COLUMN email_key;
