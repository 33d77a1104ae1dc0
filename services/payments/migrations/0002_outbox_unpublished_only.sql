-- The outbox holds only unpublished rows now: the relay deletes what the broker confirmed.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX IF EXISTS outbox_published_at;
