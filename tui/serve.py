"""`beian dashboard --serve`: the same dashboard in a browser, through textual-serve, for its user only.

Each browser tab runs `beian dashboard` (with the same `--demo`) in its own process. The database URL
travels in the environment, never on the command line, so a password stays out of process lists.

Whoever opens the WebSocket drives a dashboard that can read every filing and record events, so the server
lets in only the person who started it:

- it listens on 127.0.0.1 unless `--host` names another address (a wildcard such as 0.0.0.0 is refused: the
  WebSocket origin is checked against the address browsers use, so it must be a concrete one);
- everything it serves (page, scripts, WebSocket, downloads) lives under a random per-run token,
  `http://127.0.0.1:8000/<token>/`, printed at start like a notebook server's; any other path is refused;
- the `Host` header must name the served address (a DNS-rebinding page carries its own name) and the
  WebSocket's `Origin` must be the served origin (a page on another site, or another port, is refused
  before any dashboard process starts);
- responses carry `Referrer-Policy: no-referrer` so the token never leaves in a `Referer` header, and may
  not be framed by other sites.

textual-serve builds its aiohttp application in `Server._make_app`; `GuardedServer` mounts that application
under the token (an aiohttp sub-application, so its own URLs gain the prefix) and puts the checks in a
middleware of the outer application, which runs before any of textual-serve's handlers.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import secrets
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from textual_serve.server import Server

from tracker.errors import UsageError

DB_ENV = "BEIAN_DATABASE_URL"
DEFAULT_HOST = "127.0.0.1"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names a browser on this machine may use for a server bound to loopback: all reach only this machine."""
REFUSED = "Forbidden: open the URL printed when `beian dashboard --serve` started (it carries the token)."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def served_command(*, demo: bool = False) -> list[str]:
    """The command each browser session runs: this Python's `beian dashboard` (argv, no database URL)."""
    return [sys.executable, "-m", "tracker", "dashboard", *(["--demo"] if demo else [])]


def new_token() -> str:
    """A fresh random token for one run of the server: 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def url_host(host: str) -> str:
    """`host` as it appears in a URL: IPv6 literals in brackets, names lower-cased.

    Raises `UsageError` (exit 2) for an empty host or a wildcard address (0.0.0.0, ::): the served origin
    must be the address browsers will use.
    """
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if not name:
        raise UsageError("--host needs an address", hint="e.g. --host 127.0.0.1")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return name
    if address.is_unspecified:
        raise UsageError(
            f"--host {host} listens on every interface, and the dashboard checks each browser's origin "
            "against the address it serves",
            hint="name the address browsers will use, e.g. --host 192.168.1.10",
        )
    return f"[{address.compressed}]" if address.version == 6 else address.compressed


def served_names(host: str) -> tuple[str, ...]:
    """The host names (URL form) a browser may use to reach a server bound to `host`.

    Loopback binds accept 127.0.0.1, localhost and [::1] (they all stay on this machine); any other
    address accepts exactly itself. Raises `UsageError` as `url_host` does.
    """
    name = url_host(host)
    if name in LOOPBACK_NAMES:
        return (name, *(n for n in LOOPBACK_NAMES if n != name))
    return (name,)


class Guard:
    """The checks every request passes before textual-serve sees it (an aiohttp middleware).

    `names` are the served host names in URL form, `port` the TCP port (it may be learnt after binding,
    for `--port 0`), `token` the per-run secret that starts every served path.
    """

    def __init__(self, names: Iterable[str], port: int, token: str) -> None:
        self.names = tuple(names)
        self.port = port
        self.token = token

    def hosts(self) -> set[str]:
        """Acceptable `Host` header values (name and port)."""
        return {f"{name}:{self.port}" for name in self.names} | (
            set(self.names) if self.port == 80 else set()
        )

    def origins(self) -> set[str]:
        """Acceptable WebSocket `Origin` values: the served origin(s)."""
        return {f"http://{host}" for host in self.hosts()}

    def admits(self, request: web.Request) -> bool:
        """True when the request has the served host, the token and, for a WebSocket, the served origin."""
        if (request.host or "").lower() not in self.hosts():
            return False
        first, _, _rest = request.path.lstrip("/").partition("/")
        if not hmac.compare_digest(first.encode(), self.token.encode()):
            return False
        origin = request.headers.get("Origin")
        if origin is not None:  # browsers send it on WebSockets and cross-site requests
            return origin.lower() in self.origins()
        # a WebSocket without an Origin comes from no browser page, but it is refused all the same
        return (
            request.path != f"/{self.token}/ws" and request.headers.get("Upgrade", "").lower() != "websocket"
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse (403, a fixed text, no app started) or pass on; add headers that keep the token in."""
        if not self.admits(request):
            return web.Response(status=403, text=REFUSED, headers=_HEADERS)
        response = await handler(request)
        response.headers.update(_HEADERS)
        return response


_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class GuardedServer(Server):
    """textual-serve's `Server`, mounted under a per-run token behind a `Guard`; see the module docstring."""

    def __init__(
        self,
        command: str,
        *,
        host: str = DEFAULT_HOST,
        port: int = 8000,
        token: str | None = None,
        title: str = "beian dashboard",
        announce: Callable[[str], None] | None = None,
    ) -> None:
        names = served_names(host)
        super().__init__(command, host=host, port=port, title=title)
        self.token = token or new_token()
        self.guard = Guard(names, port, self.token)
        self.announce = announce or _announce
        self._set_public_url(port)

    def _set_public_url(self, port: int) -> None:
        self.guard.port = port
        self.public_url = f"http://{self.guard.names[0]}:{port}"  # textual-serve appends routed paths

    @property
    def url(self) -> str:
        """The URL to open: origin, token, trailing slash."""
        return f"{self.public_url}/{self.token}/"

    async def _make_app(self) -> web.Application:
        """textual-serve's application as a sub-application under `/<token>`, behind the guard."""
        inner = await super()._make_app()
        outer = web.Application(middlewares=[self.guard.middleware])
        outer.add_subapp(f"/{self.token}", inner)
        return outer

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing here; `run` prints the URL once the port is bound."""

    async def run(self, stop: asyncio.Event) -> None:
        """Bind, announce the URL (with the real port when 0 was asked), serve until `stop` is set."""
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host.strip("[]"), self.port)
            try:
                await site.start()
            except OSError as exc:
                raise UsageError(
                    f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                    hint="choose another --port, or --port 0 for any free one",
                ) from None
            self._set_public_url(int(runner.addresses[0][1]))
            self.announce(self.url)
            await stop.wait()
        finally:
            await runner.cleanup()

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT or SIGTERM (blocking); raises `UsageError` when the port cannot be bound."""
        self.debug = debug

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await self.run(stop)

        asyncio.run(main())


def _announce(url: str) -> None:
    print(f"Serving the dashboard at {url}", flush=True)
    print("Anyone with this URL can drive the dashboard; keep it to yourself. Ctrl+C stops.", flush=True)


def serve_dashboard(
    *, db: str | None = None, demo: bool = False, port: int = 8000, host: str = DEFAULT_HOST
) -> None:
    """Serve the dashboard on http://host:port/<token>/ until interrupted (blocking).

    `port` 0 takes any free port. Raises `UsageError` (exit 2) for a wildcard host or a port that cannot
    be bound.
    """
    server = GuardedServer(shlex.join(served_command(demo=demo)), host=host, port=port)
    if db:
        os.environ[DB_ENV] = db
    server.serve()
