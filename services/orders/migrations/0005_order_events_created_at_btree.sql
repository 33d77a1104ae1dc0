-- The clean-up's BRIN index (0004) assumed events lie on disk in time order. They do not once the
-- clean-up runs: vacuum frees the deleted events' space and new events fill it, anywhere in the
-- table, so every block range soon spans old and new times and the index returns the whole table.
-- Measured on a table holding a busy hour (1.4 million events, none yet old enough): each
-- once-a-second clean-up read 82,724 blocks and rechecked 1.38 million rows to delete nothing,
-- 1.2 s of a core every second. A B-tree finds the old events exactly; created_at only grows, so
-- its inserts go to the right-most page.
DROP INDEX IF EXISTS order_events_created_at;
CREATE INDEX order_events_created_at ON order_events (created_at);
