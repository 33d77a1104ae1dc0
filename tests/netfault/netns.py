"""The suite's network namespace: one service runs in it and reaches PostgreSQL and RabbitMQ only
through a veth pair, so faults on that path touch no other process of the machine.

    namespace kpo-netfault             root namespace
    service ── 10.231.0.2 ══ veth ══ 10.231.0.1:19432 ─ forwarder ─> 127.0.0.1:5432 (PostgreSQL)
                                     10.231.0.1:19672 ─ forwarder ─> 127.0.0.1:5672 (RabbitMQ)

PostgreSQL and RabbitMQ keep listening on loopback only; the forwarders (forwarder.py) bridge to them
and add latency. Loss and partitions are nft rules in the namespace (its own ruleset, gone with it).
"""

import subprocess

NAMESPACE = "kpo-netfault"
HOST_IF, NS_IF = "kponf0", "kponf1"
HOST_ADDR, NS_ADDR = "10.231.0.1", "10.231.0.2"
PORTS = {"postgres": 19432, "broker": 19672}
TABLE = "kpo_netfault"


def _run(*args, stdin=None):
    subprocess.run(args, input=stdin, text=True, check=True, capture_output=True)


def _ns(*args, stdin=None):
    _run("ip", "netns", "exec", NAMESPACE, *args, stdin=stdin)


def teardown():
    """Removes the namespace (and with it the nft ruleset and the veth pair). Safe to call twice."""
    subprocess.run(["ip", "netns", "del", NAMESPACE], capture_output=True)
    subprocess.run(["ip", "link", "del", HOST_IF], capture_output=True)


def setup():
    teardown()
    _run("ip", "netns", "add", NAMESPACE)
    _run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
    _run("ip", "link", "set", NS_IF, "netns", NAMESPACE)
    _run("ip", "addr", "add", f"{HOST_ADDR}/30", "dev", HOST_IF)
    _run("ip", "link", "set", HOST_IF, "up")
    _ns("ip", "addr", "add", f"{NS_ADDR}/30", "dev", NS_IF)
    _ns("ip", "link", "set", NS_IF, "up")
    _ns("ip", "link", "set", "lo", "up")
    set_faults(loss_percent=0, partitioned=())


def set_faults(loss_percent, partitioned):
    """Replaces the namespace's rules: `loss_percent` of the packets of both links dropped at random,
    both directions; every packet of the links named in `partitioned` ("postgres", "broker") dropped."""
    rules = []
    for link in partitioned:
        port = PORTS[link]
        rules.append(f"add rule inet {TABLE} out tcp dport {port} drop")
        rules.append(f"add rule inet {TABLE} in tcp sport {port} drop")
    if loss_percent > 0:
        ports = ", ".join(str(p) for p in PORTS.values())
        rules.append(f"add rule inet {TABLE} out tcp dport {{ {ports} }} numgen random mod 100 < {loss_percent} drop")
        rules.append(f"add rule inet {TABLE} in tcp sport {{ {ports} }} numgen random mod 100 < {loss_percent} drop")
    # One nft transaction: the old rules go and the new ones come at once.
    script = "\n".join(
        [
            f"table inet {TABLE} {{}}",
            f"delete table inet {TABLE}",
            f"add table inet {TABLE}",
            f"add chain inet {TABLE} out {{ type filter hook output priority 0; policy accept; }}",
            f"add chain inet {TABLE} in {{ type filter hook input priority 0; policy accept; }}",
            *rules,
        ]
    )
    _ns("nft", "-f", "-", stdin=script + "\n")


def command(argv):
    """argv prefixed so that it runs inside the namespace."""
    return ["ip", "netns", "exec", NAMESPACE, *argv]
