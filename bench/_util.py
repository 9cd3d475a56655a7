"""Shared helpers for the benchmarks: timing subprocesses side by side, seeding databases, the result table.

Benchmarks are run as scripts (`python bench/core.py`), so this module is imported as `_util`.
Figures are ratios against a baseline measured in the same run, never absolute wall-clock asserts.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
BASELINE_IMPORT = "import sqlmodel, transitions, click"
"""What every `beian` process pays anyway: the libraries the command line is built on."""


def beian_argv() -> list[str]:
    """How to start the `beian` command: the console script next to this interpreter, else `python -m tracker`."""
    script = Path(PYTHON).parent / "beian"
    return [str(script)] if script.exists() else [PYTHON, "-m", "tracker"]


def bench_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for measured processes: no user settings, data kept under `home`, same for both sides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env["BEIAN_CONFIG_FILE"] = str(home / "config.toml")
    env["BEIAN_DATA_DIR"] = str(home / "data")
    env.update(extra)
    return env


def run_checked(argv: Sequence[str], env: dict[str, str], stdout: Any = subprocess.DEVNULL) -> float:
    """Run one process and return its wall time in seconds; a failing run stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"{' '.join(argv[:4])}… exited {proc.returncode}: {message[-1] if message else ''}"
        )
    return elapsed


def interleaved(
    commands: dict[str, Sequence[str] | Any], *, repeats: int, warmups: int, env: dict[str, str]
) -> dict[str, list[float]]:
    """Time each command `repeats` times, taking turns so drift in machine load hits every side alike.

    A command is an argv, or a callable returning one (for commands whose arguments change per run).
    """
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmups + repeats):
        for name, command in commands.items():
            argv = command() if callable(command) else command
            elapsed = run_checked(argv, env)
            if i >= warmups:
                times[name].append(elapsed)
    return times


def median(values: Iterable[float]) -> float:
    """The median."""
    return statistics.median(list(values))


@dataclass(frozen=True)
class Result:
    """One line of the report: a figure against its baseline and target."""

    figure: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool | None
    """None for figures reported for information only."""


def seconds(value: float) -> str:
    """`0.214 s`."""
    return f"{value:.3f} s"


