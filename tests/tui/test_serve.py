"""`beian dashboard --serve`: only the person holding the printed URL, in a page served by it, can drive it.

A real server process (`beian dashboard --serve --port 0`) and aiohttp's real HTTP and WebSocket client: a
refused page or socket gets a fixed 403 text and no dashboard process is started for it; the printed URL
in a page of the served origin gets the dashboard's output.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.slow

REF = "ALG-0001"
TITLE = "Lighthouse ranking"
REFUSED = "Forbidden"


@dataclass(frozen=True)
class Served:
    """A running `--serve` process and the URL it printed."""

    proc: subprocess.Popen[str]
    url: str

    @property
    def origin(self) -> str:
        """scheme://host:port of the printed URL."""
        return re.match(r"https?://[^/]+", self.url).group(0)  # type: ignore[union-attr]

    @property
    def token(self) -> str:
        """The path segment after the origin."""
        return self.url.removeprefix(self.origin).strip("/")

    @property
    def ws(self) -> str:
        """The WebSocket URL the served page uses."""
        return "ws" + self.url.removeprefix("http") + "ws"


def _env(home: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env.update(
        BEIAN_CONFIG_FILE=str(home / "config.toml"), BEIAN_DATA_DIR=str(home / "data"), BEIAN_DATABASE_URL=url
    )
    return env


def _beian(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args], env=env, capture_output=True, text=True, check=False
    )


def _start(env: dict[str, str], *args: str) -> Served:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "dashboard", "--serve", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # returns "" if the server dies: no hang
    found = re.search(r"http://\S+/", line)
    if not found:
        proc.kill()
        pytest.fail(f"no URL printed: {line!r} {proc.communicate()[1]!r}")
    return Served(proc, found.group(0))


def _stop(served: Served) -> None:
    served.proc.send_signal(signal.SIGTERM)
    try:
        served.proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.communicate()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A database with one organisation and one filing, and the environment of a user who opened it."""
    home = tmp_path_factory.mktemp("serve")
    env = _env(home, f"sqlite:///{home / 'beian.db'}")
    for args in (
        ("init",),
        ("org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF"),
        ("add", TITLE, "--org", "北京星河智算科技有限公司"),
    ):
        done = _beian(env, *args)
        assert done.returncode == 0, done.stderr
    yield env


@pytest.fixture(scope="module")
def served(home: dict[str, str]) -> Iterator[Served]:
    """`beian dashboard --serve --port 0` with default settings."""
    served = _start(home)
    yield served
    _stop(served)


def test_it_listens_on_loopback_with_a_long_random_token(served: Served, home: dict[str, str]) -> None:
    assert served.origin.startswith("http://127.0.0.1:")
    assert len(served.token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", served.token)
    again = _start(home)
    try:
        assert again.token != served.token, "a new token for every run"
    finally:
        _stop(again)


async def _page(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.text()


async def test_the_printed_url_serves_the_page_pointing_at_its_own_socket(served: Served) -> None:
    status, body = await _page(served.url)
    assert status == 200
    assert f'data-session-websocket-url="{served.ws}"' in body


@pytest.mark.parametrize(
    "path",
    ["", "ws", "static/js/textual.js", "{wrong}/", "{wrong}/static/js/textual.js", "{short}/", "{token}x/"],
)
async def test_a_page_without_the_token_is_refused_and_shows_nothing(served: Served, path: str) -> None:
    wrong = served.token[::-1] if served.token[::-1] != served.token else "x" * len(served.token)
    path = path.format(wrong=wrong, short=served.token[:8], token=served.token)
    status, body = await _page(f"{served.origin}/{path}")
    assert status in (403, 404)
    assert served.token not in body and REF not in body and "websocket" not in body.lower()


async def test_a_page_asked_for_under_another_host_name_is_refused(served: Served) -> None:
    # a DNS-rebinding page (evil.example resolving to 127.0.0.1) sends its own name as Host
    status, body = await _page(served.url, Host=f"evil.example:{served.origin.rsplit(':', 1)[1]}")
    assert status == 403 and body.startswith(REFUSED)


async def _handshake(url: str, origin: str | None) -> int:
    """Open a WebSocket; the handshake's HTTP status (101 when it opened)."""
    headers = {"Origin": origin} if origin is not None else {}
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(
                url, headers=headers, timeout=aiohttp.ClientWSTimeout(ws_close=5)
            ) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://evil.example",
        "null",
        "http://127.0.0.1",  # same host, another port: another site's page
        "http://127.0.0.1:1",
        "https://{host}",  # another scheme
        None,
    ],
)
async def test_a_socket_from_a_foreign_origin_is_refused(served: Served, origin: str | None) -> None:
    host = served.origin.removeprefix("http://")
    assert await _handshake(served.ws, origin.format(host=host) if origin else origin) == 403


@pytest.mark.parametrize("which", ["missing", "wrong", "prefix"])
async def test_a_socket_without_the_token_is_refused(served: Served, which: str) -> None:
    token = {"missing": "", "wrong": served.token[1:] + "A", "prefix": served.token[:-1]}[which]
    url = f"ws://{served.origin.removeprefix('http://')}/{token}/ws".replace("//ws", "/ws")
    assert await _handshake(url, served.origin) == 403


async def test_the_served_page_drives_the_dashboard(served: Served) -> None:
    seen = b""
    url = served.ws + "?width=120&height=30"
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"Origin": served.origin}) as ws,
    ):
        await ws.send_json(["resize", {"width": 120, "height": 30}])
        async for message in _until(ws, 90):
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data
            if REF.encode() in seen:
                break
        await ws.close()
    assert REF.encode() in seen, seen[-400:]


async def test_localhost_is_the_same_origin_as_127_0_0_1(served: Served) -> None:
    port = served.origin.rsplit(":", 1)[1]
    assert await _handshake(served.ws, f"http://localhost:{port}") == 101


async def _until(ws: aiohttp.ClientWebSocketResponse, seconds: float):  # type: ignore[no-untyped-def]
    """The socket's messages until it closes or `seconds` pass without one."""
    while True:
        try:
            message = await ws.receive(timeout=seconds)
        except TimeoutError:
            return
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return
        yield message


async def test_another_interface_needs_host_and_still_the_token(home: dict[str, str]) -> None:
    other = _start(home, "--host", "127.0.0.2")  # on Linux all of 127/8 is loopback, so this is bindable
    try:
        assert other.origin.startswith("http://127.0.0.2:")
        port = other.origin.rsplit(":", 1)[1]
        assert (await _page(f"{other.origin}/"))[0] == 403
        assert await _handshake(f"{other.origin.replace('http', 'ws')}/ws", other.origin) == 403
        assert await _handshake(other.ws, f"http://127.0.0.1:{port}") == 403, "its origin is 127.0.0.2 only"
        assert await _handshake(other.ws, other.origin) == 101
    finally:
        _stop(other)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", ""])
def test_a_wildcard_host_is_refused_in_one_line(beian_sqlite: Any, host: str) -> None:
    line = beian_sqlite("dashboard", "--serve", "--host", host).fails_cleanly(2)
    assert line.startswith("beian: error: --host")


def test_a_port_in_use_is_refused_in_one_line(served: Served, beian_sqlite: Any) -> None:
    port = served.origin.rsplit(":", 1)[1]
    line = beian_sqlite("dashboard", "--serve", "--port", port).fails_cleanly(2)
    assert f"cannot listen on 127.0.0.1:{port}" in line
