-- Live updates go out in an order a resumed stream can trust. Event ids come from a sequence before
-- commit, so a lower id could commit after a higher one the client had already been sent; resuming
-- with `id > Last-Event-ID` then never replayed it. Each event now records the id of the transaction
-- that wrote it. An event is streamed only once every transaction with a lower id has ended (its
-- transaction id is below the snapshot's xmin), in (tx_id, id) order: no event can later appear
-- before one already sent. Events written before this migration all take its transaction's id and
-- keep their id order.
ALTER TABLE order_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
DROP INDEX order_events_by_user;
CREATE INDEX order_events_by_user ON order_events (user_id, tx_id, id);
CREATE INDEX order_events_in_commit_order ON order_events (tx_id, id);
