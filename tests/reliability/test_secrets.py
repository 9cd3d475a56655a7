"""Planted secrets (Twilio token, API secret, PostgreSQL password, SMTP password) never appear in anything
the product writes: outputs, errors, exports, backups, database files; base64 (Basic auth) and URL-encoded
forms included. Twilio refusing, unreachable or slow during `notify send`, `run` and `status`: one line, no
traceback. Malformed and unreachable database URLs are among the inputs."""

from __future__ import annotations

import base64
import os
import random
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers.figures import Recorder
from tests.helpers.load import seed_cycling
from tests.helpers.spawn import Exit, Spawner
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = pytest.mark.slow

SID = "AC" + "0" * 32
KEY = "SK" + "1" * 32


def _secret(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("abcdef0123456789") for _ in range(24))


@pytest.fixture
def secrets(rng: random.Random) -> dict[str, str]:
    """Fresh secret values for this run."""
    return {
        "twilio token": _secret(rng, "tok"),
        "api secret": _secret(rng, "sec"),
        "postgresql password": _secret(rng, "Pg-"),
        "smtp password": _secret(rng, "smtp"),
    }


def _forms(secrets: dict[str, str]) -> dict[str, str]:
    """Every spelling a secret could leak in: raw, URL-encoded, and the Basic-auth pairs in base64."""
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    forms = {}
    for name, value in secrets.items():
        forms[name] = value
        forms[f"{name} (url-encoded)"] = quote(value, safe="")
    forms["twilio token (basic auth)"] = b64(f"{SID}:{secrets['twilio token']}")
    forms["api secret (basic auth)"] = b64(f"{KEY}:{secrets['api secret']}")
    forms["postgresql password (basic auth)"] = b64(f"postgres:{secrets['postgresql password']}")
    return forms


@pytest.fixture
def silent_twilio() -> Iterator[str]:
    """A loopback port that accepts connections and never answers: a Twilio too slow to reply."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()


def _refused_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused
    return f"http://127.0.0.1:{port}"


def _one_line(done: Exit) -> bool:
    """No traceback; at most one error line on stderr, besides warnings and the dispatcher's line per message."""
    errors = [line for line in done.stderr.splitlines() if not line.startswith(("warning:", "outbox "))]
    return "Traceback" not in done.stderr + done.stdout and len(errors) <= 1


def test_secrets_never_appear_and_twilio_faults_fail_in_one_line(
    tmp_path: Path,
    fork: Spawner,
    child_env: dict[str, str],
    secrets: dict[str, str],
    silent_twilio: str,
    figures: Recorder,
    request: pytest.FixtureRequest,
) -> None:
    db = tmp_path / "beian.db"
    url = f"sqlite:///{db}"
    store = open_store(url, create=True)
    service = FilingService(store, Settings())
    refs = seed_cycling(service, 3)
    store.dispose()
    settings_file = Path(child_env["BEIAN_CONFIG_FILE"])
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(
        f'[twilio]\naccount_sid = "{SID}"\nauth_token = "{secrets["twilio token"]}"\nfrom = "+15005550006"\n'
        f'api_key = "{KEY}"\napi_secret = "{secrets["api secret"]}"\ntimeout = 0.5\n',
        encoding="utf-8",
    )
    twilio_down = {
        "refused": _refused_port(),
        "slow": silent_twilio,
    }
    outcomes: list[tuple[str, Exit]] = []

    def run(label: str, argv: list[str], **env: str) -> Exit:
        done = fork.run(argv, {**child_env, **env})
        outcomes.append((label, done))
        return done

    faults = 0
    for n, (how, api) in enumerate(twilio_down.items()):
        env = {"BEIAN_TWILIO_API_URL": api}
        ref = refs[n]
        run(
            f"advance, Twilio {how}",
            ["--db", url, "advance", ref, "return_for_revision", "--reason", "缺签字"],
            **env,
        )
        run(f"notify send, Twilio {how}", ["--db", url, "notify", "send"], **env)
        run(f"notify status, Twilio {how}", ["--db", url, "notify", "status"], **env)
        pid = fork.spawn(["--db", url, "notify", "run", "--interval", "0.2"], {**child_env, **env})
        time.sleep(1.5)  # let it make a pass or two before it is asked to stop
        os.kill(pid, signal.SIGTERM)
        outcomes.append((f"notify run, Twilio {how}", fork.wait(pid)))
        faults += 4
    for label, done in outcomes:
        assert _one_line(done), (label, done)
        assert done.status in (0, 5, 6), (label, done)

    # exports and reports, with the secrets configured
    for argv in (
        ["list", "--json"],
        ["notify", "list", "--json"],
        ["history", refs[0], "--json"],
        ["show", refs[0]],
    ):
        run(" ".join(argv), ["--db", url, *argv])
    run("backup", ["--db", url, "backup", str(tmp_path / "snapshot.db")])

    # database URLs holding the PostgreSQL password: reachable, unreachable, wrong, and in the settings file
    pw = secrets["postgresql password"]
    urls = {
        "no schema there": f"postgresql+psycopg://postgres:{pw}@127.0.0.1:5432/test?options=-csearch_path%3Dnowhere_x",
        "refused port": f"postgresql://postgres:{pw}@127.0.0.1:1/test",
        "no such database": f"postgresql://postgres:{pw}@127.0.0.1:5432/no_such_db_x",
        "bad option": f"postgresql://postgres:{pw}@127.0.0.1:5432/test?sslmode=bogus",
        "unknown driver": f"mysql+nodriver://root:{pw}@127.0.0.1/beian",
    }
    for label, bad in urls.items():
        done = run(f"--db {label}", ["--db", bad, "list"])
        assert done.status in (2, 5) and _one_line(done), (label, done)
        done = run(f"BEIAN_DATABASE_URL {label}", ["list"], BEIAN_DATABASE_URL=bad)
        assert done.status in (2, 5) and _one_line(done), (label, done)
    # an SMTP password where this beian has no such setting: refused by name, never echoed
    other = tmp_path / "smtp.toml"
    other.write_text(
        f'[smtp]\nhost = "127.0.0.1"\npassword = "{secrets["smtp password"]}"\n', encoding="utf-8"
    )
    done = run("settings file with smtp", ["--db", url, "list"], BEIAN_CONFIG_FILE=str(other))
    assert _one_line(done)
    done = run("smtp password in env", ["--db", url, "list"], BEIAN_SMTP_PASSWORD=secrets["smtp password"])
    assert _one_line(done)
    (tmp_path / "smtp.toml").unlink()  # the planted input itself is not the product's output
    settings_file.unlink()

    searched, found = _search(tmp_path, _forms(secrets))
    figures.add(
        secrets_planted=len(secrets),
        files_searched=searched,
        secrets_found=len(found),
        faults_injected=faults,
        tracebacks=sum(1 for _, d in outcomes if "Traceback" in d.stderr),
    )
    assert found == []


