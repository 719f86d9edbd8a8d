-- +goose Up
-- audit_events: who did what to which account, from where, and when. Each row
-- is written in the transaction of the change it records, so it exists if and
-- only if the change committed (a failed login, which changes nothing, is
-- written on its own). details holds a small object (old and new role, which
-- fields changed), never the value of a secret. Rows older than
-- ACCOUNTS_AUDIT_RETENTION are pruned.
CREATE TABLE audit_events (
    id          uuid        PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    action      text        NOT NULL,
    actor_id    uuid,
    actor_role  user_role,
    target_id   uuid,
    session_id  uuid,
    ip          inet,
    user_agent  text        NOT NULL DEFAULT '',
    request_id  text        NOT NULL DEFAULT '',
    details     jsonb       NOT NULL DEFAULT '{}'
);

-- Newest first, one index per filter of GET /audit-events.
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at, id) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_events_target_idx ON audit_events (target_id, occurred_at, id) WHERE target_id IS NOT NULL;
CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at, id);

-- +goose Down
DROP TABLE audit_events;
