-- The idempotent consumer's record of processed messages (messaging/inbox.hpp).
-- IF NOT EXISTS: databases from before this component had its own migrations already have the
-- table, created by the services' 0001_init.sql with exactly these columns.
CREATE TABLE IF NOT EXISTS inbox (
  message_id  uuid PRIMARY KEY,
  type        text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
