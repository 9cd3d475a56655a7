"""A fault-injecting HTTP proxy between the real `twilio` SDK and the Twilio mock (Prism), on loopback.

Point `twilio_api_url` at `FaultProxy.url`; it forwards to the mock and, when told to, misbehaves the way
Twilio and networks do:

| fault                | what the SDK sees                                   | did "Twilio" accept the message? |
|----------------------|-----------------------------------------------------|----------------------------------|
| `slow_accept`        | no answer within its timeout (the answer comes late) | yes (forwarded, mock said 201)  |
| `rate_limit`         | 429, code 20429, with `Retry-After` if given         | no (the mock answered the 429)  |
| `error`              | 500/503 (code 20500/20503)                           | no                              |
| `error_after_accept` | 500, code 20500                                      | yes                             |
| `reset`              | connection reset, no answer                          | no (never forwarded)            |
| `reset_after_accept` | connection reset, no answer                          | yes                             |

`listing_lag` (seconds) keeps newly accepted messages out of listings for a while, as Twilio may.

The mock is stateless (every message gets the same example SID, nothing can be listed), so the proxy also
plays Twilio's memory: each accepted message gets its own SID, and `GET …/Messages.json` (the list the
dispatcher searches for a message of unknown fate) and `GET …/Messages/SM….json` are answered from the
messages accepted so far, with `To`, `From`, `Body` and `date_created` as sent.

It counts what it received, forwarded and had accepted per (To, Body), so a test can say how many times a
recipient got an SMS. Loopback only, at most `max_connections` connections at once, bodies up to 64 KiB, and
it stops itself after `lifetime` seconds if nobody stops it first.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KINDS = ("slow_accept", "rate_limit", "error", "error_after_accept", "reset", "reset_after_accept")
ROUTES = ("send", "list", "fetch")
MAX_BODY = 64 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class Fault:
    """One kind of misbehaviour for the next `times` requests of a route (`None`: every one until cleared)."""

    kind: str
    route: str = "send"
    times: int | None = 1
    retry_after: str | None = None
    """`Retry-After` header of a `rate_limit` answer (seconds or an HTTP date); None: no header."""
    status: int = 500
    """HTTP status of an `error` / `error_after_accept` answer."""
    delay: float = 2.0
    """Seconds a `slow_accept` answer is held back (choose more than the client's timeout)."""
    until: datetime | None = None
    """With `times=None`: an episode that ends at this time of the proxy's clock (the test's clock)."""
    used: int = 0

    def active(self, route: str, now: datetime) -> bool:
        """Whether this fault applies to the next request of `route` at `now`."""
        if self.route != route or (self.until is not None and now >= self.until):
            return False
        return self.times is None or self.used < self.times


@dataclass(frozen=True)
class Message:
    """A message "Twilio" accepted."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    created: datetime


@dataclass
class Tally:
    """Requests per (To, Body)."""

    received: Counter[tuple[str, str]] = field(default_factory=Counter)
    posted: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Send requests passed on to the mock (accepted or answered 429 there): what its own log counts."""
    forwarded: Counter[tuple[str, str]] = field(default_factory=Counter)
    accepted: Counter[tuple[str, str]] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    """How often each fault was applied."""
    incomplete: int = 0
    """Requests whose body never fully arrived (the client died mid-request): dropped, never forwarded."""
    hidden: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Accepted messages left out of a listing because of `listing_lag`."""


def _error_body(code: int, status: int, message: str) -> bytes:
    return json.dumps(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
    ).encode()


class FaultProxy:
    """See the module docstring. Use as a context manager, or `start()` and `stop()`."""

    def __init__(
        self,
        upstream: str,
        *,
        clock: Callable[[], datetime] | None = None,
        lifetime: float = 300.0,
        max_connections: int = 32,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.hostname not in LOOPBACK or parts.port is None:
            raise ValueError(f"the upstream must be on loopback with a port: {upstream!r}")
        self.upstream = (parts.hostname, parts.port)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lifetime = lifetime
        self.max_connections = max_connections
        self.tally = Tally()
        self.messages: list[Message] = []
        self.listing_lag = 0.0
        """Seconds an accepted message stays out of listings (Twilio's lag before a new message is listed)."""
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._arrivals = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._serial = 0

    # -- life cycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT of the running proxy."""
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        """Listen on a free loopback port and serve in a daemon thread."""
        proxy = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            request_queue_size = max(
                64, proxy.max_connections
            )  # the default 5 turns a burst into connect timeouts

            def process_request(self, request: Any, client_address: Any) -> None:
                if not proxy._slots.acquire(blocking=False):  # bounded: refuse what we cannot serve
                    self.shutdown_request(request)
                    return
                super().process_request(request, client_address)

            def process_request_thread(self, request: Any, client_address: Any) -> None:
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    proxy._slots.release()

            def handle_error(self, request: Any, client_address: Any) -> None:
                """Resets and clients that gave up are the point of this server: stay quiet."""

        self._server = Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultproxy", daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake held-back answers, close the socket; safe to call twice."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults and counts ------------------------------------------------------------------------

    def inject(self, kind: str, times: int | None = 1, *, route: str = "send", **options: Any) -> Fault:
        """Misbehave for the next `times` requests of `route` (`send`, `list`, `fetch`); faults queue in order."""
        if kind not in KINDS or route not in ROUTES:
            raise ValueError(f"unknown fault {kind!r} on {route!r}")
        fault = Fault(kind, route, times, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Behave from now on."""
        with self._lock:
            self._faults.clear()

    def _take(self, route: str) -> Fault | None:
        now = self.clock()
        with self._lock:
            for fault in self._faults:
                if fault.active(route, now):
                    fault.used += 1
                    self.tally.faults[fault.kind] += 1
                    return fault
        return None

    def accepted(self, to: str | None = None, body: str | None = None) -> int:
        """Messages accepted, all or for this recipient (and body)."""
        with self._lock:
            return sum(
                n
                for (t, b), n in self.tally.accepted.items()
                if (to is None or t == to) and (body is None or b == body)
            )

    def received(self, to: str | None = None) -> int:
        """Send requests received (whatever became of them), all or for this recipient."""
        with self._lock:
            return sum(n for (t, _b), n in self.tally.received.items() if to is None or t == to)

    def wait_received(self, count: int, timeout: float) -> bool:
        """Block until `count` send requests have arrived in all (or `timeout` seconds passed); whether they did."""
        with self._arrivals:
            return self._arrivals.wait_for(lambda: sum(self.tally.received.values()) >= count, timeout)

    def posted(self) -> Counter[tuple[str, str]]:
        """Send requests passed on to the mock per (To, Body)."""
        with self._lock:
            return Counter(self.tally.posted)

    def per_message(self) -> Counter[tuple[str, str]]:
        """Accepted copies per (To, Body)."""
        with self._lock:
            return Counter(self.tally.accepted)

    # -- what "Twilio" does -------------------------------------------------------------------------

    def forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        """Pass a request to the mock; its status, body and content type."""
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read(), response.getheader("Content-Type") or "application/json"
        finally:
            conn.close()

    def remember(self, form: dict[str, str], mock_answer: bytes) -> bytes:
        """Record an accepted message under a fresh SID; the mock's answer with our values filled in."""
        with self._lock:
            self._serial += 1
            sid = f"SM{self._serial:032x}"
            message = Message(
                sid,
                form.get("To", ""),
                form.get("From"),
                form.get("MessagingServiceSid"),
                form.get("Body", ""),
                self.clock(),
            )
            self.messages.append(message)
            self.tally.accepted[(message.to, message.body)] += 1
        return json.dumps(self._resource(message, _json(mock_answer))).encode()

    def _resource(self, message: Message, template: dict[str, Any]) -> dict[str, Any]:
        stamp = email.utils.format_datetime(message.created.astimezone(UTC), usegmt=True)
        account = template.get("account_sid") or "AC" + "0" * 32
        return {
            **template,
            "sid": message.sid,
            "to": message.to,
            "from": message.from_,
            "messaging_service_sid": message.messaging_service_sid,
            "body": message.body,
            "status": "queued",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{message.sid}.json",
        }

    def listing(self, path: str, query: dict[str, str]) -> bytes:
        """A page of accepted messages, newest first, filtered by To and From as Twilio does."""
        now = self.clock()
        with self._lock:
            matching = [
                m
                for m in reversed(self.messages)
                if (not query.get("To") or m.to == query["To"])
                and (not query.get("From") or m.from_ == query["From"])
            ]
            found = [m for m in matching if (now - m.created).total_seconds() >= self.listing_lag]
            for m in matching:
                if m not in found:
                    self.tally.hidden[(m.to, m.body)] += 1
        size = int(query.get("PageSize") or 50)
        rows = [self._resource(m, {}) for m in found[:size]]
        return json.dumps(
            {
                "messages": rows,
                "end": max(0, len(rows) - 1),
                "first_page_uri": path,
                "next_page_uri": None,
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": path,
            }
        ).encode()

    def find(self, sid: str) -> Message | None:
        """An accepted message by SID."""
        with self._lock:
            return next((m for m in self.messages if m.sid == sid), None)

    def hold(self, seconds: float) -> None:
        """Wait `seconds`, or less if the proxy stops meanwhile."""
        self._stopping.wait(max(0.0, min(seconds, self.lifetime)))


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _route(method: str, path: str) -> str | None:
    if not path.startswith("/2010-04-01/Accounts/"):
        return None
    if method == "POST" and path.endswith("/Messages.json"):
        return "send"
    if method == "GET" and path.endswith("/Messages.json"):
        return "list"
    if method == "GET" and "/Messages/SM" in path and path.endswith(".json"):
        return "fetch"
    return None


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like Twilio: the SDK reuses its connections

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            """Quiet: tests read the tally, not a log."""

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, b"{}")
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client went away mid-request (killed): Twilio would not act on it
                with proxy._lock:
                    proxy.tally.incomplete += 1
                self.close_connection = True
                return
            split = urlsplit(self.path)
            route = _route(method, split.path)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "keep-alive")
            }
            if route is None:
                self._relay(*proxy.forward(method, self.path, body, headers))
                return
            if "Authorization" not in self.headers:
                self._answer(401, _error_body(20003, 401, "Authenticate"))
                return
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            key = (form.get("To", ""), form.get("Body", ""))
            if route == "send":
                with proxy._arrivals:
                    proxy.tally.received[key] += 1
                    proxy._arrivals.notify_all()
            fault = proxy._take(route)
            kind = fault.kind if fault else None
            if kind == "reset":
                self._reset()
                return
            if kind == "rate_limit":
                assert fault is not None
                extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                if route == "send":  # the mock knows Twilio's 20429 answer for sends
                    headers["Prefer"] = "code=429"
                    with proxy._lock:
                        proxy.tally.posted[key] += 1
                    status, answer, _ = proxy.forward(method, self.path, body, headers)
                    self._answer(status, answer, extra)
                else:
                    self._answer(429, _error_body(20429, 429, "Too Many Requests"), extra)
                return
            if kind == "error":
                assert fault is not None
                self._answer(fault.status, _error_body(20000 + fault.status, fault.status, "Server error"))
                return
            if route == "list":
                query = {k: v[0] for k, v in parse_qs(split.query).items()}
                answer = proxy.listing(split.path, query)
                self._after(fault, 200, answer)
                return
            if route == "fetch":
                sid = split.path.rsplit("/", 1)[1].removesuffix(".json")
                message = proxy.find(sid)
                if message is None:
                    self._relay(*proxy.forward(method, self.path, body, headers))
                    return
                self._after(fault, 200, json.dumps(proxy._resource(message, {})).encode())
                return
            with proxy._lock:
                proxy.tally.forwarded[key] += 1
                proxy.tally.posted[key] += 1
            status, answer, _ = proxy.forward(method, self.path, body, headers)
            if status == 201:
                answer = proxy.remember(form, answer)
            self._after(fault, status, answer)

        def _after(self, fault: Fault | None, status: int, answer: bytes) -> None:
            """Answer, or misbehave once the request has had its effect."""
            kind = fault.kind if fault else None
            if kind == "reset_after_accept":
                self._reset()
            elif kind == "error_after_accept":
                assert fault is not None
                self._answer(
                    fault.status,
                    _error_body(20000 + fault.status, fault.status, "An internal server error has occurred"),
                )
            elif kind == "slow_accept":
                assert fault is not None
                proxy.hold(fault.delay)
                with contextlib.suppress(OSError):  # the client has usually given up by now
                    self._answer(status, answer)
                self.close_connection = True
            else:
                self._answer(status, answer)

        def _relay(self, status: int, answer: bytes, content_type: str) -> None:
            self._answer(status, answer, {"Content-Type": content_type})

        def _answer(self, status: int, answer: bytes, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            headers = {"Content-Type": "application/json", **(extra or {})}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def _reset(self) -> None:
            """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer', no answer."""
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            self.close_connection = True

    return Handler


@contextlib.contextmanager
def fault_proxy(upstream: str, **options: Any) -> Iterator[FaultProxy]:
    """A started proxy in front of `upstream`, stopped on exit."""
    proxy = FaultProxy(upstream, **options).start()
    try:
        yield proxy
    finally:
        proxy.stop()
