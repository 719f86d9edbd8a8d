-- name: CreateUser :one
-- Uniqueness of the address among live users comes from
-- users_email_key_live_key: a duplicate fails with SQLSTATE 23505, never a
-- check first. email_key is auth.EmailKey of email. An admin may vouch for
-- the address (@email_verified).
INSERT INTO users (id, email, email_key, name, role, password_hash, email_verified_at)
VALUES (@id, @email, @email_key, @name, @role, @password_hash, CASE WHEN @email_verified::bool THEN now() END)
RETURNING id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at;

-- name: GetUserByID :one
-- Live users only: a soft-deleted user is not found.
SELECT * FROM user_profiles
WHERE id = @id AND deleted_at IS NULL;

-- name: GetCredentialsByEmail :one
-- The login query. With GetCredentialsByIDForShare and GetPasswordHashByID, the
-- only readers of password_hash.
-- Deleted users are not found, so they take the same path as an unknown address.
-- Disabled users are found, and their password verified like anyone's: only a
-- correct one learns that the account is disabled.
SELECT id, role, password_hash, (disabled_at IS NOT NULL)::boolean AS disabled,
       (email_verified_at IS NOT NULL)::boolean AS email_verified
FROM users
WHERE email_key = @email_key AND deleted_at IS NULL;

-- name: GetCredentialsByIDForShare :one
-- The re-read of a login at session start. The row stays locked FOR SHARE until
-- the session commits, so a password change, a demotion or a deletion either
-- committed before (and the login sees it) or waits for the session, and then
-- ends it with the others. Disabling the account likewise.
SELECT u.role, u.password_hash, (u.disabled_at IS NOT NULL)::boolean AS disabled,
       (u.email_verified_at IS NOT NULL)::boolean AS email_verified,
       EXISTS (SELECT 1 FROM mfa_totp f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)::boolean AS mfa_active
FROM users u
WHERE u.id = @id AND u.deleted_at IS NULL
FOR SHARE OF u;

-- name: GetMaxBcryptCost :one
-- The highest bcrypt cost among stored hashes (imported users not yet
-- re-hashed), 0 when there is none: a failed login is made to take as long as
-- verifying the slowest hash present.
SELECT coalesce(max(substr(password_hash, 5, 2)::int), 0)::int AS cost
FROM users
WHERE password_hash LIKE '$2_$__$%';

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

-- name: GetUserForUpdate :one
-- A live user, its row locked for the rest of the transaction.
SELECT * FROM user_profiles
WHERE id = @id AND deleted_at IS NULL
FOR UPDATE;

-- name: UserExists :one
-- Whether the id names any user, live or deleted.
SELECT EXISTS (SELECT 1 FROM users WHERE id = @id);

-- name: LockAdminChanges :exec
-- Serialises the transactions that may remove an enabled admin (demotion,
-- deletion, disabling), so that two of them cannot each leave the other as the
-- last one. Taken before any row lock, it cannot deadlock with them.
SELECT pg_advisory_xact_lock(hashtextextended('accounts.admins', 0));

-- name: CountEnabledAdmins :one
-- The admins who can act: live and not disabled. A disabled admin cannot log in,
-- so it does not count towards the last admin.
SELECT count(*) FROM users
WHERE role = 'admin' AND deleted_at IS NULL AND disabled_at IS NULL;

-- name: UpdateUser :one
-- A merge patch: a null argument leaves its column as it is. Every update moves
-- the version (and so the ETag) and updated_at. Uniqueness of a new address
-- comes from users_email_key_live_key; email_key comes with email. Disabling a
-- disabled user keeps the time it was first disabled.
UPDATE users
SET name        = coalesce(sqlc.narg(name), name),
    email       = coalesce(sqlc.narg(email), email),
    email_key   = coalesce(sqlc.narg(email_key), email_key),
    role        = coalesce(sqlc.narg(role)::user_role, role),
    disabled_at = CASE WHEN sqlc.narg(disabled)::bool IS NULL THEN disabled_at
                       WHEN sqlc.narg(disabled)::bool THEN coalesce(disabled_at, now())
                       END,
    -- A new address is unverified until proven, unless @email_verified says
    -- it was (a confirmed change).
    email_verified_at = CASE
        WHEN sqlc.narg(email_key)::text IS NOT NULL AND sqlc.narg(email_key)::text <> email_key
            THEN CASE WHEN @email_verified::bool THEN now() END
        ELSE email_verified_at END,
    version     = version + 1,
    updated_at  = now()
WHERE id = @id AND deleted_at IS NULL
RETURNING id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at;

-- name: SetPasswordHash :execrows
-- A password change is a change of the account: version and updated_at move.
-- With old_hash, only while that hash is still the current one: of two
-- changes that checked the same current password, the second changes nothing.
UPDATE users
SET password_hash = @password_hash,
    version       = version + 1,
    updated_at    = now()
WHERE id = @id AND deleted_at IS NULL
  AND (sqlc.narg(old_hash)::text IS NULL OR password_hash = sqlc.narg(old_hash)::text);

