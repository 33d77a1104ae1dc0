#!/usr/bin/env python3
"""KPO 4 chaos suite: load through two gateways onto two replicas of each service while faults are
injected on a schedule, then the delivery guarantees checked from the databases and the API.

Run it through scripts/chaos.sh (make chaos), which builds the services, sets the environment and holds
the test lock. Exits 0 only if no invariant is broken. See README.md, "Chaos".
"""
import argparse
import os
import random
import signal
import sys
import time
from types import SimpleNamespace

from broker import DLQS, Management
from checks import check_api, check_ledger, db_now, psql, wait_outboxes_drained, wait_settled
from client import Client, Stats
from cluster import PORTS, Cluster, Infrastructure
from faults import INFRASTRUCTURE_KINDS, KINDS, run_fault
from load import Load, make_plan
from report import print_report

FAULT_SETTLE_LIMIT_S = 60
QUIET_GAP_S = 3
MODES = {"short": dict(orders=2000, users=100, rate=25), "long": dict(orders=20000, users=200, rate=40)}


def chaos_env(base):
    """The suite's own databases and vhost on the usual servers: a run starts from empty ones."""
    env = dict(base)
    for name in ("ORDERS", "PAYMENTS", "GATEWAY"):
        url = env[f"{name}_DATABASE_URL"]
        env[f"{name}_DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{name.lower()}_chaos"
    env["RABBITMQ_URL"] = env["RABBITMQ_URL"].rsplit("/", 1)[0] + "/kpo_chaos"
    env["GATEWAY_RATE_IP_RPS"] = "0"  # every guest comes from 127.0.0.1; the per-user limits stay
    return env


def reset_databases(env):
    admin = env["ORDERS_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    for name in ("orders_chaos", "payments_chaos", "gateway_chaos"):
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(admin, f"CREATE DATABASE {name}")


def run_schedule(ctx, kinds_once, only=None):
    """Faults one after another, each followed by its settle wait and a quiet gap: every kind once in a
    seeded order (short), or such rounds until the load has sent its orders (long). The load runs
    throughout and stops once the schedule is over and at least its orders were sent."""
    round_no = 0
    while True:
        kinds = list(only or KINDS)
        ctx.rng.shuffle(kinds)
        for kind in kinds:
            run_one(ctx, kind)
        round_no += 1
        if kinds_once or ctx.load.enough():
            ctx.load.finish.set()
            return round_no


def run_one(ctx, kind):
    ctx.stats.set_window(kind)
    began = time.monotonic()
    detail = run_fault(kind, ctx)
    acted = time.monotonic() - began
    for group in ctx.cluster.replicas.values():
        for replica in group:
            ctx.cluster.wait_ready(replica)
    bound = db_now(ctx.env["ORDERS_DATABASE_URL"])
    settle = wait_settled(ctx.env["ORDERS_DATABASE_URL"], bound, FAULT_SETTLE_LIMIT_S)
    if settle is None:
        ctx.violations.append(f"{kind}: orders accepted before its end still pending after {FAULT_SETTLE_LIMIT_S} s")
    ctx.faults.append(SimpleNamespace(kind=kind, detail=detail, acted=acted, settle=settle))
    print(f"  {time.strftime('%H:%M:%S')} {kind}: {detail}; acted {acted:.1f} s, settled "
          f"{'-' if settle is None else f'{settle:.1f} s'}; sent {ctx.load.sent}", flush=True)
    ctx.stats.set_window("none")
    time.sleep(QUIET_GAP_S)  # a fault-free stretch between faults, so their windows do not overlap


def judge(ctx, results, summary):
    v = ctx.violations
    if results.unresolved:
        v.append(f"{len(results.unresolved)} requests without a final answer")
    for op, status, body in results.unexpected[:10]:
        v.append(f"{op.kind} {op.key}: unexpected {status} {body!r}")
    for key, problem in results.replay_mismatches[:10]:
        v.append(f"idempotent replay {key}: {problem}")
    for window, kinds in ctx.stats.errors.items():
        strict = window == "rolling-restart" or window in INFRASTRUCTURE_KINDS
        for kind, count in kinds.items():
            if kind == "500" or kind == "503-not-problem" or (strict and count):
                v.append(f"{count} client errors '{kind}' during {window}")
    found = set()
    deadline = time.monotonic() + 15  # dead-lettering is asynchronous: the last poison may still be on its way
    while time.monotonic() < deadline and found != ctx.poison_ids:
        found = set()
        for queue in DLQS:
            found.update(ctx.mgmt.message_ids(queue, at_least=len(ctx.poison_ids)))
        time.sleep(0.5)
    summary["dlq"] = len(found)
    if found != ctx.poison_ids:
        v.append(f"dead letters: {len(found - ctx.poison_ids)} unexpected, {len(ctx.poison_ids - found)} poison missing")
    now = dict(psql(ctx.env["ORDERS_DATABASE_URL"], "SELECT id::text, status FROM orders"))
    changed = [o for o, s in ctx.snapshot.items() if now.get(o) != s]
    if changed:
        v.append(f"{len(changed)} orders changed status after duplicates, e.g. {changed[0]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="short")
    parser.add_argument("--orders", type=int)
    parser.add_argument("--rate", type=float, help="orders (and deposits) sent per second")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--only", type=lambda text: text.split(","), metavar="KIND,...",
                        help=f"these faults alone (of {', '.join(KINDS)}), e.g. to reproduce one")
    parser.add_argument("--build-dir", default=os.environ.get("KPO_BUILD_DIR", "build/release"))
    parser.add_argument("--run-dir", default=os.environ.get("KPO_CHAOS_RUN_DIR", ".run/chaos"))
    args = parser.parse_args()
    if args.only and set(args.only) - set(KINDS):
        parser.error(f"--only: unknown fault kinds {', '.join(sorted(set(args.only) - set(KINDS)))}")
    settings = dict(MODES[args.mode])
    settings.update({k: v for k, v in (("orders", args.orders), ("rate", args.rate)) if v})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    env = chaos_env(os.environ)
    stats = Stats()
    ctx = SimpleNamespace(env=env, rng=random.Random(args.seed), stats=stats, violations=[], faults=[],
                          snapshot={}, poison_ids=set(), duplicates=0, mgmt=Management("kpo_chaos"),
                          cluster=Cluster(args.build_dir, args.run_dir, env), infra=Infrastructure(env))
    began = time.monotonic()
    try:
        reset_databases(env)
        ctx.mgmt.reset_vhost()
        ctx.cluster.start_all()
        client = Client(PORTS["gateway"], stats)
        ctx.load = Load(client, settings["users"], make_plan(args.seed, settings["users"]), settings["rate"],
                        workers=24, min_orders=settings["orders"])
        print(f"chaos ({args.mode}): {settings['orders']} orders at {settings['rate']}/s, "
              f"{settings['users']} users, seed {args.seed}; logs in {args.run_dir}", flush=True)
        ctx.load.setup_users()
        ctx.load.start()
        rounds = run_schedule(ctx, kinds_once=args.mode == "short", only=args.only)
        ctx.load.join()
        stats.set_window("final")
        final_settle = wait_settled(env["ORDERS_DATABASE_URL"])
        if final_settle is None:
            ctx.violations.append("orders still pending after the final settle wait")
        if wait_outboxes_drained(env) is None:
            ctx.violations.append("an outbox still holds rows after the final settle wait")
        results = ctx.load.results
        user_ids = _user_ids(client, ctx.load.tokens)
        summary = check_ledger(env, results, user_ids, ctx.violations)
        check_api(client, ctx.load.tokens, user_ids, env, ctx.violations)
        judge(ctx, results, summary)
        summary.update(rounds=rounds, final_settle=final_settle, seconds=time.monotonic() - began,
                       accepted=len(results.accepted), replays=results.replays, duplicates=ctx.duplicates,
                       poison=len(ctx.poison_ids), sent=ctx.load.sent)
        print_report(args.mode, settings, ctx, summary)
    finally:
        if hasattr(ctx, "load"):
            ctx.load.stop_flag.set()
        ctx.cluster.stop_all()
        ctx.infra.restore()
    return 1 if ctx.violations else 0


def _user_ids(client, tokens):
    ids = []
    for token in tokens:
        me = client.call("GET", "/api/accounts/me", token)
        ids.append(me.json()["userId"] if me is not None and me.status == 200 else None)
    return ids


if __name__ == "__main__":
    sys.exit(main())
