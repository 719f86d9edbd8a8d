-- name: CreateUser :one
-- Uniqueness of the address among live users comes from users_email_live_key:
-- a duplicate fails with SQLSTATE 23505, never a check first.
INSERT INTO users (id, email, name, role, password_hash)
VALUES (@id, @email, @name, @role, @password_hash)
RETURNING id, email, name, role, version, created_at, updated_at, deleted_at;

-- name: GetUserByID :one
-- Live users only: a soft-deleted user is not found.
SELECT * FROM user_profiles
WHERE id = @id AND deleted_at IS NULL;

-- name: GetCredentialsByEmail :one
-- The login query. With GetPasswordHashByID, the only readers of password_hash.
-- Deleted users are not found, so they take the same path as an unknown address.
SELECT id, role, password_hash
FROM users
WHERE lower(email) = lower(@email) AND deleted_at IS NULL;

-- name: GetPasswordHashByID :one
SELECT password_hash
FROM users
WHERE id = @id AND deleted_at IS NULL;

-- name: UpdatePasswordHash :execrows
-- Re-hashing on login does not count as an edit: version and updated_at stay.
-- The old hash must still be current, so a concurrent password change wins.
UPDATE users
SET password_hash = @new_hash
WHERE id = @id AND password_hash = @old_hash AND deleted_at IS NULL;
