-- Every change of an order, kept for a day so a live-update client can resume (Last-Event-ID).
CREATE TABLE order_events (
  id         bigserial PRIMARY KEY,
  user_id    uuid NOT NULL,
  payload    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_by_user ON order_events (user_id, id);
