-- name: CreateAuditEvent :exec
-- Written inside the transaction of the change it records.
INSERT INTO audit_events (id, action, actor_id, actor_role, target_id, session_id, ip, user_agent, request_id, details)
VALUES (@id, @action, sqlc.narg(actor_id), sqlc.narg(actor_role), sqlc.narg(target_id), sqlc.narg(session_id),
        sqlc.narg(ip), @user_agent, @request_id, @details);

-- name: ListAuditEvents :many
-- A page of events by keyset over (occurred_at, id), newest first. Every filter
-- is optional (null, or no actions: no filter); since is inclusive, until
-- exclusive; the after pair is the last row of the previous page. As for the
-- users, the filters fold into a custom plan, each served by its index (see
-- TestEveryAuditListingUsesItsIndex).
SELECT * FROM audit_events
WHERE (sqlc.narg(actor_id)::uuid IS NULL OR actor_id = sqlc.narg(actor_id)::uuid)
  AND (sqlc.narg(target_id)::uuid IS NULL OR target_id = sqlc.narg(target_id)::uuid)
  AND (cardinality(@actions::text[]) = 0 OR action = ANY(@actions::text[]))
  AND (sqlc.narg(since)::timestamptz IS NULL OR occurred_at >= sqlc.narg(since)::timestamptz)
  AND (sqlc.narg(until)::timestamptz IS NULL OR occurred_at < sqlc.narg(until)::timestamptz)
  AND (sqlc.narg(after_at)::timestamptz IS NULL
       OR (occurred_at, id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT @page_size;

-- name: DeleteOldAuditEvents :execrows
-- Deletes up to batch events older than retention_seconds.
DELETE FROM audit_events
WHERE id IN (SELECT id FROM audit_events
             WHERE occurred_at < now() - make_interval(secs => @retention_seconds::float8)
             LIMIT @batch FOR UPDATE SKIP LOCKED);
