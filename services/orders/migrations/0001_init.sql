CREATE TABLE orders (
  id             uuid PRIMARY KEY,
  user_id        uuid NOT NULL,
  amount         bigint NOT NULL CHECK (amount BETWEEN 1 AND 1000000000000),
  description    text NOT NULL,
  status         text NOT NULL CHECK (status IN ('Created', 'Finished', 'Cancelled')),
  failure_reason text CHECK (failure_reason IN ('insufficient_funds', 'account_not_found')),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
-- "My orders, newest first", paged by (created_at, id).
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, id DESC);

CREATE TABLE order_timeline (
  order_id uuid NOT NULL REFERENCES orders (id),
  step     text NOT NULL,
  at       timestamptz NOT NULL,
  PRIMARY KEY (order_id, step)
);

-- The outbox, inbox and idempotency_keys tables are not defined here: the libraries that own them
-- create them (libs/messaging/migrations, libs/idempotency/migrations; components "outbox",
-- "inbox" and "idempotency" in schema_migrations), applied before this file. Databases created
-- when this file still created them have the same tables, which the libraries' CREATE TABLE IF
-- NOT EXISTS accepts as they are; this file is never run again on them (version 1 is recorded).
