-- The sweep deletes keys past the 24 h replay window (idempotency::KeySweep). Keys arrive in time
-- order, so a BRIN index finds the old ones without scanning the table, and costs the inserts
-- almost nothing.
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at_brin ON idempotency_keys USING brin (created_at);