def _search(root: Path, forms: dict[str, str]) -> tuple[int, list[str]]:
    """Search every file under `root` (outputs, logs, exports, databases and their -wal files) as bytes."""
    searched, found = 0, []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        searched += 1
        data = path.read_bytes()
        for name, form in forms.items():
            for encoded in {form.encode(), form.encode("utf-16-le")}:
                if encoded in data:
                    found.append(f"{name} in {path.name}")
    return searched, found


def test_malformed_database_urls_never_show_their_password(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    fork: Spawner,
    child_env: dict[str, str],
    secrets: dict[str, str],
    figures: Recorder,
) -> None:
    """On the command line, in `BEIAN_DATABASE_URL` and as the settings file's `database_url`: a URL that does
    not parse, names no scheme, has a port that is not a number or a password holding `@`, `/` or `:` is shown
    (when shown at all) with its password masked."""
    pw = secrets["postgresql password"]
    malformed = [
        f"postgresql+psycopg//postgres:{pw}@127.0.0.1/test",  # a missing ':'
        f"postgresql+psycopg:/postgres:{pw}@127.0.0.1/test",
        f"postgres:{pw}@127.0.0.1/test",
        f"postgresql://postgres:{pw}@127.0.0.1:notaport/test",
        f"postgresql://postgres:{pw}@127.0.0.1:99999/test",
        f"postgresql://postgres:p@ss:{pw}@127.0.0.1/test",  # an '@' and a ':' in the password, not encoded
        f"postgresql://postgres:a/{pw}@127.0.0.1/test",
        f"postgresql://postgres:{pw}@[::1/test",
        f"mysql://root:{pw}@127.0.0.1/test",
        f"postgresql://postgres:{pw}@127.0.0.1:1/test",  # well-formed, nothing listening
    ]
    settings_file = tmp_path_factory.mktemp("settings") / "config.toml"
    for bad in malformed:
        settings_file.write_text(f"database_url = {bad!r}\n".replace("'", '"'), encoding="utf-8")
        for argv, env in (
            (["--db", bad, "list"], {}),
            (["list", "--db", bad], {}),
            (["list"], {"BEIAN_DATABASE_URL": bad}),
            (["list"], {"BEIAN_CONFIG_FILE": str(settings_file)}),
        ):
            done = fork.run(argv, {**child_env, **env})
            assert _one_line(done), done
            assert done.status in (2, 5), done
    searched, found = _search(tmp_path, _forms(secrets))
    assert searched > 0
    figures.add(files_searched=searched, secrets_found=len(found))
    assert found == [], found
