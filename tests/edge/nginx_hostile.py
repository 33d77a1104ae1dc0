#!/usr/bin/env python3
"""Hostile requests against the UI's nginx (deploy/nginx.conf) on :3000, raw over a socket.

Checks what a browser never sends but an attacker does: malformed request lines answer 400 in the
API's problem+json format (not nginx's 500 HTML), as do the 405, 413, 414, 431, 501 and 505 nginx answers
itself; the app's page carries its security headers; nginx's internal error page is not reachable
from outside; the gateway believes nginx's X-Real-IP but not one a client on this host sends to its
port directly; a client that announces a body and never sends it is cut off within the configured
timeout (10 s), not after minutes, and so is one that trickles it a byte at a time (408). Run by
scripts/test.sh while nginx runs (it reads the gateway's log in .run/); exits 1 on a failure.
"""
import concurrent.futures
import json
import os
import re
import socket
import sys
import time

PORT = int(os.environ.get("KPO_UI_PORT", "3000"))
failures = []


def exchange(raw, timeout=5.0, trickle=False):
    """Sends raw bytes, reads until the server closes or `timeout` passes; returns (bytes, seconds).
    With `trickle`, goes on sending a byte a second (the socket's read timeout) until an answer's head
    has come."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", PORT), timeout=1.0 if trickle else timeout) as sock:
        sock.sendall(raw)
        data = b""
        while time.monotonic() - started < timeout and not (trickle and b"\r\n\r\n" in data):
            try:
                if trickle:
                    sock.sendall(b" ")
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            except socket.timeout:
                if not trickle:
                    break
            except OSError:
                break
    return data, time.monotonic() - started


def status_and_body(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode()
    return status, headers, body


def check(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(name)


def expect_problem(name, raw, expected=400):
    data, _ = exchange(raw)
    status, headers, body = status_and_body(data)
    problem = None
    try:
        problem = json.loads(body)
    except ValueError:
        pass
    # Exactly as the gateway and the services answer a problem (the charset included).
    check(name, status == expected and headers.get("content-type", "") == "application/problem+json; charset=utf-8"
          and isinstance(problem, dict) and problem.get("status") == expected,
          f"status {status}, content-type {headers.get('content-type')}, body {body[:80]!r}")


def expect_problem_400(name, raw):
    expect_problem(name, raw, 400)


expect_problem_400("a path above the root", b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n")
expect_problem_400("a NUL in the path", b"GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n")
expect_problem_400("a lower-case method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n")
expect_problem_400("no Host header", b"GET / HTTP/1.1\r\n\r\n")
expect_problem_400("Transfer-Encoding beside Content-Length",
                   b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")

expect_problem("a TRACE request", b"TRACE /api/orders HTTP/1.1\r\nHost: x\r\n\r\n", 405)
expect_problem("a transfer coding nginx does not implement",
               b"POST /api/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
               b"0\r\n\r\n", 501)
expect_problem("a 20 KB request target", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)
expect_problem("a 20 KB header", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431)
expect_problem("an HTTP version nginx does not speak", b"GET /api/orders HTTP/2.0\r\nHost: x\r\n\r\n", 505)
expect_problem("/api without its slash (the gateway's 404, not a redirect)",
               b"GET /api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404)
expect_problem("a 2 MB body", b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413)

# HTTP/1.0 may omit Host: nginx must still pass the request on with one (the gateway refuses an HTTP/1.1
# request without), so it is answered as it would be on the gateway's own port.
data, _ = exchange(b"POST /api/auth/guest HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
status, _, body = status_and_body(data)
check("an HTTP/1.0 request without Host reaches the gateway", status == 201 and b'"token"' in body,
      f"status {status}, body {body[:80]!r}")

# The app's page says what a browser may do with it: no framing by other sites, only this origin's
# scripts, no sniffing.
data, _ = exchange(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
status, headers, _ = status_and_body(data)
policy = headers.get("content-security-policy", "")
check("the app's page carries its security headers",
      status == 200 and headers.get("x-frame-options") == "DENY" and headers.get("x-content-type-options") == "nosniff"
      and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy,
      f"status {status}, headers {headers}")

# A request without an X-Request-Id gets one started by nginx, a UUID as the services' are; a
# client's own is passed through.
data, _ = exchange(b"GET /api/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
_, headers, _ = status_and_body(data)
started = headers.get("x-request-id", "")
check("a request id started by nginx is a UUID",
      re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", started) is not None,
      f"X-Request-Id {started!r}")
data, _ = exchange(b"GET /api/orders HTTP/1.1\r\nHost: x\r\nX-Request-Id: mine-1\r\nConnection: close\r\n\r\n")
_, headers, _ = status_and_body(data)
check("a client's request id is passed through", headers.get("x-request-id") == "mine-1", f"headers {headers}")
# One the gateway would not take (spaces, over 128 characters) is replaced here too, also in nginx's own
# answers (a 413 for a body over the limit), so that nginx and the gateway log the request by one id.
for bad in (b"two words", b"x" * 129):
    data, _ = exchange(b"POST /api/orders HTTP/1.1\r\nHost: x\r\nX-Request-Id: " + bad +
                       b"\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n")
    status, headers, _ = status_and_body(data)
    replaced = headers.get("x-request-id", "")
    check(f"a request id the gateway would not take is replaced ({len(bad)} bytes)",
          status == 413 and re.fullmatch(r"[0-9a-f-]{36}", replaced) is not None, f"status {status}, X-Request-Id {replaced!r}")

data, _ = exchange(b"GET /_kpo/400 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
status, _, _ = status_and_body(data)
check("the internal error page is not served to clients", status == 404, f"status {status}")

# Who the gateway takes the client for (its access log's "client" beside the peer, "remote"): through
# nginx, the address nginx saw, whatever X-Real-IP the client sent; straight to the gateway's port from
# this host, the peer itself, since only nginx (connecting from 127.0.0.2) is a trusted proxy. Else a
# client here could name any address in X-Real-IP and slip past the per-IP limits on logins.
RUN_DIR = os.environ.get("KPO_RUN_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../.run"))
GATEWAY_PORT = int(os.environ.get("GATEWAY_LISTEN", "0.0.0.0:5005").rsplit(":", 1)[1])


def access_entry(request_id, patience=10.0):
    """The gateway's access log entry for `request_id`, read as it is written (None if it never is)."""
    give_up_at = time.monotonic() + patience
    while True:
        with open(os.path.join(RUN_DIR, "gateway.log"), errors="replace") as log:
            for line in log:
                if request_id not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("msg") == "access" and entry.get("request_id") == request_id:
                    return entry
        if time.monotonic() > give_up_at:
            return None
        time.sleep(0.1)


