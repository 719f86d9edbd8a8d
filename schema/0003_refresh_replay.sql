-- +goose Up
-- replayed_at: when a used refresh token was presented once more within the
-- reuse leeway and got a pair; a second replay is reuse and ends the session.
ALTER TABLE refresh_tokens ADD COLUMN replayed_at timestamptz;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN replayed_at;
