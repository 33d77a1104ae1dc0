-- The age of the oldest order still waiting for its payment: how far behind the pipeline is
-- (backpressure). Only Created orders are in this index, so it stays as small as the backlog.
CREATE INDEX orders_pending_by_age ON orders (created_at) WHERE status = 'Created';
-- The outbox holds only unpublished rows now: the relay deletes what the broker confirmed.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX IF EXISTS outbox_published_at;
