-- The sweep deletes rows older than the retention (messaging::SweepInbox). Rows arrive in time
-- order, so a BRIN index finds the old ones for a few pages of index and costs inserts almost nothing.
CREATE INDEX IF NOT EXISTS inbox_received_at ON inbox USING brin (received_at);
