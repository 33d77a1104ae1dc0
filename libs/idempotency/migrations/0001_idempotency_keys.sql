-- Stored responses of requests with an Idempotency-Key (idempotency/idempotency.hpp).
-- IF NOT EXISTS: databases from before this component had its own migrations already have the
-- table, created by the services' 0001_init.sql with exactly these columns.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  user_id     text NOT NULL,
  key         text NOT NULL,
  fingerprint text NOT NULL,
  status      integer NOT NULL,
  body        text NOT NULL,
  location    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
