"""The chaos suite's workload: guest users with accounts, then orders, deposits and keyed replays.

The plan (who orders what, which requests are replayed) comes from a seeded random generator, so a
run with the same seed sends the same requests; only their timing depends on the machine.
"""
import queue
import random
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Op:
    kind: str  # "order" or "deposit"
    user: int
    amount: int
    key: str
    replay: bool


@dataclass
class Results:
    accepted: dict = field(default_factory=dict)  # order id -> (user index, amount)
    deposits: dict = field(default_factory=dict)  # user index -> sum of acknowledged deposits
    unresolved: list = field(default_factory=list)  # ops without a final answer by their deadline
    unexpected: list = field(default_factory=list)  # final answers the contract does not allow here
    replays: int = 0
    replay_mismatches: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_plan(seed, users):
    """An endless stream of requests; the same seed always gives the same stream."""
    rng = random.Random(seed)
    i = 0
    while True:
        user = rng.randrange(users)
        yield Op("order", user, rng.randint(100, 5000), f"chaos-{seed}-o{i}", rng.random() < 0.05)
        if rng.random() < 0.12:
            yield Op("deposit", user, rng.choice((2000, 5000, 10000)), f"chaos-{seed}-d{i}", rng.random() < 0.2)
        i += 1


INITIAL_DEPOSIT = 30000


class Load:
    def __init__(self, client, users, plan, rate, workers, min_orders):
        self.client, self.plan, self.rate, self.workers = client, plan, rate, workers
        self.min_orders = min_orders
        self.orders_queued = 0
        # Set by the fault schedule when it is over: the load goes on until then and until min_orders.
        self.finish = threading.Event()
        self.tokens = [None] * users
        self.results = Results()
        self.sent = 0
        self.stop_flag = threading.Event()
        self.threads = []

    def setup_users(self):
        """A guest, an account and a first deposit per user (the first two also keyed and checked)."""
        for user in range(len(self.tokens)):
            answer = self.client.call("POST", "/api/auth/guest")
            if answer is None or answer.status != 201:
                raise RuntimeError(f"guest user {user}: {answer and answer.status}")
            self.tokens[user] = answer.json()["token"]
            account = self.client.call("POST", "/api/accounts", self.tokens[user], {}, f"acct-{user}")
            if account is None or account.status != 201:
                raise RuntimeError(f"account of user {user}: {account and account.status} {account and account.body}")
            self._run(Op("deposit", user, INITIAL_DEPOSIT, f"init-{user}-{id(self)}", False))

    def start(self):
        work = queue.Queue(maxsize=self.workers * 4)
        self.threads = [threading.Thread(target=self._pace, args=(work,), daemon=True)]
        self.threads += [threading.Thread(target=self._work, args=(work,), daemon=True) for _ in range(self.workers)]
        for thread in self.threads:
            thread.start()

    def _pace(self, work):
        began = time.monotonic()
        for index, op in enumerate(self.plan):
            if self.stop_flag.is_set() or (self.finish.is_set() and self.orders_queued >= self.min_orders):
                break
            delay = began + index / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # open-loop pacing: the plan's send times, not a synchronisation
            work.put(op)
            self.orders_queued += op.kind == "order"
        for _ in range(self.workers):
            work.put(None)

    def _work(self, work):
        while (op := work.get()) is not None:
            self._run(op)
            with self.results.lock:
                self.sent += 1

    def enough(self):
        return self.orders_queued >= self.min_orders

    def join(self):
        for thread in self.threads:
            thread.join()

    def _run(self, op):
        token = self.tokens[op.user]
        path = "/api/orders" if op.kind == "order" else "/api/accounts/me/deposits"
        payload = {"amount": op.amount}
        if op.kind == "order":
            payload["description"] = f"chaos {op.key}"
        answer = self.client.call("POST", path, token, payload, op.key)
        expected = 202 if op.kind == "order" else 200
        with self.results.lock:
            if answer is None:
                self.results.unresolved.append(op)
                return
            if answer.status != expected:
                self.results.unexpected.append((op, answer.status, answer.body[:200]))
                return
            if op.kind == "order":
                self.results.accepted[answer.json()["id"]] = (op.user, op.amount)
            else:
                self.results.deposits[op.user] = self.results.deposits.get(op.user, 0) + op.amount
        if op.replay:
            self._check_replay(op, path, payload, answer)

    def _check_replay(self, op, path, payload, first):
        again = self.client.call("POST", path, self.tokens[op.user], payload, op.key)
        problems = []
        if again is None:
            problems.append("no answer")
        else:
            if (again.status, again.body) != (first.status, first.body):
                problems.append(f"{again.status} {again.body[:120]!r} != {first.status} {first.body[:120]!r}")
            if again.headers.get("location") != first.headers.get("location"):
                problems.append("Location differs")
            if again.headers.get("idempotent-replayed") != "true":
                problems.append("no Idempotent-Replayed: true")
        with self.results.lock:
            self.results.replays += 1
            if problems:
                self.results.replay_mismatches.append((op.key, "; ".join(problems)))
