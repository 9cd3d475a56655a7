"""Core benchmarks: `beian advance` start-up, service write throughput, and `beian list --json` over 100k filings.

Run through `bench/run` (which byte-compiles first), or alone: `python bench/core.py [--quick] [--skip-pg]`.
Each figure is measured side by side with its baseline in this run and reported as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _util import (
    BASELINE_IMPORT,
    OUT,
    PYTHON,
    Result,
    beian_argv,
    bench_env,
    copy_sqlite,
    interleaved,
    median,
    migrated_sqlite,
    note,
    print_table,
    run_checked,
    seconds,
    seed_filings,
    seed_organisations,
    seed_portfolio,
)

PG_URL = os.environ.get("BEIAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# -- 1. `beian advance` as a whole process ---------------------------------------------------------


def stdlib_only_pycache() -> Path:
    """A bytecode cache holding the standard library only, to emulate a machine where nothing else is compiled."""
    import compileall
    import re
    import sysconfig

    prefix = OUT / "pycache-stdlib"
    if not (prefix / ".done").exists():
        note("compiling the standard library into a private cache (once)")
        prefix.mkdir(parents=True, exist_ok=True)
        sys.pycache_prefix = str(prefix)
        try:
            skip = r"(/test/|/tests/|idlelib|tkinter|lib2to3|ensurepip|site-packages|turtledemo)"
            compileall.compile_dir(sysconfig.get_paths()["stdlib"], quiet=2, workers=0, rx=re.compile(skip))
        finally:
            sys.pycache_prefix = None
        (prefix / ".done").touch()
    return prefix


def bench_advance(tmp: Path, *, repeats: int, warmups: int, cold: bool) -> Result:
    """`beian advance` (request_change / withdraw_change in turn on one approved filing) vs importing its libraries."""
    path = tmp / ("advance-cold.db" if cold else "advance.db")
    url = migrated_sqlite(path)
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        orgs = seed_organisations(conn, 1)
        seed_filings(conn, orgs, 1, ["approved"])
    engine.dispose()

    events = iter(["request_change", "withdraw_change"] * (repeats + warmups + 1))
    argv = [*beian_argv(), "--db", str(path), "advance", "ALG-0001"]

    def advance() -> list[str]:
        return [*argv, next(events)]

    extra = {"PYTHONPYCACHEPREFIX": str(stdlib_only_pycache())} if cold else {}
    env = bench_env(tmp, **extra)
    times = interleaved(
        {"baseline": [PYTHON, "-c", BASELINE_IMPORT], "advance": advance},
        repeats=repeats,
        warmups=warmups,
        env=env,
    )
    base, ours = median(times["baseline"]), median(times["advance"])
    label = "beian advance, process" + (" (no .pyc but stdlib)" if cold else "")
    return Result(
        label, seconds(ours), f"{seconds(base)} import", ours / base, "≤ 1.25×", ours / base <= 1.25
    )


# -- 2. sequential advances through the service vs raw driver ----------------------------------------

WARM = 20
"""Advances done on both sides before timing: lazy imports, statement caches, first connection."""


def _raw_sqlite(path: Path) -> tuple[sqlite3.Connection, Callable[[int], None]]:
    conn = sqlite3.connect(path, isolation_level=None)
    # the same pragmas the engine sets on every connection
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")

    def step(filing_id: int) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute("BEGIN")
        conn.execute(
            "UPDATE filing SET stage=?, updated_at=?, stage_entered_at=?, version=version+1 WHERE id=? AND version=?",
            ("second_review", now, now, filing_id, 1),
        )
        conn.execute(
            "INSERT INTO transition (filing_id, event, from_stage, to_stage, effective_at, recorded_at, actor, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (filing_id, "pass_review", "initial_review", "second_review", now, now, "bench", "bench"),
        )
        conn.execute("COMMIT")

    return conn, step


def _raw_pg(url: str) -> tuple[Any, Callable[[int], None]]:
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

    def step(filing_id: int) -> None:
        now = datetime.now(UTC)
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE filing SET stage=%s, updated_at=%s, stage_entered_at=%s, version=version+1 WHERE id=%s AND version=%s",
                ("second_review", now, now, filing_id, 1),
            )
            cur.execute(
                "INSERT INTO transition (filing_id, event, from_stage, to_stage, effective_at, recorded_at, actor, source)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (filing_id, "pass_review", "initial_review", "second_review", now, now, "bench", "bench"),
            )
        conn.commit()

    return conn, step


def _throughput(
    service: Any, service_ids: list[int], raw_step: Callable[[int], None], raw_ids: list[int]
) -> tuple[float, float]:
    """Advances per second for the service and the raw driver, timed in alternating blocks."""
    for i in range(WARM):
        service.advance(service_ids[i], "pass_review", actor="bench", source="bench")
        raw_step(raw_ids[i])
    n = len(service_ids) - WARM
    block = max(1, n // 5)
    spent = {"service": 0.0, "raw": 0.0}
    for start in range(WARM, WARM + n, block):
        stop = min(start + block, WARM + n)
        t0 = time.perf_counter()
        for filing_id in raw_ids[start:stop]:
            raw_step(filing_id)
        t1 = time.perf_counter()
        for filing_id in service_ids[start:stop]:
            service.advance(filing_id, "pass_review", actor="bench", source="bench")
        spent["raw"] += t1 - t0
        spent["service"] += time.perf_counter() - t1
    service.store.dispose()
    return n / spent["service"], n / spent["raw"]


def _service(url: str) -> Any:
    from tracker.config import Settings
    from tracker.factory import open_service

    return open_service(url, settings=Settings())


def _check_advanced(url: str, ids: list[int]) -> None:
    """Both sides must have done the same work: every filing moved on, with one history row each."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        params = {"ids": ids}
        moved = conn.execute(
            text("SELECT count(*) FROM filing WHERE stage = 'second_review' AND id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            params,
        ).scalar()
        rows = conn.execute(
            text(
                "SELECT count(*) FROM transition WHERE to_stage = 'second_review' AND filing_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            params,
        ).scalar()
    engine.dispose()
    if moved != len(ids) or rows != len(ids):
        raise RuntimeError(f"{url}: {moved} filings moved and {rows} history rows, expected {len(ids)} each")


def _ids(conn: Any, first: int, count: int) -> list[int]:
    from sqlalchemy import text

    rows = conn.execute(
        text("SELECT id FROM filing WHERE kind = 'algorithm' AND seq BETWEEN :a AND :b ORDER BY seq"),
        {"a": first, "b": first + count - 1},
    )
    return [int(r[0]) for r in rows]


def _throughput_result(backend: str, ours: float, raw: float, n: int) -> Result:
    return Result(
        f"{n} advances, service, {backend}",
        f"{ours:,.0f}/s",
        f"{raw:,.0f}/s raw",
        ours / raw,
        "≥ 0.25×",
        ours / raw >= 0.25,
    )


def bench_throughput_sqlite(tmp: Path, n: int) -> list[Result]:
    """Service advances vs raw sqlite3 UPDATE+INSERT, one transaction each, WAL + synchronous=FULL."""
    from sqlalchemy import create_engine

    path = tmp / "throughput.db"
    url = migrated_sqlite(path)
    engine = create_engine(url)
    with engine.begin() as conn:
        orgs = seed_organisations(conn, 1)
        seed_filings(conn, orgs, n + WARM, ["initial_review"])
        ids = _ids(conn, 1, n + WARM)
    engine.dispose()
    copy_sqlite(path, tmp / "throughput-raw.db")  # identical schema and rows for the raw baseline
    service = _service(url)
    raw_db, step = _raw_sqlite(tmp / "throughput-raw.db")
    try:
        ours, raw = _throughput(service, ids, step, ids)
    finally:
        raw_db.close()
    _check_advanced(url, ids)
    _check_advanced(f"sqlite:///{tmp / 'throughput-raw.db'}", ids)
    return [_throughput_result("SQLite", ours, raw, n)]


@contextmanager
def pg_schema() -> Iterator[str | None]:
    """A fresh PostgreSQL schema migrated to head (dropped afterwards), or None when PostgreSQL is unreachable."""
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(plain, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        note(
            f"PostgreSQL unreachable, skipped: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        )
        schema = ""
    if not schema:
        yield None
        return
    try:
        from tracker.factory import open_store

        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        open_store(url, create=True).dispose()
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bench_throughput_pg(n: int) -> Result | None:
    """Service advances vs raw psycopg UPDATE+INSERT on PostgreSQL, one transaction each."""
    from sqlalchemy import create_engine

    with pg_schema() as url:
        if url is None:
            return None
        engine = create_engine(url)
        with engine.begin() as conn:
            orgs = seed_organisations(conn, 1)
            seed_filings(conn, orgs, 2 * (n + WARM), ["initial_review"])
            ours_ids, raw_ids = _ids(conn, 1, n + WARM), _ids(conn, n + WARM + 1, n + WARM)
        engine.dispose()
        conn, step = _raw_pg(url)
        try:
            ours, raw = _throughput(_service(url), ours_ids, step, raw_ids)
        finally:
            conn.close()
        _check_advanced(url, ours_ids + raw_ids)
    return _throughput_result("PostgreSQL", ours, raw, n)


# -- 3. `beian list --json` over 100,000 filings -------------------------------------------------------

RAW_LIST = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.row_factory = sqlite3.Row
rows = conn.execute("SELECT filing.*, organisation.name AS organisation_name FROM filing "
                    "JOIN organisation ON organisation.id = filing.organisation_id ORDER BY filing.kind, filing.seq")
out = sys.stdout
out.write("[")
for i, row in enumerate(rows):
    out.write(",\\n  " if i else "\\n  ")
    out.write(json.dumps(dict(row), ensure_ascii=False))
out.write("\\n]\\n")
"""


def bench_list(tmp: Path, total: int, *, repeats: int, warmups: int) -> list[Result]:
    """`beian list --json` over `total` filings to /dev/null vs a bare sqlite3 + json process over the same join."""

    path = tmp / "list.db"
    seed_portfolio(path, total)

    env = bench_env(tmp)
    listing = [*beian_argv(), "--db", str(path), "list", "--json"]
    with open(tmp / "list.json", "wb") as sink:  # one checked run: the output is complete and valid
        run_checked(listing, env, stdout=sink)
    items = json.loads((tmp / "list.json").read_text(encoding="utf-8"))
    if len(items) != total:
        raise RuntimeError(f"beian list --json printed {len(items)} filings, expected {total}")
    times = interleaved(
        {"raw": [PYTHON, "-c", RAW_LIST, str(path)], "ours": listing},
        repeats=repeats,
        warmups=warmups,
        env=env,
    )
    base, ours = median(times["raw"]), median(times["ours"])
    return [
        Result(
            f"beian list --json, {total:,} filings",
            seconds(ours),
            f"{seconds(base)} raw sqlite3+json",
            ours / base,
            "≤ 1.000 s",
            ours <= 1.0,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every core benchmark and print the table; returns 1 if a target was missed and `--strict`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="Fewer repetitions (a smoke run, not a measurement)."
    )
    parser.add_argument("--skip-pg", action="store_true", help="Leave out PostgreSQL.")
    parser.add_argument("--no-cold", action="store_true", help="Leave out the start-up run without bytecode.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BEIAN_BENCH_QUICK") == "1"
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="beian-bench-") as name:
        tmp = Path(name)
        note("beian advance vs import baseline")
        results.append(bench_advance(tmp, repeats=5 if quick else 15, warmups=2, cold=False))
        if not args.no_cold:
            note("beian advance without bytecode (what a fresh PYTHONDONTWRITEBYTECODE install sees)")
            results.append(bench_advance(tmp, repeats=3 if quick else 5, warmups=1, cold=True))
        n = 200 if quick else 1000
        note(f"{n} advances through the service vs raw sqlite3")
        results.extend(bench_throughput_sqlite(tmp, n))
        if not args.skip_pg:
            note(f"{n} advances through the service vs raw psycopg")
            pg = bench_throughput_pg(n)
            if pg is not None:
                results.append(pg)
        total = 10_000 if quick else 100_000
        note(f"beian list --json over {total:,} filings")
        results.extend(bench_list(tmp, total, repeats=3 if quick else 5, warmups=1))
    print_table("core", results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "core.json").write_text(
        json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2) + "\n"
    )
    missed = [r for r in results if r.ok is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
