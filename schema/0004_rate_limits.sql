-- +goose Up
-- rate_limits: one GCRA bucket per key (scope:value), shared by every replica.
-- tat is the bucket's theoretical arrival time: a row whose tat has passed is
-- a full bucket, and is deleted by the pruner. UNLOGGED: a crash forgets the
-- buckets, which only refills them.
CREATE UNLOGGED TABLE rate_limits (
    key text        PRIMARY KEY,
    tat timestamptz NOT NULL
);
CREATE INDEX rate_limits_tat_idx ON rate_limits (tat);

-- login_failures: consecutive failed attempts per account key (a normalised
-- address, whether or not it has an account, or a user's password change);
-- past the allowed number, each further attempt waits until blocked_until.
CREATE TABLE login_failures (
    key           text        PRIMARY KEY,
    failures      integer     NOT NULL CHECK (failures > 0),
    blocked_until timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_updated_idx ON login_failures (updated_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE rate_limits;
