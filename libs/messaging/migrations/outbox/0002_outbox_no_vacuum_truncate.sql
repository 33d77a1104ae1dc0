-- The outbox is a queue: rows come and go all the time and the table is nearly empty whenever
-- autovacuum visits it, so autovacuum keeps truncating its empty tail. Truncating takes an ACCESS
-- EXCLUSIVE lock on the table, which blocks every insert (every order) and the relays' claims;
-- the PostgreSQL log showed committers waiting past deadlock_timeout (1 s) for it ("canceling
-- autovacuum task ... while truncating relation public.outbox"), a one-second stall of the whole
-- pipeline. The space the tail holds is reused by the next inserts anyway.
ALTER TABLE outbox SET (vacuum_truncate = off);
