-- The live-updates clean-up forgets events older than the retention a chunk at a time
-- (OrderRepository::DeleteEventsOlderThan). Events arrive in time order, so a BRIN index finds the
-- old ones without the sequential scan of the whole table the clean-up did before, for almost no
-- cost per insert.
CREATE INDEX order_events_created_at ON order_events USING brin (created_at);
