"""What the broker-node-loss test runs against: the 3-node RabbitMQ cluster (scripts/rabbit_cluster.sh),
databases of its own on the machine's PostgreSQL, and orders + payments pointed at all three nodes."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER_SCRIPT = os.path.join(ROOT, "scripts", "rabbit_cluster.sh")
PG_BASE = os.environ.get("KPO_CLUSTER_PG", "postgresql://kpo:kpo@localhost:5432")
# Databases of this test alone: dropped and created again at every run, so the checks count only its orders.
ORDERS_DB = "orders_cluster"
PAYMENTS_DB = "payments_cluster"


def cluster(*args, capture=False):
    """Runs scripts/rabbit_cluster.sh with `args`; its output is the test's unless captured."""
    result = subprocess.run(["bash", CLUSTER_SCRIPT, *args], check=True, text=True,
                            stdout=subprocess.PIPE if capture else None)
    return result.stdout.strip() if capture else None


def psql(database, sql):
    """Rows of `sql` (tab-separated fields) in `database` as user kpo."""
    out = subprocess.run(["psql", "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                          f"{PG_BASE}/{database}", "-c", sql],
                         check=True, text=True, stdout=subprocess.PIPE).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def recreate_databases():
    for name in (ORDERS_DB, PAYMENTS_DB):
        psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql("postgres", f"CREATE DATABASE {name} OWNER kpo")


def request(port, method, path, user=None, body=None, timeout=10.0):
    """(status, parsed JSON body or None) of one call to a service on 127.0.0.1; status 0 when the
    connection itself failed."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if user:
        req.add_header("X-User-Id", user)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        return error.code, None
    except (urllib.error.URLError, OSError):
        return 0, None


class Services:
    """orders and payments as child processes with logs in the run directory."""

    def __init__(self, build_dir, run_dir, port_base, broker_urls):
        self.orders_port = port_base + 1
        self.payments_port = port_base + 2
        self.procs = []
        self.build_dir = build_dir
        self.run_dir = run_dir
        self.env = dict(os.environ, RABBITMQ_URL=broker_urls,
                        ORDERS_LISTEN=f"127.0.0.1:{self.orders_port}",
                        PAYMENTS_LISTEN=f"127.0.0.1:{self.payments_port}",
                        ORDERS_DATABASE_URL=f"{PG_BASE}/{ORDERS_DB}",
                        PAYMENTS_DATABASE_URL=f"{PG_BASE}/{PAYMENTS_DB}")

    def start(self):
        for name in ("payments", "orders"):
            log = open(os.path.join(self.run_dir, f"cluster-{name}.log"), "w")
            binary = os.path.join(self.build_dir, "services", name, f"kpo-{name}")
            self.procs.append(subprocess.Popen([binary], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL))
        for port in (self.payments_port, self.orders_port):
            deadline = time.monotonic() + 60
            while request(port, "GET", "/readyz", timeout=2)[0] != 200:
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                    raise RuntimeError(f"service on :{port} did not become ready (logs: {self.run_dir}/cluster-*.log)")
                time.sleep(0.2)

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []
