"""The invariants the chaos suite checks after a run, from the databases and from the API."""
import datetime
import os
import subprocess
import time

SETTLE_LIMIT_S = 120


def psql(url, sql):
    done = subprocess.run(["psql", "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PGTZ": "UTC"})
    if done.returncode != 0:
        raise RuntimeError(f"psql: {done.stderr.strip()[-300:]}")
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def pending_orders(orders_url, created_before=None):
    """Accepted orders still waiting for their payment (created before the given database time, if any)."""
    bound = f" AND created_at <= '{created_before}'::timestamptz" if created_before else ""
    return int(psql(orders_url, f"SELECT count(*) FROM orders WHERE status = 'Created'{bound}")[0][0])


def db_now(url):
    return psql(url, "SELECT now()")[0][0]


def wait_settled(orders_url, created_before=None, limit=SETTLE_LIMIT_S):
    """Seconds until no order (created before the bound) is pending; None if some still are after `limit`."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        try:
            if pending_orders(orders_url, created_before) == 0:
                return time.monotonic() - began
        except RuntimeError:
            pass  # the database is still coming back: keep polling within the limit
        time.sleep(0.2)
    return None


def wait_outboxes_drained(env, limit=SETTLE_LIMIT_S):
    """Seconds until both services' outboxes are empty; None if rows remain after `limit`. Once every order
    is settled, a row left means a message a relay confirmed but did not commit (a crash between the
    two), which it must publish again; one never published at all is a lost event."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        try:
            if all(int(psql(env[url], "SELECT count(*) FROM outbox")[0][0]) == 0
                   for url in ("ORDERS_DATABASE_URL", "PAYMENTS_DATABASE_URL")):
                return time.monotonic() - began
        except RuntimeError:
            pass  # the database is still coming back: keep polling within the limit
        time.sleep(0.2)
    return None


TIMELINES = {
    "Created": (["created"], ["created", "published"]),
    "Finished": (["created", "published", "payment_succeeded", "finished"],),
    "Cancelled": (["created", "published", "payment_failed", "cancelled"],),
}


def timeline_violation(order):
    """What is wrong with an order's timeline as the API shows it (None if nothing): the contract's steps
    in their order for its status, and a `published` step no later than the payment's (a message
    published again after the result was applied keeps the causal order)."""
    steps = [entry["step"] for entry in order["timeline"]]
    if steps not in [list(each) for each in TIMELINES.get(order["status"], ())]:
        return f"order {order['id']} ({order['status']}) has the timeline {steps}"
    at = {entry["step"]: entry["at"] for entry in order["timeline"]}
    paid = at.get("payment_succeeded") or at.get("payment_failed")
    if paid and _instant(at["published"]) > _instant(paid):
        return f"order {order['id']}: published at {at['published']}, after its payment at {paid}"
    return None


def _instant(rfc3339):
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def check_ledger(env, results, user_ids, violations):
    """Every accepted order terminal; Finished ⇔ exactly one charge of its amount; no charge for a
    Cancelled order; per account balance = deposits − charges ≥ 0 and deposits = what clients saw."""
    orders = {r[0]: r[1:] for r in psql(env["ORDERS_DATABASE_URL"],
                                         "SELECT id, user_id, amount, status FROM orders")}
    charges = {}
    for order_id, count, total in psql(env["PAYMENTS_DATABASE_URL"],
                                       "SELECT order_id, count(*), sum(amount) FROM entries "
                                       "WHERE kind = 'charge' GROUP BY order_id"):
        charges[order_id] = (int(count), int(total))
    summary = {"db_orders": len(orders), "lost": 0, "double_charges": 0, "finished": 0, "cancelled": 0}
    for order_id in results.accepted:
        if order_id not in orders or orders[order_id][2] not in ("Finished", "Cancelled"):
            summary["lost"] += 1
            violations.append(f"accepted order {order_id} is {orders.get(order_id, ['', '', 'missing'])[2]}")
    for order_id, (_, amount, status) in orders.items():
        count, total = charges.get(order_id, (0, 0))
        summary["double_charges"] += count > 1
        if status == "Finished":
            summary["finished"] += 1
            if (count, total) != (1, int(amount)):
                violations.append(f"Finished order {order_id}: {count} charges of {total} for {amount}")
        elif status == "Cancelled":
            summary["cancelled"] += 1
            if count:
                violations.append(f"Cancelled order {order_id} has {count} charges")
    for order_id in set(charges) - set(orders):
        violations.append(f"charge for unknown order {order_id}")
    summary["unacknowledged"] = len(set(orders) - set(results.accepted))
    _check_balances(env, results, user_ids, violations)
    return summary


def _check_balances(env, results, user_ids, violations):
    rows = psql(env["PAYMENTS_DATABASE_URL"], """
        SELECT a.user_id, a.balance,
               coalesce(sum(e.amount) FILTER (WHERE e.kind = 'deposit'), 0),
               coalesce(sum(e.amount) FILTER (WHERE e.kind = 'charge'), 0)
        FROM accounts a LEFT JOIN entries e ON e.user_id = a.user_id GROUP BY a.user_id, a.balance""")
    index_of = {uid: i for i, uid in enumerate(user_ids)}
    for user_id, balance, deposits, charged in rows:
        balance, deposits, charged = int(balance), int(deposits), int(charged)
        if balance != deposits - charged or balance < 0:
            violations.append(f"account {user_id}: balance {balance}, deposits {deposits}, charges {charged}")
        seen = results.deposits.get(index_of.get(user_id), 0)
        if user_id in index_of and deposits != seen:
            violations.append(f"account {user_id}: deposits {deposits} in the ledger, {seen} acknowledged")


def check_api(client, tokens, user_ids, env, violations):
    """What each user sees through the gateway agrees with the databases."""
    status = {r[0]: r[1] for r in psql(env["ORDERS_DATABASE_URL"], "SELECT id, status FROM orders")}
    balance = {r[0]: int(r[1]) for r in psql(env["PAYMENTS_DATABASE_URL"], "SELECT user_id, balance FROM accounts")}
    for token, user_id in zip(tokens, user_ids):
        account = client.call("GET", "/api/accounts/me", token)
        if account is None or account.status != 200 or account.json()["balance"] != balance.get(user_id):
            violations.append(f"API balance of {user_id}: {account and account.body[:100]} vs {balance.get(user_id)}")
        cursor = ""
        while True:
            page = client.call("GET", f"/api/orders?limit=100{cursor}", token)
            if page is None or page.status != 200:
                violations.append(f"API orders of {user_id}: {page and page.status}")
                break
            body = page.json()
            for order in body["items"]:
                if status.get(order["id"]) != order["status"]:
                    violations.append(f"API order {order['id']}: {order['status']} vs {status.get(order['id'])}")
                if (problem := timeline_violation(order)) is not None:
                    violations.append(f"API {problem}")
            if not body.get("next"):
                break
            cursor = f"&before={body['next']}"