def spoofing_request(port, request_id):
    with socket.create_connection(("127.0.0.1", port), timeout=5.0) as sock:
        sock.sendall(f"GET /api/orders HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                     f"X-Request-Id: {request_id}\r\nX-Real-IP: 203.0.113.66\r\n\r\n".encode())
        while sock.recv(65536):
            pass
    return access_entry(request_id)


run_id = os.urandom(6).hex()
entry = spoofing_request(PORT, f"hostile-proxied-{run_id}")
check("through nginx the client is the address nginx saw, not the X-Real-IP it sent",
      entry is not None and entry.get("remote") == "127.0.0.2" and entry.get("client") == "127.0.0.1",
      f"access entry {entry}")
entry = spoofing_request(GATEWAY_PORT, f"hostile-direct-{run_id}")
check("straight to the gateway from this host, a client's X-Real-IP is not believed",
      entry is not None and entry.get("remote") == "127.0.0.1" and "client" not in entry,
      f"access entry {entry}")

# The three slow clients wait out nginx's and the gateway's timeouts (about 10 s each): they run side by
# side, and are judged in order once all have ended.


def stalled_body():
    """Headers sent, body announced, nothing more: nginx must give up after client_body_timeout."""
    return exchange(b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n{", timeout=30)


def trickled_body():
    """A body trickled a byte per second: each read is within client_body_timeout, so only the gateway's
    deadline on the whole request (10 s; nginx passes bodies on unbuffered) ends it, with a 408."""
    return exchange(b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100\r\n\r\n", timeout=30, trickle=True)


def stalled_head():
    """Half a request head, then silence: client_header_timeout."""
    return exchange(b"GET / HTTP/1.1\r\nHost: x\r\n", timeout=30)


with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
    slow = [pool.submit(client) for client in (stalled_body, trickled_body, stalled_head)]
(data, seconds), (trickled, trickled_seconds), (_, head_seconds) = (future.result() for future in slow)
check("a client that stops sending its body is cut off within 15 s", seconds < 15 and data is not None,
      f"still connected after {seconds:.1f} s")
status, headers, _ = status_and_body(trickled)
check("a body trickled a byte a second is cut off within 15 s with a 408 problem",
      trickled_seconds < 15 and status == 408
      and headers.get("content-type", "").startswith("application/problem+json"),
      f"status {status} after {trickled_seconds:.1f} s")
check("a client that stops sending its headers is cut off within 15 s", head_seconds < 15,
      f"still connected after {head_seconds:.1f} s")

print(f"nginx hostile requests: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
