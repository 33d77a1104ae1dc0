-- The transactional outbox (messaging/outbox.hpp). A row lives only until the broker confirmed
-- it: the relay deletes it then, so the table holds the unpublished backlog.
-- IF NOT EXISTS: databases from before this component had its own migrations already have the
-- table, created by the services' 0001_init.sql with exactly these columns.
CREATE TABLE IF NOT EXISTS outbox (
  id             bigserial PRIMARY KEY,
  message_id     uuid NOT NULL UNIQUE,
  exchange       text NOT NULL,
  routing_key    text NOT NULL,
  type           text NOT NULL,
  correlation_id text NOT NULL,
  payload        text NOT NULL,
  traceparent    text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  published_at   timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
