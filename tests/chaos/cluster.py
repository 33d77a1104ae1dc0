"""Two replicas of each service on their own ports, and the faults the chaos suite applies to them.

Every process started here is recorded, so Cluster.stop_all() (called from a finally block and the
signal handlers of chaos.py) ends each of them, whatever happened before.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

SERVICES = ("orders", "payments", "gateway")
# orders 16101/16102, payments 16201/16202, gateway 16501/16502: out of the way of up.sh (500x),
# the integration tests (151xx) and the bench's second copy (62xx).
PORTS = {"orders": (16101, 16102), "payments": (16201, 16202), "gateway": (16501, 16502)}
BINARIES = {name: f"services/{name}/kpo-{name}" for name in SERVICES}
READY_TIMEOUT_S = 60
# The services drain for up to 10 s and then let relays and consumers finish their batch (statements
# and confirms time out after 10 s): 30 s is the Kubernetes grace period for orders and payments.
GRACE_S = 30


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _alive(pid):
    """Whether `pid` still runs: a zombie (Z) or dead (X) process does not (as scripts/lib.sh pid_alive)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _systemd_unit_active(unit):
    try:
        return subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False,
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False  # no systemd here (a container): nothing restarts the broker by itself


def _die_with_parent():
    # A replica must not outlive the suite even if the suite itself is SIGKILLed (no finally runs then).
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def as_root(argv):
    return argv if os.geteuid() == 0 else ["sudo", *argv]


