"""Starts orders (inside the suite's namespace, its database and broker through the faulty path),
payments and the gateway (root namespace, direct), on ports of their own, and stops them again."""

import os
import subprocess
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import netns

ORDERS_LISTEN = f"{netns.NS_ADDR}:19001"
PAYMENTS_LISTEN = "127.0.0.1:19002"
GATEWAY_LISTEN = "127.0.0.1:19005"


def env(name, default):
    return os.environ.get(name) or default


ORDERS_DB = env("ORDERS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/orders")
PAYMENTS_DB = env("PAYMENTS_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/payments")
GATEWAY_DB = env("GATEWAY_DATABASE_URL", "postgresql://kpo:kpo@localhost:5432/gateway")
RABBITMQ = env("RABBITMQ_URL", "amqp://kpo:kpo@localhost:5672/")


def through(url, port):
    """`url` with its host and port replaced by the forwarder's address on the veth (credentials,
    path and query kept)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + f"{netns.HOST_ADDR}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def target_of(url, default_port):
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


class Services:
    def __init__(self, build_dir, log_dir):
        self.build_dir = build_dir
        self.log_dir = log_dir
        self.processes = {}

    def start(self):
        os.makedirs(self.log_dir, exist_ok=True)
        base = dict(os.environ, LOG_LEVEL="info")
        self._spawn(
            "orders",
            netns.command([f"{self.build_dir}/services/orders/kpo-orders"]),
            dict(
                base,
                ORDERS_LISTEN=ORDERS_LISTEN,
                ORDERS_DATABASE_URL=through(ORDERS_DB, netns.PORTS["postgres"]),
                RABBITMQ_URL=through(RABBITMQ, netns.PORTS["broker"]),
            ),
        )
        self._spawn(
            "payments",
            [f"{self.build_dir}/services/payments/kpo-payments"],
            dict(base, PAYMENTS_LISTEN=PAYMENTS_LISTEN, PAYMENTS_DATABASE_URL=PAYMENTS_DB, RABBITMQ_URL=RABBITMQ),
        )
        self._spawn(
            "gateway",
            [f"{self.build_dir}/services/gateway/kpo-gateway"],
            dict(
                base,
                GATEWAY_LISTEN=GATEWAY_LISTEN,
                GATEWAY_DATABASE_URL=GATEWAY_DB,
                GATEWAY_ORDERS_UPSTREAMS=ORDERS_LISTEN,
                GATEWAY_PAYMENTS_UPSTREAMS=PAYMENTS_LISTEN,
            ),
        )
        for name, listen in (("orders", ORDERS_LISTEN), ("payments", PAYMENTS_LISTEN), ("gateway", GATEWAY_LISTEN)):
            self._wait_ready(name, listen, 60)

    def _spawn(self, name, argv, environment):
        log = open(os.path.join(self.log_dir, f"{name}.log"), "w")
        self.processes[name] = subprocess.Popen(
            argv, env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()

    def _wait_ready(self, name, listen, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited during start-up (log: {self.log_dir}/{name}.log)")
            try:
                with urllib.request.urlopen(f"http://{listen}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)  # polling readiness with a deadline
        raise RuntimeError(f"{name} not ready after {timeout_s} s (log: {self.log_dir}/{name}.log)")

    def crashed(self):
        """Names of the services that exited while they should be running."""
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()
