"""Fixtures for SMS tests: a database with a filing, an in-process gateway, and the local Twilio mock."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notify.support import IN_CI, MOCK_SCRIPT, FakeSender, TwilioMock, World, make_world


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    """A fresh database with one organisation and one filing."""
    w = make_world(sqlite_url)
    yield w
    w.store.dispose()


@pytest.fixture
def fake() -> FakeSender:
    """A gateway that accepts everything unless told otherwise."""
    return FakeSender()


# -- the local Twilio mock, one per test session (per xdist worker) --------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cache_dir(request: pytest.FixtureRequest) -> Path:
    """Under the pytest cache, so the npm install of Prism is reused by later runs."""
    cache = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    if cache is not None:
        return Path(cache.mkdir("mock-twilio"))
    return Path(__file__).resolve().parents[2] / ".pytest_cache" / "mock-twilio"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"the Twilio mock is required in CI: {reason}")
    pytest.skip(f"Twilio mock unavailable: {reason}")


@pytest.fixture(scope="session")
def twilio_mock(request: pytest.FixtureRequest) -> Iterator[TwilioMock]:
    """Start `../shared/twilio-oai/mock-twilio` on a free loopback port for the session; stop it afterwards."""
    if not MOCK_SCRIPT.is_file():
        _unavailable(f"{MOCK_SCRIPT.name} not found beside the repository (../shared/twilio-oai/)")
    if shutil.which("node") is None:
        _unavailable("node is not on PATH")
    cache = Path(os.environ.get("BEIAN_MOCK_TWILIO_CACHE") or _cache_dir(request))
    cache.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("NO_PROXY", "no_proxy")}
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    last = ""
    for _ in range(3):  # a free port can be taken between our probe and Prism's bind
        port = _free_port()
        done = subprocess.run(
            [str(MOCK_SCRIPT), str(cache)],
            env={
                **os.environ,
                "PORT": str(port),
                "MOCK_TWILIO_LOG": str(cache / f"prism-{port}-{os.getpid()}.log"),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip().isdigit():
            break
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    else:
        _unavailable(f"mock-twilio failed: {last}")
    mock = TwilioMock(
        f"http://127.0.0.1:{port}", cache / f"prism-{port}-{os.getpid()}.log", int(done.stdout.strip())
    )
    try:
        yield mock
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(mock.pid, signal.SIGTERM)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
