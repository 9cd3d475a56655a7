"""Exchange benchmarks: import, export and the status report over 100,000 filings, as ratios in one run.

Run alone: `python bench/exchange.py` (BEIAN_BENCH_QUICK=1: 20,000 filings, one repetition).

| figure | how | baseline | target |
|---|---|---|---|
| import of N filings with history | `ExchangeService.import_file` of a JSON Lines file (each filing: 4 events ending in approval) into an empty migrated SQLite file, in process: read, validate, plan, write | raw `sqlite3` `executemany` of the same organisation, filing and history rows (prepared in memory) into a copy of the same empty file, same pragmas | ≥ 0.30 of raw throughput |
| export of the same to CSV | `beian export --history -o F.csv`, whole process | a bare `python` process: `sqlite3` queries + `json.dumps` + `csv.writer` writing the same columns and history | ≤ 1.5× its time |
| `beian report --format html` | whole process over the same database | — | ≤ 3 s |
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import (
    Result,
    beian_argv,
    bench_env,
    median,
    migrated_sqlite,
    note,
    print_table,
    run_checked,
    seconds,
)

QUICK = os.environ.get("BEIAN_BENCH_QUICK") == "1"
TOTAL = 20_000 if QUICK else 100_000
REPEATS = 1 if QUICK else 3


def write_jsonl(path: Path, total: int) -> None:
    """N algorithm filings over N/100 organisations, each with submit → pass_review ×2 → approve."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(total):
            history = [
                {"event": "submit", "effective_at": "2025-03-01T09:00:00+08:00", "actor": "pm"},
                {"event": "pass_review", "effective_at": "2025-03-10T09:00:00+08:00"},
                {"event": "pass_review", "effective_at": "2025-04-10T09:00:00+08:00"},
                {"event": "approve", "effective_at": "2025-05-10T09:00:00+08:00", "filing_number": f"网信算备110108{i:07d}0125{i % 10000:04d}号"},
            ]  # fmt: skip
            row = {
                "ref": f"ALG-{i + 1:04d}",
                "organisation": f"星河智算第{i // 100 + 1}号有限公司",
                "title": f"对话生成算法 v{i}",
                "kind": "algorithm",
                "algorithm_type": "generative",
                "history": history,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def import_once(source: Path, empty: Path, target: Path) -> float:
    from tracker.config import Settings
    from tracker.exchange.service import ExchangeService
    from tracker.factory import open_store
    from tracker.filings.service import FilingService

    shutil.copy(empty, target)
    store = open_store(f"sqlite:///{target}")
    try:
        exchange = ExchangeService(FilingService(store, Settings()))
        started = time.perf_counter()
        result = exchange.import_file(source)
        elapsed = time.perf_counter() - started
        assert result.created == TOTAL and not result.plan.problems, (
            result.created,
            result.plan.problems[:3],
        )
    finally:
        store.dispose()
    return elapsed


def raw_once(empty: Path, target: Path, total: int) -> float:
    """The same rows with plain sqlite3 executemany (shipped pragmas: WAL, synchronous=FULL, foreign keys)."""
    shutil.copy(empty, target)
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    stamp = "2026-01-05 01:00:00.000000"
    started = time.perf_counter()
    orgs = [(f"星河智算第{n + 1}号有限公司", None, "110108", stamp) for n in range((total + 99) // 100)]
    conn.executemany(
        "INSERT INTO organisation (name, credit_code, region, created_at) VALUES (?, ?, ?, ?)", orgs
    )
    org_ids = {name: oid for oid, name in conn.execute("SELECT id, name FROM organisation")}
    filings = [
        (f"ALG-{i + 1:04d}", i + 1, "algorithm", f"对话生成算法 v{i}", org_ids[f"星河智算第{i // 100 + 1}号有限公司"],
         "provider", "generative", None, None, "approved", None, 0, f"网信算备110108{i:07d}0125{i % 10000:04d}号", 1, 1,
         None, None, None, None, stamp, stamp, stamp)
        for i in range(total)
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO filing (ref, seq, kind, title, organisation_id, role, algorithm_type, upstream_model, "
        "upstream_filing_number, stage, returned_from, returns, filing_number, version, public_opinion, launch_date, "
        "change_date, termination_date, description, created_at, updated_at, stage_entered_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        filings,
    )
    ids = {ref: fid for fid, ref in conn.execute("SELECT id, ref FROM filing")}
    steps = [
        ("submit", "draft", "initial_review", "2025-03-01 01:00:00.000000", "pm"),
        ("pass_review", "initial_review", "second_review", "2025-03-10 01:00:00.000000", None),
        ("pass_review", "second_review", "final_review", "2025-04-10 01:00:00.000000", None),
        ("approve", "final_review", "approved", "2025-05-10 01:00:00.000000", None),
    ]
    history = [
        (ids[f"ALG-{i + 1:04d}"], event, src, dst, at, stamp, actor, "import-history", None, None,
         f"网信算备110108{i:07d}0125{i % 10000:04d}号" if event == "approve" else None)
        for i in range(total)
        for event, src, dst, at, actor in steps
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO transition (filing_id, event, from_stage, to_stage, effective_at, recorded_at, actor, source, "
        "note, reason, filing_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        history,
    )
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


BARE_EXPORT = r"""
import csv, json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
def utc(text):
    return text.replace(".000000", "").replace(" ", "T") + "Z" if text else text
hist, approved = {}, {}
for fid, event, src, dst, at, rec, actor, source, note, reason, number in conn.execute(
        "SELECT filing_id, event, from_stage, to_stage, effective_at, recorded_at, actor, source, note, reason, "
        "filing_number FROM transition ORDER BY filing_id, id"):
    hist.setdefault(fid, []).append({"event": event, "from_stage": src, "to_stage": dst, "effective_at": utc(at),
        "recorded_at": utc(rec), "actor": actor, "source": source, "note": note, "reason": reason,
        "filing_number": number})
    if event == "approve":
        approved[fid] = at
with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as out:
    w = csv.writer(out)
    w.writerow(["ref", "kind", "title", "organisation", "credit_code", "region", "stage", "algorithm_type", "role",
                "filing_number", "approved_on", "launch_date", "change_date", "termination_date", "public_opinion",
                "upstream_model", "upstream_filing_number", "description", "returned_from", "returns", "history"])
    for row in conn.execute(
            "SELECT f.id, f.ref, f.kind, f.title, o.name, o.credit_code, o.region, f.stage, f.algorithm_type, f.role, "
            "f.filing_number, f.launch_date, f.change_date, f.termination_date, f.public_opinion, f.upstream_model, "
            "f.upstream_filing_number, f.description, f.returned_from, f.returns FROM filing f JOIN organisation o "
            "ON o.id = f.organisation_id ORDER BY f.kind, f.seq"):
        fid = row[0]
        cells = ["" if v is None else v for v in row[1:]]
        cells.insert(10, (approved.get(fid) or "")[:10])
        cells[14] = "yes" if row[14] else "no"
        w.writerow([*cells, json.dumps(hist.get(fid, []), ensure_ascii=False, separators=(",", ":"))])
"""


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="beian-bench-exchange-"))
    try:
        results: list[Result] = []
        empty = tmp / "empty.db"
        migrated_sqlite(empty)
        source = tmp / "filings.jsonl"
        write_jsonl(source, TOTAL)
        note(
            f"import: {TOTAL:,} filings with 4 events each, {REPEATS} run(s) interleaved with the raw baseline"
        )
        ours, raw = [], []
        for _ in range(REPEATS):
            raw.append(raw_once(empty, tmp / "raw.db", TOTAL))
            ours.append(import_once(source, empty, tmp / "imported.db"))
        ratio = median(raw) / median(ours)
        results.append(
            Result(f"import {TOTAL:,} filings + history", seconds(median(ours)), f"{seconds(median(raw))} raw executemany",
                   ratio, "≥ 0.30× raw", ratio >= 0.30)
        )  # fmt: skip

        db = tmp / "imported.db"
        env = bench_env(tmp / "home")
        url = f"sqlite:///{db}"
        export_out, bare_out = tmp / "export.csv", tmp / "bare.csv"
        note("export: beian export --history vs a bare sqlite3 + csv.writer process")
        ours_export, bare = [], []
        for _ in range(REPEATS):
            bare.append(run_checked([sys.executable, "-c", BARE_EXPORT, str(db), str(bare_out)], env))
            ours_export.append(
                run_checked([*beian_argv(), "--db", url, "export", "--history", "-o", str(export_out)], env)
            )
        ratio = median(ours_export) / median(bare)
        results.append(
            Result(f"beian export --history, {TOTAL:,}", seconds(median(ours_export)), f"{seconds(median(bare))} bare csv",
                   ratio, "≤ 1.5×", ratio <= 1.5)
        )  # fmt: skip
        note("report: beian report --format html")
        report_times = [
            run_checked(
                [*beian_argv(), "--db", url, "report", "--format", "html", "-o", str(tmp / "r.html")], env
            )
            for _ in range(REPEATS)
        ]
        took = median(report_times)
        results.append(
            Result(f"beian report html, {TOTAL:,}", seconds(took), "-", None, "≤ 3 s", took <= 3.0)
        )
        print_table("exchange", results)
        out: dict[str, Any] = {r.figure: {"value": r.value, "ratio": r.ratio, "ok": r.ok} for r in results}
        from _util import OUT

        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "exchange.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