def run(argv, timeout=120):
    """Runs an administration command; raises with its output when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return done.stdout


def http_ok(port, path="/readyz", timeout=2.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


class Replica:
    def __init__(self, service, index, port):
        self.service, self.index, self.port = service, index, port
        self.process = None
        self.generation = 0

    @property
    def label(self):
        return f"{self.service}#{self.index}"


class Cluster:
    def __init__(self, build_dir, run_dir, env):
        self.build_dir, self.run_dir, self.env = build_dir, run_dir, env
        self.replicas = {s: [Replica(s, i, p) for i, p in enumerate(PORTS[s])] for s in SERVICES}
        self.events = []  # (time, text): what the cluster did, for the log
        os.makedirs(run_dir, exist_ok=True)

    def _env_for(self, replica):
        env = dict(self.env)
        listen = f"127.0.0.1:{replica.port}"
        if replica.service == "gateway":
            env["GATEWAY_LISTEN"] = listen
            env["GATEWAY_ORDERS_UPSTREAMS"] = ",".join(f"127.0.0.1:{p}" for p in PORTS["orders"])
            env["GATEWAY_PAYMENTS_UPSTREAMS"] = ",".join(f"127.0.0.1:{p}" for p in PORTS["payments"])
        else:
            env[f"{replica.service.upper()}_LISTEN"] = listen
        return env

    def note(self, text):
        self.events.append((time.monotonic(), text))

    def start(self, replica):
        if http_ok(replica.port, "/healthz"):
            raise RuntimeError(f"port {replica.port} for {replica.label} is already in use")
        replica.generation += 1
        log = open(os.path.join(self.run_dir, f"{replica.service}-{replica.index}.log"), "ab")
        replica.process = subprocess.Popen(
            [os.path.join(self.build_dir, BINARIES[replica.service])], env=self._env_for(replica),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
        log.close()
        self.note(f"started {replica.label} pid {replica.process.pid}")

    def wait_ready(self, replica, timeout=READY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if replica.process.poll() is not None:
                raise RuntimeError(f"{replica.label} exited during start-up ({replica.process.returncode})")
            if http_ok(replica.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{replica.label} not ready after {timeout} s")

    def start_all(self):
        # orders and payments first: the gateway's readiness asks them.
        for service in ("orders", "payments", "gateway"):
            for replica in self.replicas[service]:
                self.start(replica)
            for replica in self.replicas[service]:
                self.wait_ready(replica)

    def signal(self, replica, sig):
        if replica.process is not None and replica.process.poll() is None:
            replica.process.send_signal(sig)
            self.note(f"{signal.Signals(sig).name} {replica.label}")

    def kill_and_restart(self, replica):
        self.signal(replica, signal.SIGKILL)
        replica.process.wait(timeout=10)
        self.start(replica)
        self.wait_ready(replica)

    def pause(self, replica, seconds):
        self.signal(replica, signal.SIGSTOP)
        try:
            time.sleep(seconds)  # the fault itself: the replica is frozen for this long
        finally:
            self.signal(replica, signal.SIGCONT)

    def replace(self, replica):
        """SIGTERM, wait for the exit within the grace period, start a new one, wait for /readyz.

        Returns (seconds to exit, exit code, whether it had to be killed)."""
        began = time.monotonic()
        self.signal(replica, signal.SIGTERM)
        killed = False
        try:
            code = replica.process.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            killed = True
            self.signal(replica, signal.SIGKILL)
            code = replica.process.wait(timeout=10)
        exited = time.monotonic() - began
        self.start(replica)
        self.wait_ready(replica)
        return exited, code, killed

    def all_alive(self):
        return all(r.process is not None and r.process.poll() is None
                   for group in self.replicas.values() for r in group)

    def stop_all(self):
        """Ends every process this cluster started: SIGCONT (a paused one cannot exit), SIGTERM, then SIGKILL."""
        live = [r for group in self.replicas.values() for r in group
                if r.process is not None and r.process.poll() is None]
        for replica in live:
            replica.process.send_signal(signal.SIGCONT)
            replica.process.send_signal(signal.SIGTERM)
        for replica in live:
            try:
                replica.process.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(timeout=10)


class Infrastructure:
    """PostgreSQL and RabbitMQ faults, with the commands scripts/lib.sh uses for them."""

    def __init__(self, env):
        self.pg_version = env.get("PG_VERSION", "15")
        self.pg_cluster = env.get("PG_CLUSTER", "main")
        self.rmq_env = ["env", "ERL_EPMD_ADDRESS=127.0.0.1"]
        if env.get("RABBITMQ_NODENAME"):
            self.rmq_env.append(f"RABBITMQ_NODENAME={env['RABBITMQ_NODENAME']}")
        self.rabbit_stopped = False
        self.rabbit_killed = False
        self.broker_under_systemd = False
        self.postgres_down = False
        self.postgres_paused = []

    def rabbitmqctl(self, *args, timeout=120):
        return run(as_root([*self.rmq_env, "timeout", str(timeout), "rabbitmqctl", "-q", *args]), timeout + 10)

    def restart_postgres(self):
        run(as_root(["pg_ctlcluster", self.pg_version, self.pg_cluster, "restart"]), timeout=120)

    def crash_postgres(self):
        """An immediate shutdown (every server process ends at once, nothing is flushed or checkpointed, as in
        a power cut of the server), then a start, which replays the WAL: crash recovery."""
        self.postgres_down = True
        run(as_root(["pg_ctlcluster", self.pg_version, self.pg_cluster, "stop", "-m", "immediate"]), timeout=120)
        self.start_postgres()

    def pause_postgres(self, seconds):
        """SIGSTOP to every process of the cluster (the postmaster and its children), SIGCONT after `seconds`: a
        server that hangs with its sockets open, as on a stalled disk. The kernel still acknowledges what the
        clients send, so only their own deadlines notice. Returns how many processes were paused."""
        pid_file = f"/var/run/postgresql/{self.pg_version}-{self.pg_cluster}.pid"
        with open(pid_file, encoding="ascii") as f:
            postmaster = f.readline().strip()
        children = run(["pgrep", "-P", postmaster]).split()
        self.postgres_paused = [postmaster, *children]
        run(as_root(["kill", "-STOP", *self.postgres_paused]))
        try:
            time.sleep(seconds)  # the fault itself: the server stays hung this long
        finally:
            self.resume_postgres()
        return len(children) + 1

    def resume_postgres(self):
        run(as_root(["kill", "-CONT", *self.postgres_paused]))
        self.postgres_paused = []

    def start_postgres(self):
        """Starts the cluster unless it is already up (a start that timed out may have gone on by itself)."""
        status = run(["pg_lsclusters", "-h", self.pg_version, self.pg_cluster]).split()
        if len(status) < 4 or status[3] != "online":
            run(as_root(["pg_ctlcluster", self.pg_version, self.pg_cluster, "start"]), timeout=300)
        self.postgres_down = False

    def kill_broker(self):
        """SIGKILL to the broker's Erlang VM: no queue is closed, no client connection ended cleanly."""
        pid = int(self.rabbitmqctl("eval", "list_to_integer(os:getpid()).").strip())
        self.broker_under_systemd = _systemd_unit_active("rabbitmq-server")
        self.rabbit_killed = True
        run(as_root(["kill", "-9", str(pid)]))
        deadline = time.monotonic() + 30
        while _alive(pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the broker's VM (pid {pid}) survived SIGKILL for 30 s")
            time.sleep(0.1)  # waiting for the kernel to end a killed process; nothing to block on

    def start_broker(self):
        """Starts the node again: through systemd when it manages the broker (it may already be restarting
        it), else as scripts/lib.sh starts it (loopback only, plugins, the kpo user)."""
        if self.broker_under_systemd:
            run(as_root(["systemctl", "start", "rabbitmq-server"]), timeout=300)
            self.rabbitmqctl("await_startup", "--timeout", "120")
        else:
            run(["bash", "-c", 'source "$1/scripts/lib.sh" && start_rabbitmq', "start_broker", REPO], timeout=600)
        self.rabbit_killed = False

    def stop_rabbit_app(self):
        self.rabbit_stopped = True
        self.rabbitmqctl("stop_app")

    def start_rabbit_app(self):
        self.rabbitmqctl("start_app")
        self.rabbitmqctl("await_startup", "--timeout", "60")
        self.rabbit_stopped = False

    def restore(self):
        """Called on any exit: a stopped broker application, a killed broker or a stopped PostgreSQL is started
        again. Each step is tried whatever the others did; a failure is printed, not raised, so that it does
        not hide why the run ended."""
        steps = [(self.rabbit_stopped, self.start_rabbit_app), (self.rabbit_killed, self.start_broker),
                 (bool(self.postgres_paused), self.resume_postgres), (self.postgres_down, self.start_postgres)]
        for needed, step in steps:
            if not needed:
                continue
            try:
                step()
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                print(f"restoring after the run: {step.__name__} failed: {error}", file=sys.stderr, flush=True)
