"""The local Twilio mock (Prism, from `../shared/twilio-oai/`): starting it, and a handle on it and its request log."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from pydantic import SecretStr

from tests.helpers.probes import ROOT
from tracker.config import Settings

MOCK_SCRIPT = ROOT.parent / "shared" / "twilio-oai" / "mock-twilio"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "tok-DO-NOT-SHOW-4f9c2e"


@dataclass
class TwilioMock:
    """A running Prism mock of Twilio's API and its request log."""

    url: str
    log: Path
    pid: int

    def message_posts(self) -> int:
        """How many `POST …/Messages.json` requests the mock has received so far."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return sum(
            1
            for line in text.splitlines()
            if "post /2010-04-01/Accounts/" in line and "Messages.json" in line and "Request received" in line
        )

    def settings(self, **overrides: Any) -> Settings:
        """Settings that point the real SDK at this mock."""
        values: dict[str, Any] = {
            "twilio_account_sid": ACCOUNT,
            "twilio_auth_token": SecretStr(TOKEN),
            "twilio_from": "+15005550006",
            "twilio_api_url": self.url,
            "twilio_timeout": 10.0,
            "sms_backoff_seconds": 1.0,
        }
        values.update(overrides)
        return Settings(**values)

    def env(self) -> dict[str, str]:
        """The same settings as environment variables, for a child process."""
        return {
            "BEIAN_TWILIO_ACCOUNT_SID": ACCOUNT,
            "BEIAN_TWILIO_AUTH_TOKEN": TOKEN,
            "BEIAN_TWILIO_FROM": "+15005550006",
            "BEIAN_TWILIO_API_URL": self.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"the Twilio mock is required in CI: {reason}")
    pytest.skip(f"Twilio mock unavailable: {reason}")


@contextlib.contextmanager
def running_twilio_mock(cache: Path) -> Iterator[TwilioMock]:
    """Start the mock on a free loopback port (Prism installed by npm under `cache`); stop it on exit.

    Skips the test when node or the mock script is missing, except in CI, where it fails.
    """
    if not MOCK_SCRIPT.is_file():
        _unavailable(f"{MOCK_SCRIPT.name} not found beside the repository (../shared/twilio-oai/)")
    if shutil.which("node") is None:
        _unavailable("node is not on PATH")
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
