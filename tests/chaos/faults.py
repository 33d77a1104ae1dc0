"""The faults of the chaos suite. Each takes the run's context and returns a short description; a
breach of what the fault must never cause is appended to ctx.violations."""
import json
import time

from broker import ORDER_CREATED, PAYMENT_FAILED, PAYMENT_SUCCEEDED
from checks import psql

PAUSE_S = 5
# Longer than a one-statement database call waits for its answer (statement_timeout 10 s + 5 s,
# db::ConnectionOptions; a pipeline waits that per statement): the services must give the hung server up
# themselves, answer 503 meanwhile and converge once it resumes.
POSTGRES_PAUSE_S = 20
BROKER_DOWN_S = 10
DUPLICATED_ORDERS = 40
POISON_PER_QUEUE = 3

KINDS = ("kill-orders", "kill-payments", "kill-gateway", "stop-orders", "stop-payments", "stop-gateway",
         "broker-stop", "broker-kill", "postgres-restart", "postgres-crash", "postgres-pause", "duplicates",
         "poison", "rolling-restart")
# The faults of shared infrastructure: every replica sees them, so the clients must see none (503 + Retry-After).
INFRASTRUCTURE_KINDS = ("broker-stop", "broker-kill", "postgres-restart", "postgres-crash", "postgres-pause")


def run_fault(kind, ctx):
    if kind.startswith("kill-") or kind.startswith("stop-"):
        replica = ctx.rng.choice(ctx.cluster.replicas[kind.split("-", 1)[1]])
        if kind.startswith("kill-"):
            ctx.cluster.kill_and_restart(replica)
            return f"SIGKILL {replica.label}, restarted"
        ctx.cluster.pause(replica, PAUSE_S)
        return f"SIGSTOP {replica.label} for {PAUSE_S} s"
    return {"broker-stop": broker_stop, "broker-kill": broker_kill, "postgres-restart": postgres_restart,
            "postgres-crash": postgres_crash, "postgres-pause": postgres_pause, "duplicates": duplicates, "poison": poison,
            "rolling-restart": rolling_restart}[kind](ctx)


def broker_stop(ctx):
    began = time.monotonic()
    ctx.infra.stop_rabbit_app()
    try:
        time.sleep(BROKER_DOWN_S)  # the fault itself: the broker stays away this long
    finally:
        ctx.infra.start_rabbit_app()
    return f"rabbitmqctl stop_app, start_app after {time.monotonic() - began:.0f} s"


def broker_kill(ctx):
    began = time.monotonic()
    ctx.infra.kill_broker()
    killed = time.monotonic() - began
    ctx.infra.start_broker()
    return f"SIGKILL to the broker's VM, started again in {time.monotonic() - began - killed:.0f} s"


def postgres_crash(ctx):
    began = time.monotonic()
    ctx.infra.crash_postgres()
    return f"pg_ctlcluster stop -m immediate, start (crash recovery): {time.monotonic() - began:.1f} s"


def postgres_restart(ctx):
    began = time.monotonic()
    ctx.infra.restart_postgres()
    return f"pg_ctlcluster restart took {time.monotonic() - began:.1f} s"


def postgres_pause(ctx):
    paused = ctx.infra.pause_postgres(POSTGRES_PAUSE_S)
    return f"SIGSTOP to PostgreSQL's {paused} processes for {POSTGRES_PAUSE_S} s (a hung server, its sockets open)"


def duplicates(ctx):
    """Publishes each event of some settled orders again: order.created under a new message_id and then
    that same message_id once more, and the payment result twice under one message_id. None may
    change a status or a balance (checked at the end against the snapshot taken here)."""
    rows = psql(ctx.env["ORDERS_DATABASE_URL"],
                "SELECT id, user_id, amount, status, coalesce(failure_reason, ''), created_at FROM orders "
                f"WHERE status <> 'Created' ORDER BY id LIMIT {DUPLICATED_ORDERS}")
    entries = dict(psql(ctx.env["PAYMENTS_DATABASE_URL"],
                        "SELECT order_id, id FROM entries WHERE kind = 'charge' AND order_id = ANY('{"
                        + ",".join(r[0] for r in rows) + "}'::uuid[])"))
    sent = 0
    for order_id, user_id, amount, status, reason, created_at in rows:
        ctx.snapshot[order_id] = status
        created = json.dumps({"orderId": order_id, "userId": user_id, "amount": int(amount),
                              "createdAt": _rfc3339(created_at)})
        first = ctx.mgmt.publish(ORDER_CREATED, created, correlation_id=order_id)
        ctx.mgmt.publish(ORDER_CREATED, created, message_id=first, correlation_id=order_id)
        result = {"orderId": order_id, "userId": user_id, "amount": int(amount), "processedAt": _now()}
        if status == "Finished":
            route, result["entryId"] = PAYMENT_SUCCEEDED, entries[order_id]
        else:
            route, result["reason"] = PAYMENT_FAILED, reason
        again = ctx.mgmt.publish(route, json.dumps(result), correlation_id=order_id)
        ctx.mgmt.publish(route, json.dumps(result), message_id=again, correlation_id=order_id)
        sent += 4
    ctx.duplicates += sent
    return f"{sent} duplicates of {len(rows)} settled orders"


def poison(ctx):
    """Bodies the consumers must dead-letter (not JSON; a field of the wrong type; an unknown reason)."""
    bodies = {ORDER_CREATED: ['{"orderId": ', '{"orderId":"x","userId":"y","amount":1}', '[1,2,3]'],
              PAYMENT_FAILED: ['not json', '{"orderId":"00000000-0000-4000-8000-000000000001"}',
                               '{"orderId":"00000000-0000-4000-8000-000000000002","userId":'
                               '"00000000-0000-4000-8000-000000000003","amount":1,"reason":"bored",'
                               '"processedAt":"2026-01-01T00:00:00Z"}']}
    for route, samples in bodies.items():
        for body in samples[:POISON_PER_QUEUE]:
            ctx.poison_ids.add(ctx.mgmt.publish(route, body))
    return f"{len(ctx.poison_ids)} poison messages published so far"


def rolling_restart(ctx):
    """Every replica replaced one at a time: SIGTERM, exit within the grace period, a new one, /readyz."""
    parts = []
    for service in ("payments", "orders", "gateway"):
        for replica in ctx.cluster.replicas[service]:
            exited, code, killed = ctx.cluster.replace(replica)
            parts.append(f"{replica.label} {exited:.1f}s")
            if killed or code != 0:
                ctx.violations.append(f"rolling restart: {replica.label} exit code {code}, killed={killed}, "
                                      f"after {exited:.1f} s")
    return "replaced " + ", ".join(parts)


def _rfc3339(postgres_time):
    # psql prints "2026-12-01 14:28:00.123456+00"; the contract wants RFC 3339 UTC.
    return postgres_time.replace(" ", "T").replace("+00", "Z")


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
