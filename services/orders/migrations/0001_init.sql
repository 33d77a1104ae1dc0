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

CREATE TABLE outbox (
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
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE inbox (
  message_id  uuid PRIMARY KEY,
  type        text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE idempotency_keys (
  user_id     text NOT NULL,
  key         text NOT NULL,
  fingerprint text NOT NULL,
  status      integer NOT NULL,
  body        text NOT NULL,
  location    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