-- name: SoftDeleteUser :execrows
-- The row stays for audit; the address is free again (users_email_key_live_key
-- covers live users only).
UPDATE users
SET deleted_at = now(),
    version    = version + 1,
    updated_at = now()
WHERE id = @id AND deleted_at IS NULL;

-- name: RestoreUser :one
-- Fails with a unique violation of users_email_key_live_key when a live user
-- has taken the address meanwhile.
UPDATE users
SET deleted_at = NULL,
    version    = version + 1,
    updated_at = now()
WHERE id = @id AND deleted_at IS NOT NULL
RETURNING id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at;

-- name: ListUsersNewestFirst :many
-- A page of users by keyset over (created_at, id), newest first. Every filter is
-- optional (null: no filter); @deleted picks live or deleted users, @disabled
-- (when given) disabled or enabled ones; the after_* pair is the last row of
-- the previous page. The filters fold into a custom plan (their arguments are
-- constants at plan time), so each combination uses its index: see
-- 0001_users.sql, 0012_user_disabled.sql and TestEveryListingUsesItsIndex.
-- Prefix search has its own queries below.
SELECT * FROM user_profiles
WHERE (CASE WHEN @deleted::bool THEN deleted_at IS NOT NULL ELSE deleted_at IS NULL END)
  AND (sqlc.narg(email_key)::text IS NULL OR email_key = sqlc.narg(email_key)::text)
  AND (sqlc.narg(role)::user_role IS NULL OR role = sqlc.narg(role)::user_role)
  AND (CASE WHEN sqlc.narg(disabled)::bool IS NULL THEN true
            WHEN sqlc.narg(disabled)::bool THEN disabled_at IS NOT NULL
            ELSE disabled_at IS NULL END)
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: ListUsersOldestFirst :many
-- ListUsersNewestFirst in the other direction.
SELECT * FROM user_profiles
WHERE (CASE WHEN @deleted::bool THEN deleted_at IS NOT NULL ELSE deleted_at IS NULL END)
  AND (sqlc.narg(email_key)::text IS NULL OR email_key = sqlc.narg(email_key)::text)
  AND (sqlc.narg(role)::user_role IS NULL OR role = sqlc.narg(role)::user_role)
  AND (CASE WHEN sqlc.narg(disabled)::bool IS NULL THEN true
            WHEN sqlc.narg(disabled)::bool THEN disabled_at IS NOT NULL
            ELSE disabled_at IS NULL END)
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (created_at, id) > (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at ASC, id ASC
LIMIT @page_size;

-- name: ListUsersByPrefix :many
-- ListUsersNewestFirst (or, with @oldest_first, ListUsersOldestFirst) for the
-- users whose address or name starts with @pattern (a LIKE prefix pattern,
-- already escaped). The matches are found first through the two prefix indexes,
-- then ordered: the planner cannot estimate a prefix below about 1% of the
-- table, and would otherwise walk created_at filtering every row, the whole
-- table for a rare prefix. The cost follows the number of matches, never the
-- depth of the page. As the matches are sorted anyway, one query serves both
-- directions.
WITH matches AS MATERIALIZED (
    SELECT * FROM user_profiles
    WHERE (lower(email) LIKE lower(@pattern::text) OR lower(name) LIKE lower(@pattern::text))
      AND (CASE WHEN @deleted::bool THEN deleted_at IS NOT NULL ELSE deleted_at IS NULL END)
      AND (sqlc.narg(email_key)::text IS NULL OR email_key = sqlc.narg(email_key)::text)
      AND (sqlc.narg(role)::user_role IS NULL OR role = sqlc.narg(role)::user_role)
      AND (CASE WHEN sqlc.narg(disabled)::bool IS NULL THEN true
                WHEN sqlc.narg(disabled)::bool THEN disabled_at IS NOT NULL
                ELSE disabled_at IS NULL END)
)
SELECT * FROM matches
WHERE sqlc.narg(after_created_at)::timestamptz IS NULL
   OR (@oldest_first::bool
       AND (created_at, id) > (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
   OR (NOT @oldest_first::bool
       AND (created_at, id) < (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY CASE WHEN @oldest_first::bool THEN created_at END ASC,
         CASE WHEN @oldest_first::bool THEN id END ASC,
         created_at DESC, id DESC
LIMIT @page_size;

-- name: MarkEmailVerified :one
-- The address is proven to reach the user. A verification does not count as an
-- edit of the account for the ETag when it was already verified.
UPDATE users
SET email_verified_at = coalesce(email_verified_at, now()),
    version           = version + (email_verified_at IS NULL)::int,
    updated_at        = CASE WHEN email_verified_at IS NULL THEN now() ELSE updated_at END
WHERE id = @id AND deleted_at IS NULL
RETURNING id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at;

-- name: GetUserByEmailKey :one
-- The live user of an address, for the mail flows.
SELECT * FROM user_profiles
WHERE email_key = @email_key AND deleted_at IS NULL;
