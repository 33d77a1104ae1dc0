"""A steady stream of orders through the gateway from a few funded users, each answer recorded with
the phase it was sent in."""

import collections
import http.client
import json
import threading
import time

# Long enough for the gateway to answer first (its upstream timeout is 30 s): a client timeout then
# means the gateway itself hung.
CLIENT_TIMEOUT_S = 40


def call(address, method, path, token=None, body=None):
    """One request; returns (status, headers dict with lower-case names, parsed JSON or None)."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=CLIENT_TIMEOUT_S)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        answer = connection.getresponse()
        raw = answer.read()
        found = {name.lower(): value for name, value in answer.getheaders()}
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return answer.status, found, parsed
    finally:
        connection.close()


def funded_user(address, deposit):
    """A guest user with an account holding `deposit`; returns (user id, token)."""
    status, _, guest = call(address, "POST", "/api/auth/guest")
    if status != 201:
        raise RuntimeError(f"POST /api/auth/guest answered {status}")
    token = guest["token"]
    status, _, _ = call(address, "POST", "/api/accounts", token)
    if status != 201:
        raise RuntimeError(f"POST /api/accounts answered {status}")
    status, _, _ = call(address, "POST", "/api/accounts/me/deposits", token, {"amount": deposit})
    if status != 200:
        raise RuntimeError(f"POST /api/accounts/me/deposits answered {status}")
    return guest["userId"], token


def classify(status, headers):
    """The outcome as the table shows it; `error` is True for what the contract forbids (a 5xx that is
    not 503 + Retry-After + problem+json, or no answer at all)."""
    if status == 503:
        ok = "retry-after" in headers and headers.get("content-type", "").startswith("application/problem+json")
        return ("503+Retry-After", False) if ok else ("503 malformed", True)
    if status >= 500:
        return str(status), True
    return str(status), False


class Load:
    """`workers` threads, one user each, each sending an order every `interval_s` (the answer of one
    request is awaited before the next, so a slow system gets fewer requests, as from real clients)."""

    def __init__(self, address, workers, interval_s, amount):
        self.address = address
        self.interval_s = interval_s
        self.amount = amount
        self.phase = "baseline"
        self.users = [funded_user(address, amount * 100_000) for _ in range(workers)]
        self.counts = collections.defaultdict(collections.Counter)  # phase -> outcome -> n
        self.errors = []  # (phase, outcome, detail)
        self.latencies = collections.defaultdict(list)  # phase -> seconds per answer
        self.accepted = {}  # order id -> monotonic time of its 202
        self.last_accept = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._work, args=(token,), daemon=True) for _, token in self.users]

    def start(self):
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT_S + 5)

    def _work(self, token):
        next_at = time.monotonic()
        while not self._stop.is_set():
            phase, sent = self.phase, time.monotonic()
            try:
                status, headers, body = call(
                    self.address, "POST", "/api/orders", token, {"amount": self.amount, "description": "netfault"}
                )
                outcome, error = classify(status, headers)
                detail = f"{status} {body}" if error else ""
            except OSError as failure:
                status, body, outcome, error, detail = 0, None, "no answer", True, repr(failure)
            with self._lock:
                self.counts[phase][outcome] += 1
                self.latencies[phase].append(time.monotonic() - sent)
                if error:
                    self.errors.append((phase, outcome, detail))
                if status == 202:
                    self.accepted[body["id"]] = time.monotonic()
                    self.last_accept = time.monotonic()
            next_at = max(next_at + self.interval_s, time.monotonic())
            self._stop.wait(next_at - time.monotonic())  # pacing: the offered rate, not a synchronisation
