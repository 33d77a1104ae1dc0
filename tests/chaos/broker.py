"""RabbitMQ through its management API (http://localhost:15672, with the credentials of RABBITMQ_URL): the chaos suite's own vhost,
messages published straight to the services' exchanges, and what the dead-letter queues hold."""
import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid

# The message contract (docs/architecture.md): exchanges, routing keys and the queues that consume them.
ORDER_CREATED = ("orders", "order.created", "OrderCreated")
PAYMENT_SUCCEEDED = ("payments", "payment.succeeded", "PaymentSucceeded")
PAYMENT_FAILED = ("payments", "payment.failed", "PaymentFailed")
DLQS = ("payments.order-created.dlq", "orders.payment-results.dlq")


def url_credentials(url):
    """(user, password) of the first broker URL in a RABBITMQ_URL list (scripts/lib.sh generates the password)."""
    first = urllib.parse.urlsplit(url.split(",")[0].strip())
    return urllib.parse.unquote(first.username or "guest"), urllib.parse.unquote(first.password or "guest")


class Management:
    def __init__(self, vhost, base="http://127.0.0.1:15672", credentials=None):
        self.vhost = vhost
        self.base = base
        user, password = credentials or url_credentials(os.environ["RABBITMQ_URL"])
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def _request(self, method, path, body=None, allow=()):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", self.auth)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            if error.code in allow:
                return None
            raise RuntimeError(f"management API {method} {path}: {error.code} {error.read()[:200]!r}") from error

    def _v(self):
        return urllib.parse.quote(self.vhost, safe="")

    def reset_vhost(self):
        """Deletes the suite's vhost with every queue in it and creates it empty, so that the dead-letter
        queues hold exactly what this run put there."""
        self._request("DELETE", f"/api/vhosts/{self._v()}", allow=(404,))
        self._request("PUT", f"/api/vhosts/{self._v()}", {})
        self._request("PUT", f"/api/permissions/{self._v()}/kpo", {"configure": ".*", "write": ".*", "read": ".*"})

    def publish(self, route, body, message_id=None, correlation_id=None):
        """Publishes a persistent message as the services do; returns its message_id."""
        exchange, routing_key, type_name = route
        message_id = message_id or str(uuid.uuid4())
        properties = {"delivery_mode": 2, "content_type": "application/json", "message_id": message_id,
                      "type": type_name}
        if correlation_id:
            properties["correlation_id"] = correlation_id
        answer = self._request("POST", f"/api/exchanges/{self._v()}/{exchange}/publish",
                               {"properties": properties, "routing_key": routing_key, "payload": body,
                                "payload_encoding": "string"})
        if not answer or not answer.get("routed"):
            raise RuntimeError(f"{exchange}/{routing_key}: message {message_id} was not routed to any queue")
        return message_id

    def queue_depth(self, queue):
        info = self._request("GET", f"/api/queues/{self._v()}/{urllib.parse.quote(queue, safe='')}")
        return info.get("messages", 0) or 0

    def message_ids(self, queue, at_least=0):
        """The message_id of every message in `queue` (fetched and requeued: the queue keeps them). The
        management API's depth is sampled every few seconds, so `at_least` more are asked for too."""
        count = self.queue_depth(queue) + at_least
        if count == 0:
            return []
        got = self._request("POST", f"/api/queues/{self._v()}/{urllib.parse.quote(queue, safe='')}/get",
                            {"count": count, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 500})
        return [m.get("properties", {}).get("message_id") for m in got or []]
