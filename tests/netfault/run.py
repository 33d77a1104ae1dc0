#!/usr/bin/env python3
"""Network faults between orders and its broker / database while orders stream through the gateway.

Runs orders inside a network namespace of its own (netns.py) whose only way to PostgreSQL and RabbitMQ
is a veth pair, then: baseline, added latency, packet loss, a partition from the broker, heal, a
partition from PostgreSQL, heal. Prints what clients were answered per phase and how long the system
took to settle after each heal, then checks the invariants in the databases. Exits 1 on a 5xx other
than 503 + Retry-After, a request without answer, an invariant violation or a phase that did not settle.
Needs root (namespaces, nft) and the release build. Usage: run.py [BUILD_DIR]
"""

import os
import signal
import subprocess
import sys
import time

import forwarder
import load
import netns
import services

WORKERS, INTERVAL_S, AMOUNT = 4, 0.1, 100
SETTLE_DEADLINE_S = 90
# "Refused fast": while a dependency is partitioned no answer may take longer than this (a dead
# connection is noticed within the TCP user timeout, 5 s, a new one gives up within 5 s).
PARTITION_ANSWER_BOUND_S = 10


def psql(url, sql, *params):
    """Rows of `sql` (psql -At; params bound as :'p1', :'p2'…)."""
    argv = ["psql", url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-F", "|"]
    for i, value in enumerate(params, 1):
        argv += ["-v", f"p{i}={value}"]
    done = subprocess.run(argv, input=sql, text=True, capture_output=True, check=True, timeout=30)
    return [line.split("|") for line in done.stdout.splitlines() if line]


def users_array(stream):
    return "{" + ",".join(user for user, _ in stream.users) + "}"


def pending_before(stream, since_wall):
    """Orders of the suite's users still Created that were created before `since_wall` (epoch s)."""
    rows = psql(
        services.ORDERS_DB,
        "SELECT count(*) FROM orders WHERE user_id = ANY(:'p1'::uuid[]) AND status = 'Created'"
        " AND created_at < to_timestamp(:'p2');",
        users_array(stream),
        since_wall,
    )
    return int(rows[0][0])


def settle(stream, problems, phase):
    """Seconds from the heal until an order was accepted again and every order created before the
    heal is terminal; polls with a deadline."""
    start, start_wall = time.monotonic(), time.time()
    while time.monotonic() - start < SETTLE_DEADLINE_S:
        if stream.last_accept > start and pending_before(stream, start_wall) == 0:
            return f"{time.monotonic() - start:.1f} s"
        time.sleep(0.25)  # polling the databases with a deadline
    problems.append(f"{phase}: not settled {SETTLE_DEADLINE_S} s after the heal")
    return f"> {SETTLE_DEADLINE_S} s"


def run_phase(stream, name, seconds, latency_s=0.0, loss=0, partitioned=(), links=()):
    for link in links:
        link.set_delay(latency_s)
    netns.set_faults(loss, partitioned)
    stream.phase = name
    time.sleep(seconds)  # the phase's length: the load runs meanwhile


def check_invariants(stream, problems):
    users = users_array(stream)
    deadline = time.monotonic() + SETTLE_DEADLINE_S
    while pending_before(stream, time.time() + 1) and time.monotonic() < deadline:
        time.sleep(0.25)  # the last orders completing, with a deadline
    orders = {
        row[0]: row[1]
        for row in psql(services.ORDERS_DB, "SELECT id, status FROM orders WHERE user_id = ANY(:'p1'::uuid[]);", users)
    }
    charges = psql(
        services.PAYMENTS_DB,
        "SELECT order_id FROM entries WHERE kind = 'charge' AND user_id = ANY(:'p1'::uuid[]);",
        users,
    )
    unbalanced = psql(
        services.PAYMENTS_DB,
        "SELECT a.user_id FROM accounts a JOIN entries e USING (user_id) WHERE a.user_id = ANY(:'p1'::uuid[])"
        " GROUP BY a.user_id, a.balance"
        " HAVING a.balance <> sum(CASE e.kind WHEN 'deposit' THEN e.amount ELSE -e.amount END);",
        users,
    )
    charged = [row[0] for row in charges]
    finished = {order for order, status in orders.items() if status == "Finished"}
    lost = set(stream.accepted) - set(orders)
    not_terminal = [order for order, status in orders.items() if status == "Created"]
    checks = [
        ("accepted orders (202) in the orders database", len(stream.accepted) - len(lost), len(stream.accepted)),
        ("orders in a terminal state", len(orders) - len(not_terminal), len(orders)),
        ("charges, one per Finished order", len(charged), len(finished)),
        ("Finished orders with exactly one charge", len(finished & set(charged)), len(finished)),
        ("accounts where balance = deposits - charges", len(stream.users) - len(unbalanced), len(stream.users)),
    ]
    if lost:
        problems.append(f"accepted orders missing from the database: {sorted(lost)[:5]}")
    if not_terminal:
        problems.append(f"orders not terminal: {not_terminal[:5]}")
    if len(charged) != len(set(charged)) or set(charged) != finished:
        problems.append("charges do not match Finished orders one to one")
    if unbalanced:
        problems.append(f"balances differ from their ledger: {unbalanced}")
    extra = len(set(orders) - set(stream.accepted))
    return checks, extra


def print_report(stream, settled, checks, extra):
    outcomes = sorted({outcome for counts in stream.counts.values() for outcome in counts})
    print("\n| phase | " + " | ".join(outcomes) + " | errors | answer p50 / max | settled after heal |")
    print("|---|" + "---|" * (len(outcomes) + 3))
    for phase, counts in stream.counts.items():
        errors = sum(1 for p, _, _ in stream.errors if p == phase)
        cells = " | ".join(str(counts.get(outcome, 0)) for outcome in outcomes)
        times = sorted(stream.latencies[phase])
        timing = f"{times[len(times) // 2]:.2f} / {times[-1]:.2f} s"
        print(f"| {phase} | {cells} | {errors} | {timing} | {settled.get(phase, '')} |")
    print("\n| invariant | holds for | of |\n|---|---|---|")
    for name, good, total in checks:
        print(f"| {name} | {good} | {total} |")
    print(f"\n{extra} order(s) exist whose 202 the client did not see (no answer); they are checked too.")
    for phase, outcome, detail in stream.errors[:10]:
        print(f"error in {phase}: {outcome}: {detail[:300]}")


PHASES = [
    # name, seconds, latency (s, each way), loss (%), partitioned links, settle afterwards
    ("baseline", 10, 0.0, 0, (), False),
    ("latency +100 ms", 15, 0.1, 0, (), False),
    ("loss 5 %", 15, 0.0, 5, (), False),
    ("partition orders-broker", 15, 0.0, 0, ("broker",), False),
    ("heal (broker)", 0, 0.0, 0, (), True),
    ("partition orders-postgres", 15, 0.0, 0, ("postgres",), False),
    ("heal (postgres)", 0, 0.0, 0, (), True),
]


def main():
    build_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/release")
    if os.geteuid() != 0:
        sys.exit("run.py needs root: it creates a network namespace and nft rules")
    # SIGTERM (e.g. from test.sh's trap) unwinds through the finally below like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    links = []
    stack = services.Services(build_dir, os.path.join(build_dir, "tests", "netfault-logs"))
    stream = None
    problems = []
    try:
        netns.setup()
        for name, url, port in (
            ("postgres", services.ORDERS_DB, 5432),
            ("broker", services.RABBITMQ, 5672),
        ):
            link = forwarder.Forwarder(netns.HOST_ADDR, netns.PORTS[name], *services.target_of(url, port))
            link.start()
            links.append(link)
        stack.start()
        stream = load.Load(services.GATEWAY_LISTEN, WORKERS, INTERVAL_S, AMOUNT)
        stream.start()
        settled = {}
        for name, seconds, latency_s, loss, partitioned, settles in PHASES:
            print(f"phase: {name}", flush=True)
            run_phase(stream, name, seconds, latency_s, loss, partitioned, links)
            if settles:
                settled[name] = settle(stream, problems, name)
        stream.phase = "after"
        stream.stop()
        checks, extra = check_invariants(stream, problems)
        crashed = stack.crashed()
        if crashed:
            problems.append(f"services exited: {crashed}")
        print_report(stream, settled, checks, extra)
        for phase, times in stream.latencies.items():
            if phase.startswith("partition") and max(times) > PARTITION_ANSWER_BOUND_S:
                problems.append(f"{phase}: an answer took {max(times):.1f} s (bound {PARTITION_ANSWER_BOUND_S} s)")
        problems += [f"{phase}: {outcome}" for phase, outcome, _ in stream.errors[:20]]
    finally:
        if stream is not None:
            stream.stop()
        stack.stop()
        for link in links:
            link.stop()
        netns.teardown()
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print("\nnetfault: every invariant holds, no 500 and no request without answer")


if __name__ == "__main__":
    main()
