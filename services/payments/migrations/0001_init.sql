CREATE TABLE accounts (
  user_id    uuid PRIMARY KEY,
  balance    bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The ledger: the balance always equals the sum of deposits minus the sum of charges.
CREATE TABLE entries (
  id            uuid PRIMARY KEY,
  seq           bigserial NOT NULL UNIQUE,
  user_id       uuid NOT NULL REFERENCES accounts (user_id),
  kind          text NOT NULL CHECK (kind IN ('deposit', 'charge')),
  amount        bigint NOT NULL CHECK (amount > 0),
  order_id      uuid,
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK ((kind = 'charge') = (order_id IS NOT NULL))
);
CREATE INDEX entries_by_user ON entries (user_id, seq DESC);
-- An order is charged at most once, whatever the number of its messages.
CREATE UNIQUE INDEX entries_one_charge_per_order ON entries (order_id) WHERE kind = 'charge';

-- One payment decision per order: a later message for the same order never decides again.
CREATE TABLE order_payments (
  order_id     uuid PRIMARY KEY,
  user_id      uuid NOT NULL,
  amount       bigint NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  reason       text CHECK (reason IN ('insufficient_funds', 'account_not_found')),
  entry_id     uuid REFERENCES entries (id),
  processed_at timestamptz NOT NULL
);

-- The outbox, inbox and idempotency_keys tables are not defined here: the libraries that own them
-- create them (libs/messaging/migrations, libs/idempotency/migrations; components "outbox",
-- "inbox" and "idempotency" in schema_migrations), applied before this file. Databases created
-- when this file still created them have the same tables, which the libraries' CREATE TABLE IF
-- NOT EXISTS accepts as they are; this file is never run again on them (version 1 is recorded).
