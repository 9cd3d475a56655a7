"""SMS benchmark: outbox dispatcher throughput against a bare `client.messages.create` loop, both on the Twilio mock.

Run alone: `python bench/sms.py [--messages N] [--rounds R] [--skip-pg] [--mock-url URL]`. It starts
`../shared/twilio-oai/mock-twilio` on a free loopback port (cache: `$BEIAN_MOCK_TWILIO_CACHE`, else
`bench/out/mock-twilio`) unless `--mock-url` names a running one. Both sides use the same SDK client setup
and the same mock; the dispatcher also claims, marks and records every message in the database.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _util import OUT, ROOT, Result, median, migrated_sqlite, note, print_table

MOCK_SCRIPT = ROOT.parent / "shared" / "twilio-oai" / "mock-twilio"
ACCOUNT = "AC" + "0123456789abcdef" * 2
PG_URL = os.environ.get("BEIAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BODY = "【算法备案】北京示例科技有限公司的「个性化推荐算法」已通过备案，备案编号：网信算备110108823483901230031号。"
TARGET = 0.8


@contextmanager
def mock_twilio(url: str | None) -> Iterator[str]:
    """A running mock's base URL: the given one, or one started here and stopped afterwards."""
    if url:
        yield url
        return
    cache = Path(os.environ.get("BEIAN_MOCK_TWILIO_CACHE") or OUT / "mock-twilio")
    cache.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    note(f"starting the Twilio mock on 127.0.0.1:{port}")
    done = subprocess.run(
        [str(MOCK_SCRIPT), str(cache)],
        env={**os.environ, "PORT": str(port)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"mock-twilio failed: {done.stderr.strip().splitlines()[-1:]}")
    pid = int(done.stdout.strip())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(pid, signal.SIGTERM)


def settings_for(url: str) -> Any:
    """Settings pointing the SDK at the mock."""
    from pydantic import SecretStr

    from tracker.config import Settings

    return Settings(
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=SecretStr("bench-token"),
        twilio_from="+15005550006",
        twilio_api_url=url,
    )


def bare_loop(url: str, count: int) -> float:
    """Messages per second of `client.messages.create` in a loop, over the same routed HTTP client."""
    from twilio.rest import Client  # type: ignore[import-untyped]

    from tracker.notify.twilio_sender import _http_client

    client = Client(ACCOUNT, "bench-token", ACCOUNT, http_client=_http_client(url, 10.0, {}))
    client.messages.create(to="+8613800138000", from_="+15005550006", body=BODY)  # warm the connection
    start = time.perf_counter()
    for i in range(count):
        client.messages.create(to=f"+86138{i:08d}", from_="+15005550006", body=BODY)
    elapsed = time.perf_counter() - start
    client.http_client.session.close()
    return count / elapsed


def seed_outbox(db_url: str, count: int) -> None:
    """An organisation, a filing, and `count` pending approval messages to distinct phones."""
    from sqlalchemy import delete, insert

    from tracker.store.db import Store, make_engine
    from tracker.store.tables import FilingRow, OrganisationRow, OutboxRow

    now = datetime.now(UTC)
    store = Store(make_engine(db_url))
    with store.unit() as session:
        session.execute(delete(OutboxRow))
        if session.get(FilingRow, 1) is None:
            session.add(
                OrganisationRow(
                    id=1, name="北京示例科技有限公司", credit_code="91110108MA00000000", created_at=now
                )
            )
            session.flush()
            session.add(
                FilingRow(
                    id=1,
                    ref="ALG-0001",
                    seq=1,
                    kind="algorithm",
                    title="个性化推荐算法",
                    organisation_id=1,
                    stage="approved",
                    created_at=now,
                    updated_at=now,
                    stage_entered_at=now,
                )
            )
            session.flush()
        rows = [
            {
                "filing_id": 1,
                "phone": f"+86139{i:08d}",
                "event": "approve",
                "body": BODY,
                "segments": 2,
                "status": "pending",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ]
        session.execute(insert(OutboxRow.__table__), rows)  # type: ignore[attr-defined]
    store.dispose()


def dispatcher(db_url: str, url: str, count: int, concurrency: int | None = None) -> float:
    """Messages per second of one `dispatch_pending` pass over `count` pending rows."""
    from tracker.notify.dispatch import dispatch_pending
    from tracker.store.db import Store, make_engine
    from tracker.timeutil import now_utc

    seed_outbox(db_url, 1)
    store = Store(make_engine(db_url))
    settings = settings_for(url)
    dispatch_pending(store, settings, clock=now_utc)  # warm the imports and the connection
    seed_outbox(db_url, count)
    start = time.perf_counter()
    report = dispatch_pending(store, settings, clock=now_utc, concurrency=concurrency)
    elapsed = time.perf_counter() - start
    store.dispose()
    if report.sent != count:
        raise RuntimeError(f"dispatcher sent {report.sent} of {count}: {report.summary}")
    return count / elapsed


def compare(name: str, db_url: str, url: str, count: int, rounds: int) -> list[Result]:
    """Take turns between the sides, `rounds` times each; compare medians."""
    bare: list[float] = []
    ours: list[float] = []
    serial: list[float] = []
    for i in range(rounds):
        note(f"{name}: round {i + 1}/{rounds}")
        bare.append(bare_loop(url, count))
        ours.append(dispatcher(db_url, url, count))
        serial.append(dispatcher(db_url, url, count, concurrency=1))
    b, o, one = median(bare), median(ours), median(serial)
    print(
        f"{name}: bare loop {b:7.1f} msg/s ({1000 / b:5.2f} ms/msg); dispatcher {o:7.1f} msg/s "
        f"({1000 / o:5.2f} ms/msg); one at a time {one:7.1f} msg/s ({1000 / one:5.2f} ms/msg)"
    )
    return [
        Result(
            f"dispatcher throughput ({name})",
            f"{o:.1f} msg/s",
            f"{b:.1f} msg/s",
            o / b,
            f"≥ {TARGET}",
            o / b >= TARGET,
        ),
        Result(
            f"  one message at a time ({name})", f"{one:.1f} msg/s", f"{b:.1f} msg/s", one / b, "info", None
        ),
    ]


def pg_url() -> str | None:
    """A fresh schema on the benchmark PostgreSQL, or None when it does not answer."""
    try:
        import psycopg

        plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        schema = f"beian_bench_sms_{os.getpid()}"
        with psycopg.connect(plain, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception as exc:  # any connection problem just skips this leg
        note(f"PostgreSQL skipped: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return None
    from tracker.factory import open_store

    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    open_store(url, create=True).dispose()
    return url


def main(argv: list[str] | None = None) -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="messages per measured run (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side, medians compared (default 3)")
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    parser.add_argument("--mock-url", help="use a running Twilio mock instead of starting one")
    args = parser.parse_args(argv)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    results: list[Result] = []
    with mock_twilio(args.mock_url) as url, tempfile.TemporaryDirectory() as tmp:
        legs: list[tuple[str, Callable[[], str | None]]] = [
            ("SQLite", lambda: migrated_sqlite(Path(tmp) / "sms.db"))
        ]
        if not args.skip_pg:
            legs.append(("PostgreSQL", pg_url))
        for name, make in legs:
            db_url = make()
            if db_url is not None:
                results.extend(compare(name, db_url, url, args.messages, args.rounds))
    print_table(f"SMS dispatch, {args.messages} messages, median of {args.rounds}", results)
    if not all(r.ok for r in results if r.ok is not None):
        sys.exit(1)


if __name__ == "__main__":
    main()
