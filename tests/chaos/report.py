"""The chaos suite's summary table (plain text, for the terminal and the README)."""


def _errors(stats, window):
    kinds = stats.errors.get(window, {})
    return ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "0"


def _retried(stats, window):
    kinds = stats.retryable.get(window, {})
    return ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "0"


def print_report(mode, settings, ctx, summary):
    stats = ctx.stats
    print()
    print(f"chaos {mode}: {summary['seconds']:.0f} s")
    rows = [("orders accepted (202)", summary["accepted"]),
            ("requests sent (orders + deposits)", summary["sent"]),
            ("  Finished / Cancelled", f"{summary['finished']} / {summary['cancelled']}"),
            ("lost (accepted, not terminal or missing)", summary["lost"]),
            ("double charges", summary["double_charges"]),
            ("orders in the database without a 202 seen", summary["unacknowledged"]),
            ("idempotent replays / mismatches", f"{summary['replays']} / {len(ctx.load.results.replay_mismatches)}"),
            ("duplicate deliveries injected", summary["duplicates"]),
            ("poison injected / dead letters found", f"{summary['poison']} / {summary['dlq']}"),
            ("fault rounds", summary["rounds"]),
            ("final settle", "-" if summary["final_settle"] is None else f"{summary['final_settle']:.1f} s")]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print()
    print("| fault | count | action s (max) | settle s (max) | client errors | retried 503/429/409 | failovers |")
    print("|---|---|---|---|---|---|---|")
    by_kind = {}
    for fault in ctx.faults:
        by_kind.setdefault(fault.kind, []).append(fault)
    for kind, faults in by_kind.items():
        settles = [f.settle for f in faults]
        settle = "never" if None in settles else f"{max(settles):.1f}"
        print(f"| {kind} | {len(faults)} | {max(f.acted for f in faults):.1f} | {settle} | {_errors(stats, kind)} | "
              f"{_retried(stats, kind)} | {stats.failovers.get(kind, 0)} |")
    for window in ("none", "final"):
        print(f"| (no fault: {window}) | | | | {_errors(stats, window)} | {_retried(stats, window)} | "
              f"{stats.failovers.get(window, 0)} |")
    if stats.error_samples:
        print("\nfirst client errors:")
        for sample in stats.error_samples[:15]:
            print(f"  {sample}")
    print()
    if ctx.violations:
        print(f"FAILED: {len(ctx.violations)} invariant violations")
        for violation in ctx.violations[:30]:
            print(f"  - {violation}")
    else:
        print("PASSED: every invariant held")
