-- pgbench script: one order through a naive one-order-per-transaction design, on the real schemas
-- (bench/run.sh loads the orders migrations into schema o and the payments migrations into schema p
-- of one scratch database: pgbench connects to a single database). Three transactions per order,
-- statement for statement what the services run; pgbench's "tps" is therefore orders per second.
-- Accounts 1..1000 exist with a balance no run can spend (uuid = md5 of the number).
\set a random(1, 1000)
SELECT gen_random_uuid() AS order_id, md5(:a::text)::uuid AS user_id, gen_random_uuid() AS created_msg,
       gen_random_uuid() AS result_msg, gen_random_uuid() AS entry_id \gset

-- 1. orders accepts the order (its timeline's first step is its created_at) and the order.created
--    outbox row.
BEGIN;
INSERT INTO o.orders (id, user_id, amount, description, status, created_at, updated_at)
  VALUES (:order_id, :user_id, 1, 'bench', 'Created', now(), now());
INSERT INTO o.outbox (message_id, exchange, routing_key, type, correlation_id, payload)
  VALUES (:created_msg, 'orders', 'order.created', 'order.created', :order_id::text,
          json_build_object('orderId', :order_id::text, 'userId', :user_id::text, 'amount', 1,
                            'description', 'bench', 'createdAt', now())::text);
COMMIT;

-- 2. payments consumes order.created: inbox, claim, lock the account, charge, ledger entry, decision, outbox.
BEGIN;
INSERT INTO p.inbox (message_id, type) VALUES (:created_msg, 'order.created') ON CONFLICT (message_id) DO NOTHING;
INSERT INTO p.order_payments (order_id, user_id, amount, status, processed_at)
  VALUES (:order_id, :user_id, 1, 'pending', clock_timestamp()) ON CONFLICT (order_id) DO NOTHING;
SELECT balance - 1 AS balance_after FROM p.accounts WHERE user_id = :user_id FOR UPDATE \gset
UPDATE p.accounts SET balance = :balance_after, updated_at = clock_timestamp() WHERE user_id = :user_id;
INSERT INTO p.entries (id, user_id, kind, amount, order_id, balance_after)
  VALUES (:entry_id, :user_id, 'charge', 1, :order_id, :balance_after);
UPDATE p.order_payments SET status = 'succeeded', reason = NULL, entry_id = :entry_id, processed_at = clock_timestamp()
  WHERE order_id = :order_id;
INSERT INTO p.outbox (message_id, exchange, routing_key, type, correlation_id, payload)
  VALUES (:result_msg, 'payments', 'payment.succeeded', 'payment.succeeded', :order_id::text,
          json_build_object('orderId', :order_id::text, 'userId', :user_id::text, 'amount', 1,
                            'entryId', :entry_id::text, 'processedAt', clock_timestamp())::text);
COMMIT;

-- 3. orders consumes payment.succeeded: inbox, lock the order, status and the timeline's payment
--    and final steps (times in the order's row).
BEGIN;
INSERT INTO o.inbox (message_id, type) VALUES (:result_msg, 'payment.succeeded') ON CONFLICT (message_id) DO NOTHING;
SELECT status FROM o.orders WHERE id = :order_id FOR UPDATE;
UPDATE o.orders SET status = 'Finished', failure_reason = NULL, updated_at = now(), paid_at = now()
  WHERE id = :order_id AND status = 'Created';
COMMIT;
