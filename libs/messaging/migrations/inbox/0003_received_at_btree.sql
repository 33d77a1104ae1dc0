-- The BRIN index of 0002 assumed rows lie on disk in time order. They stop doing so once the sweep
-- deletes: vacuum frees the space and new rows fill it anywhere, every block range then spans old
-- and new times, and the index returns the whole table (and ranges not yet summarised are always
-- returned). orders' live-update events showed it: a sweep of a busy hour's table read 82,724 blocks
-- to delete nothing. A B-tree finds the old rows exactly; received_at only grows, so its inserts
-- go to the right-most page.
DROP INDEX IF EXISTS inbox_received_at;
CREATE INDEX IF NOT EXISTS inbox_received_at ON inbox (received_at);
