-- A B-tree instead of the BRIN index of 0002, for the reason given in the inbox's migration 0003:
-- once the sweep deletes and vacuum lets new keys reuse the space, a BRIN index on created_at
-- returns the whole table. created_at only grows, so the B-tree's inserts go to the right-most page.
DROP INDEX IF EXISTS idempotency_keys_created_at_brin;
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);
