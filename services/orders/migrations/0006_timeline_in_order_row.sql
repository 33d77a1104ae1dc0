-- An order's timeline moves into the order's own row. Every step after "created" was a row of
-- order_timeline: a heap insert, a primary-key entry, an ON CONFLICT confirmation and the foreign
-- key's lock on the order, ~14 WAL records of an order's 65 (pg_walinspect, docs/benchmarks.md).
-- The row now holds the steps' times:
--   created                                 created_at
--   published                               published_at (NULL until the broker confirmed)
--   payment_succeeded / payment_failed      paid_at, named by the final status
--   finished / cancelled                    updated_at, once the status is final
-- The relay's "published" changes no indexed column, so with room left in each page it is a HOT
-- update: one heap record, no index entry.
ALTER TABLE orders ADD COLUMN published_at timestamptz, ADD COLUMN paid_at timestamptz;
ALTER TABLE orders SET (fillfactor = 75);

UPDATE orders o SET published_at = t.at
FROM order_timeline t WHERE t.order_id = o.id AND t.step = 'published';
UPDATE orders o SET paid_at = t.at
FROM order_timeline t WHERE t.order_id = o.id AND t.step IN ('payment_succeeded', 'payment_failed');

-- order_timeline is no longer written or read. It stays for one release, with a trigger that copies
-- what a replica of the version before (still running during a rolling update) records there into
-- the row, so no step is lost while both versions run. A later migration drops both.
CREATE FUNCTION order_timeline_into_order_row() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.step = 'published' THEN
    UPDATE orders SET published_at = NEW.at WHERE id = NEW.order_id AND published_at IS NULL;
  ELSIF NEW.step IN ('payment_succeeded', 'payment_failed') THEN
    UPDATE orders SET paid_at = NEW.at WHERE id = NEW.order_id AND paid_at IS NULL;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER order_timeline_into_order_row AFTER INSERT ON order_timeline
  FOR EACH ROW EXECUTE FUNCTION order_timeline_into_order_row();
