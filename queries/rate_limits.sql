-- name: TakeRateLimit :one
-- One attempt against a GCRA bucket, in one statement: a new key starts full;
-- an existing one is moved on by interval_seconds when it is at most
-- slack_seconds (the period less one interval) ahead of now, so that after
-- the attempt it is at most one period ahead. No row: the attempt is refused (see
-- GetRateLimit for how long to wait).
INSERT INTO rate_limits (key, tat)
VALUES (@key, now() + make_interval(secs => @interval_seconds::float8))
ON CONFLICT (key) DO UPDATE
SET tat = greatest(rate_limits.tat, now()) + make_interval(secs => @interval_seconds::float8)
WHERE greatest(rate_limits.tat, now()) <= now() + make_interval(secs => @slack_seconds::float8)
RETURNING tat, now()::timestamptz AS now;

-- name: GetRateLimit :one
SELECT tat, now()::timestamptz AS now
FROM rate_limits
WHERE key = @key;

-- name: DeleteFullRateLimits :execrows
-- A bucket whose tat has passed is full, as good as no row.
DELETE FROM rate_limits
WHERE key IN (SELECT key FROM rate_limits WHERE tat < now() LIMIT @batch FOR UPDATE SKIP LOCKED);

-- name: GetLoginFailures :one
SELECT failures, blocked_until, now()::timestamptz AS now
FROM login_failures
WHERE key = @key;

-- name: TakeLoginAttempt :one
-- Counts one attempt of key as a failure before it is made (a success then
-- deletes the run), unless key must still wait: then no row. From the
-- after-th failure on, the attempt blocks the next one at once for the delay
-- its own failure earns (base_seconds, doubling, at most cap_seconds), so
-- that attempts made at the same time cannot all go through.
INSERT INTO login_failures AS f (key, failures, blocked_until)
VALUES (@key, 1, CASE WHEN @after::int <= 1 THEN now() + interval '1 second' * @base_seconds::float8 END)
ON CONFLICT (key) DO UPDATE
SET failures = f.failures + 1,
    updated_at = now(),
    blocked_until = CASE
        WHEN f.failures + 1 >= @after::int
        THEN now() + interval '1 second' * least(@cap_seconds::float8, power(2, least(f.failures + 1 - @after::int, 30)) * @base_seconds::float8)
        ELSE f.blocked_until
    END
WHERE f.blocked_until IS NULL OR f.blocked_until <= now()
RETURNING f.failures;

-- name: DeleteLoginFailures :exec
-- A success ends the run of failures.
DELETE FROM login_failures
WHERE key = @key;

-- name: DeleteStaleLoginFailures :execrows
-- Failures not added to for age_seconds are forgotten.
DELETE FROM login_failures
WHERE key IN (SELECT key FROM login_failures
              WHERE updated_at < now() - make_interval(secs => @age_seconds::float8)
              LIMIT @batch FOR UPDATE SKIP LOCKED);
