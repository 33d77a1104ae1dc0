"""A steady stream of writes through the gateway, every answer recorded.

Each worker is one user (a guest with an account): it places orders, and every few requests makes
a deposit or asks for a new guest session (a write to the gateway's own database). What the
services acknowledged (2xx) is what the failover test later looks for on the new primary.
"""
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

TIMEOUT_S = 15


@dataclass
class Answer:
    kind: str  # "order", "deposit" or "guest"
    started: float  # time.monotonic() when sent
    ended: float
    status: int  # 0: no HTTP answer at all
    retry_after: bool = False
    problem_json: bool = False
    ident: str = ""  # order id, deposit entry id or guest user id of a 2xx answer
    detail: str = ""


@dataclass
class Record:
    answers: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer):
        with self.lock:
            self.answers.append(answer)

    def snapshot(self):
        with self.lock:
            return list(self.answers)


def call(port, method, path, body=None, token=None):
    """One request; returns (status, headers, parsed JSON body or None). Status 0: no answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, dict(response.headers), _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), _json(error.read())
    except OSError as error:
        return 0, {}, {"error": str(error)}


def _json(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def open_user(port):
    """A guest with an account holding enough for every order of the run; returns its token."""
    status, _, body = call(port, "POST", "/api/auth/guest")
    if status != 201:
        raise RuntimeError(f"guest: {status} {body}")
    token = body["token"]
    status, _, body = call(port, "POST", "/api/accounts", token=token)
    if status != 201:
        raise RuntimeError(f"account: {status} {body}")
    status, _, body = call(port, "POST", "/api/accounts/me/deposits", {"amount": 10_000_000}, token)
    if status != 200:
        raise RuntimeError(f"deposit: {status} {body}")
    return token


class Worker(threading.Thread):
    """Sends one write after another (pacing `gap_s` apart) until `stop` is set."""

    def __init__(self, port, token, record, stop, index, gap_s):
        super().__init__(name=f"load-{index}", daemon=True)
        self.port, self.token, self.record, self.stop, self.index, self.gap_s = (
            port, token, record, stop, index, gap_s)

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            if n % 10 == 0:
                answer = self._write("guest", "/api/auth/guest", None, "userId", token=None)
            elif n % 4 == 0:
                answer = self._write("deposit", "/api/accounts/me/deposits", {"amount": 100 + n}, "entryId")
            else:
                body = {"amount": 100 + (n * 7 + self.index) % 900, "description": f"failover {self.index}-{n}"}
                answer = self._write("order", "/api/orders", body, "id")
            self.record.add(answer)
            # A refused write is tried again soon, as a client told Retry-After: 1 would; the wait
            # is capped so that the outage is sampled densely enough to measure it.
            self.stop.wait(0.2 if answer.status >= 500 or answer.status == 0 else self.gap_s)

    def _write(self, kind, path, body, id_field, token=""):
        started = time.monotonic()
        status, headers, parsed = call(self.port, "POST", path, body, self.token if token == "" else token)
        answer = Answer(kind, started, time.monotonic(), status)
        lowered = {k.lower(): v for k, v in headers.items()}
        answer.retry_after = "retry-after" in lowered
        answer.problem_json = lowered.get("content-type", "").startswith("application/problem+json")
        if 200 <= status < 300 and isinstance(parsed, dict):
            answer.ident = str(parsed.get(id_field, ""))
        elif status >= 500 or status == 0:
            answer.detail = json.dumps(parsed)[:200] if parsed is not None else ""
        return answer