def print_table(title: str, results: Sequence[Result], out: Any = None) -> None:
    """Print a compact, aligned table: figure, value, baseline, ratio, target, pass/fail."""
    out = out or sys.stdout
    headers = ("figure", "value", "baseline", "ratio", "target", "result")
    rows = [
        (
            r.figure,
            r.value,
            r.baseline,
            f"{r.ratio:.2f}" if r.ratio is not None else "-",
            r.target,
            "info" if r.ok is None else ("PASS" if r.ok else "FAIL"),
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out.write(f"\n== {title} ==\n")
    out.write("  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip() + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() + "\n")
    out.flush()


def note(message: str) -> None:
    """Progress on stderr, so the table on stdout stays clean."""
    print(f"  · {message}", file=sys.stderr, flush=True)


# -- databases ---------------------------------------------------------------------------------------


def migrated_sqlite(path: Path) -> str:
    """A new SQLite file with the schema made by our migrations; returns its URL."""
    from tracker.factory import open_store

    url = f"sqlite:///{path}"
    open_store(url, create=True).dispose()
    return url


def copy_sqlite(source: Path, target: Path) -> str:
    """Copy a (closed, checkpointed) SQLite file; returns the copy's URL."""
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


ORG_NAMES = ("星河智算", "云帆数据", "青松智能", "明镜科技", "远山信息", "长风网络", "海川算法", "北辰软件")
TITLES = ("对话生成算法", "个性化推送算法", "检索排序算法", "图像合成算法", "调度决策算法", "内容审核算法")
T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _credit_code(n: int) -> str:
    """A well-formed unified social credit code, check character included."""
    from tracker.filings.identity import credit_code_check_char

    body = f"91110108{n:09d}"
    return body + credit_code_check_char(body)


def seed_organisations(conn: Any, count: int) -> list[int]:
    """Insert `count` organisations, each with an approved entity filing; returns their ids."""
    from sqlalchemy import insert, text

    from tracker.store.tables import FilingRow, OrganisationRow

    orgs = [
        {
            "name": f"{ORG_NAMES[i % len(ORG_NAMES)]}第{i + 1}号有限公司",
            "credit_code": _credit_code(i + 1),
            "region": "110108",
            "created_at": T0,
        }
        for i in range(count)
    ]
    from tracker.filings.collation import sort_key

    for org in orgs:
        org["name_key"] = sort_key(org["name"])
    conn.execute(insert(OrganisationRow.__table__), orgs)  # type: ignore[attr-defined]
    ids = [int(x) for x in conn.execute(text("SELECT id FROM organisation ORDER BY id")).scalars()]
    entities = [
        _filing(org_id, "entity", i + 1, "approved", title="主体备案") for i, org_id in enumerate(ids)
    ]
    conn.execute(insert(FilingRow.__table__), entities)  # type: ignore[attr-defined]
    return ids


def _filing(
    org_id: int, kind: str, seq: int, stage: str, *, title: str, number: str | None = None
) -> dict[str, Any]:
    from tracker.filings.collation import sort_key

    prefix = {"algorithm": "ALG", "entity": "ENT", "genai_filing": "GAI", "genai_registration": "REG"}[kind]
    at = T0 + timedelta(minutes=seq)
    # drafts of algorithm filings launched on one of 60 days: the D1 deadline runs for them
    launch = (T0 + timedelta(days=seq % 60)).date() if kind == "algorithm" and stage == "draft" else None
    return {
        "ref": f"{prefix}-{seq:04d}",
        "seq": seq,
        "kind": kind,
        "title": title,
        "organisation_id": org_id,
        "role": "provider" if kind == "algorithm" else None,
        "algorithm_type": None if kind == "entity" else "generative",
        "upstream_model": None,
        "upstream_filing_number": None,
        "stage": stage,
        "returned_from": None,
        "returns": 0,
        "filing_number": number,
        "version": 1,
        "public_opinion": True,
        "launch_date": launch,
        "change_date": None,
        "termination_date": None,
        "description": None,
        "created_at": at,
        "updated_at": at,
        "stage_entered_at": at,
        "title_key": sort_key(title),
    }


def filing_number(n: int, kind: str = "algorithm") -> str:
    """A well-formed algorithm filing number, unique per kind and sequence."""
    return f"网信算备110108{len(kind) % 10}{n:014d}号"


def seed_filings(
    conn: Any,
    org_ids: Sequence[int],
    count: int,
    stages: Sequence[str],
    *,
    kind: str = "algorithm",
    first_seq: int = 1,
) -> None:
    """Insert `count` filings of `kind` with stages taken in turn from `stages` (approved ones get a number)."""
    from sqlalchemy import insert

    from tracker.store.tables import FilingRow

    rows = []
    for i in range(count):
        seq = first_seq + i
        stage = stages[i % len(stages)]
        number = (
            filing_number(seq, kind) if stage in ("approved", "change_review") and kind != "entity" else None
        )
        title = f"{TITLES[i % len(TITLES)]} v{seq}"
        rows.append(_filing(org_ids[i % len(org_ids)], kind, seq, stage, title=title, number=number))
        if len(rows) == 10_000:
            conn.execute(insert(FilingRow.__table__), rows)  # type: ignore[attr-defined]
            rows = []
    if rows:
        conn.execute(insert(FilingRow.__table__), rows)  # type: ignore[attr-defined]


def seed_portfolio(path: Path, total: int) -> str:
    """A migrated SQLite file with `total` filings over `total // 100` organisations, in a spread of stages
    and two kinds; returns its URL."""
    from sqlalchemy import create_engine

    url = migrated_sqlite(path)
    engine = create_engine(url)
    started = time.perf_counter()
    orgs_count = max(1, total // 100)
    with engine.begin() as conn:
        orgs = seed_organisations(conn, orgs_count)  # one approved entity filing each
        rest = total - orgs_count
        stages = [
            "draft",
            "initial_review",
            "second_review",
            "final_review",
            "approved",
            "returned",
            "withdrawn",
        ]
        seed_filings(conn, orgs, rest * 4 // 5, stages)
        genai = ["draft", "provincial_review", "approved"]
        seed_filings(conn, orgs, rest - rest * 4 // 5, genai, kind="genai_filing")
    engine.dispose()
    note(f"seeded {total:,} filings in {time.perf_counter() - started:.1f} s")
    return url
