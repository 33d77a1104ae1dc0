-- The bridge from order_timeline to the order's row for a replica of the version before 0006, still
-- running during a rolling update: the steps it records in order_timeline reach the row.
-- Its first version (a row-level trigger, in 0006 before review) had two faults:
-- - it locked the orders in the order the old relay inserted its steps (outbox order), while the
--   consumers lock in id order: the two deadlocked (12 of 16,000 pgbench transactions);
-- - it copied an old relay's repeated "published" as is, after a payment the new consumer had
--   already recorded in paid_at (the old relay's least() looks for it in order_timeline only).
-- Now it runs once per statement, locks the orders in id order first and keeps the causal rule: a
-- step an order already has stays, and "published" is never later than the payment.
DROP TRIGGER IF EXISTS order_timeline_into_order_row ON order_timeline;
CREATE OR REPLACE FUNCTION order_timeline_into_order_row() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM 1 FROM orders
  WHERE id IN (SELECT order_id FROM new_steps WHERE step <> 'created') ORDER BY id FOR NO KEY UPDATE;
  UPDATE orders o
  SET paid_at = coalesce(o.paid_at, s.paid),
      published_at = CASE WHEN coalesce(o.published_at, s.published) IS NULL THEN NULL
                          ELSE least(coalesce(o.published_at, s.published), coalesce(o.paid_at, s.paid)) END
  FROM (SELECT order_id, min(at) FILTER (WHERE step = 'published') AS published,
               min(at) FILTER (WHERE step IN ('payment_succeeded', 'payment_failed')) AS paid
        FROM new_steps GROUP BY order_id) s
  WHERE o.id = s.order_id AND (s.published IS NOT NULL OR s.paid IS NOT NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER order_timeline_into_order_row AFTER INSERT ON order_timeline
  REFERENCING NEW TABLE AS new_steps FOR EACH STATEMENT EXECUTE FUNCTION order_timeline_into_order_row();
