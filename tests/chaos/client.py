"""The chaos suite's HTTP client: what a well-behaved API client does, and a count of what it saw.

A call is one logical request: it is sent again with the same Idempotency-Key after 503/429 (waiting
the Retry-After), 409 (the first attempt is still running) and after failures, until it gets a final
answer or its deadline passes. Each connection carries one request (no keep-alive), so a request that
was sent and got no answer is always the server's doing, never a stale pooled connection. A gateway
that refuses the connection (nothing listens: it is being replaced) is skipped for the next one, as a
load balancer does; that request was never sent, so it is counted as a failover, not an error.
"""
import http.client
import json
import threading
import time
from collections import Counter, defaultdict

CALL_DEADLINE_S = 120
REQUEST_TIMEOUT_S = 40  # above the gateway's 30 s upstream timeout: its 504 is the answer we want to see


class Stats:
    """Counts per fault window; the chaos driver moves `window` as faults begin and end."""

    def __init__(self):
        self.lock = threading.Lock()
        self.window = "none"
        self.errors = defaultdict(Counter)  # window -> kind -> count (client-visible errors)
        self.retryable = defaultdict(Counter)  # window -> "503"/"429"/"409" -> count (documented, retried)
        self.failovers = Counter()
        self.requests = Counter()
        self.error_samples = []

    def set_window(self, name):
        with self.lock:
            self.window = name

    def count_request(self):
        with self.lock:
            self.requests[self.window] += 1

    def error(self, kind, detail):
        with self.lock:
            self.errors[self.window][kind] += 1
            if len(self.error_samples) < 40:
                self.error_samples.append(f"[{self.window}] {kind}: {detail}"[:300])

    def retried(self, kind):
        with self.lock:
            self.retryable[self.window][kind] += 1

    def failover(self):
        with self.lock:
            self.failovers[self.window] += 1


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Client:
    def __init__(self, gateway_ports, stats):
        self.ports = list(gateway_ports)
        self.stats = stats
        self.next_port = 0
        self.lock = threading.Lock()

    def _pick(self):
        with self.lock:
            self.next_port = (self.next_port + 1) % len(self.ports)
            return self.next_port

    def _send_once(self, method, path, body, headers):
        """One request on a new connection to some gateway; None if every gateway refused the connection."""
        first = self._pick()
        for offset in range(len(self.ports)):
            port = self.ports[(first + offset) % len(self.ports)]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
            try:
                try:
                    connection.connect()
                except ConnectionRefusedError:
                    self.stats.failover()
                    continue
                self.stats.count_request()
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
            finally:
                connection.close()
        return None

    def call(self, method, path, token=None, payload=None, key=None):
        """Sends until a final answer (2xx or 4xx other than 409/429); returns it, or None at the deadline."""
        headers = {"Connection": "close"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        deadline = time.monotonic() + CALL_DEADLINE_S
        while time.monotonic() < deadline:
            wait = self._attempt(method, path, body, headers)
            if isinstance(wait, Response):
                return wait
            time.sleep(wait)
        self.stats.error("deadline", f"{method} {path} had no final answer in {CALL_DEADLINE_S} s")
        return None

    def _attempt(self, method, path, body, headers):
        """A final Response, or how long to wait before the next attempt."""
        try:
            response = self._send_once(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.stats.error("transport", f"{method} {path}: {type(error).__name__} {error}")
            return 0.2
        if response is None:
            return 0.2  # no gateway listens right now (counted as failovers)
        retry_after = response.headers.get("retry-after")
        if response.status in (503, 429) and retry_after is not None:
            self.stats.retried(str(response.status))
            if response.status == 503 and not _is_problem(response):
                self.stats.error("503-not-problem", f"{method} {path}: {response.body[:120]!r}")
            return min(float(retry_after), 5.0)
        if response.status == 409 and "idempotency-key" in {k.lower() for k in headers}:
            self.stats.retried("409")
            return 0.2
        if response.status >= 500:
            self.stats.error(str(response.status), f"{method} {path}: {response.body[:160]!r}")
            return 0.5
        return response


def _is_problem(response):
    return response.headers.get("content-type", "").startswith("application/problem+json")
