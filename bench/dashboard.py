"""Dashboard benchmark: first paint over 100,000 filings, against a bare Textual DataTable of the same rows.

Run alone: `python bench/dashboard.py [--rows N] [--repeats N] [--skip-datatable]`. Each side runs in its
own process (so its peak memory is its own), headless at 140×40. "First paint" is the moment the table
first renders a line holding a filing, timed from the app's construction (and, for information, from
process start, imports included). The dashboard also reports how long a jump to the middle, a text
filter and a re-sort take to show rows, and its peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from _util import (
    OUT,
    PYTHON,
    Result,
    median,
    note,
    print_table,
    seconds,
    seed_portfolio,
)

SIZE = (140, 40)
TARGET_PAINT = 1.5
TARGET_RSS_MB = 300.0
TARGET_LAG_PG = 0.2
TARGET_LAG_SQLITE = 0.6


def seed(path: Path, total: int) -> None:
    """`total` filings over `total // 100` organisations, in a spread of stages and two kinds; their stored next
    due dates computed afterwards, as `beian init` does for rows written around the product."""
    seed_portfolio(path, total)
    compute_next_due(f"sqlite:///{path}")


def compute_next_due(url: str) -> None:
    """Compute every filing's stored next due date (`tracker.rules.next_due`), timed as a note."""
    from tracker.config import Settings
    from tracker.factory import open_store
    from tracker.rules.service import RulesService

    store = open_store(url)
    started = time.perf_counter()
    computed = RulesService(store, Settings()).refresh_next_due(everything=True)
    note(f"computed {computed:,} stored next due dates in {time.perf_counter() - started:.1f} s")
    store.dispose()


# -- the measured processes ------------------------------------------------------------------------


def rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def idle(pilot: Any) -> None:
    """Let background work finish, so a measured action is not queued behind the previous one."""
    from textual.worker import WorkerState

    await until(
        pilot,
        lambda: all(
            w.state not in (WorkerState.PENDING, WorkerState.RUNNING) or w.group == "changes"
            for w in pilot.app.workers
        ),
        "idle",
    )
    await pilot.pause(0.05)


async def until(pilot: Any, done: Callable[[], bool], what: str) -> None:
    """Let the app run until `done()` holds."""
    for _ in range(20_000):
        if done():
            return
        await pilot.pause(0.001)
    raise RuntimeError(f"gave up waiting for {what}")


def child_dashboard(path: Path, process_start: float, by_deadline: bool = False) -> dict[str, float]:
    """Open the dashboard on `path`; time first paint, a jump to the middle, a filter and a sort.

    `by_deadline`: open it sorted by the deadline column (the rules layer computes every filing's deadlines).
    """
    from tracker.config import Settings
    from tracker.domain import FilingQuery
    from tracker.factory import open_store
    from tracker.filings.service import FilingService
    from tui.app import make_app
    from tui.screens.dashboard import DashboardScreen
    from tui.view.columns import COLUMNS
    from tui.widgets.filing_table import FilingTable

    painted: dict[tuple[int, int], float] = {}
    render_line = FilingTable.render_line

    def probe(self: FilingTable, y: int) -> Any:
        strip = render_line(self, y)
        index = int(self.scroll_y) + y - 1
        if y >= 1 and self.row(index) is not None:
            painted.setdefault((self.generation, index), time.perf_counter())
        return strip

    FilingTable.render_line = probe  # type: ignore[method-assign]  # a timing probe, bench only
    service = FilingService(open_store(f"sqlite:///{path}"), Settings())
    figures: dict[str, float] = {}

    async def run() -> None:
        started = time.perf_counter()
        app = make_app(service, initial=FilingQuery(sort="deadline") if by_deadline else FilingQuery())
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: any(index == 0 for _, index in painted), "first paint")
            first = min(t for (_, index), t in painted.items() if index == 0)
            figures["first_paint"] = first - started
            figures["first_paint_from_process_start"] = first - process_start
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            table = screen.query_one(FilingTable)
            figures["rows"] = table.total

            middle = table.total // 2
            await idle(pilot)
            t = time.perf_counter()
            table.move_cursor(middle)
            await until(pilot, lambda: (table.generation, middle) in painted, "the middle row")
            figures["jump_to_middle"] = painted[(table.generation, middle)] - t

            async def shown_after(change: Callable[[], None], what: str) -> float:
                await idle(pilot)
                generation = table.generation
                t = time.perf_counter()
                change()
                await until(
                    pilot,
                    lambda: (
                        table.generation > generation and (table.generation, int(table.scroll_y)) in painted
                    ),
                    what,
                )
                return painted[(table.generation, int(table.scroll_y))] - t

            figures["filter_text"] = await shown_after(
                lambda: screen.set_filters(replace(screen.filters, text="v777")), "filter"
            )
            figures["filter_clear"] = await shown_after(screen.action_clear_filters, "clear filter")
            organisation = next(c for c in COLUMNS if c.key == "organisation")
            figures["sort_organisation"] = await shown_after(lambda: screen.sort_by(organisation), "sort")
            if not by_deadline:
                deadline = next(c for c in COLUMNS if c.key == "deadline")
                figures["sort_deadline"] = await shown_after(
                    lambda: screen.sort_by(deadline), "deadline sort"
                )

    asyncio.run(run())
    figures["rss_mb"] = rss_mb()
    return figures


def child_live(
    url: str, process_start: float, idle_seconds: float = 10.0, polling: bool = False
) -> dict[str, float]:
    """An open dashboard on `url`: statements it sends while idle, and the lag from a commit made on another
    connection to the changed row painted.

    `polling`: the fallback path (no change feed), as every dashboard behaved before push refresh.
    """
    import threading

    from sqlalchemy import event

    from tracker.config import Settings
    from tracker.errors import StorageError
    from tracker.factory import open_store
    from tracker.filings.service import FilingService
    from tui.app import make_app
    from tui.widgets.filing_table import FilingTable

    class Polling(FilingService):
        def change_feed(self) -> Any:
            raise StorageError("change feed switched off for the baseline")

    ours = (Polling if polling else FilingService)(open_store(url), Settings())
    theirs = FilingService(open_store(url), Settings())
    statements: list[float] = []
    event.listen(
        ours.store.engine, "before_cursor_execute", lambda *_a: statements.append(time.perf_counter())
    )
    from tracker.domain import FilingQuery, Stage

    ref = theirs.filings(FilingQuery(stages=(Stage.DRAFT,), limit=1))[0].ref
    render_line = FilingTable.render_line
    seen_stage: dict[str, float] = {}

    def probe(self: FilingTable, y: int) -> Any:
        strip = render_line(self, y)
        filing = self.row(int(self.scroll_y) + y - 1) if y >= 1 else None
        if filing is not None and filing.ref == ref:
            seen_stage.setdefault(filing.stage.value, time.perf_counter())
        return strip

    FilingTable.render_line = probe  # type: ignore[method-assign]  # a timing probe, bench only
    figures: dict[str, float] = {}

    async def run() -> None:
        app = make_app(ours)
        import os

        hook = (lambda m: print(m, file=sys.stderr)) if os.environ.get("BENCH_DEBUG") else None
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await until(pilot, lambda: bool(seen_stage), "first paint")
            await idle(pilot)
            await pilot.pause(0.5)
            before = len(statements)
            await pilot.pause(idle_seconds)
            figures["idle_queries_per_minute"] = (len(statements) - before) * 60 / idle_seconds
            committed: list[float] = []

            def write() -> None:
                theirs.advance(ref, "withdraw")
                committed.append(time.perf_counter())

            thread = threading.Thread(target=write)
            thread.start()
            await until(pilot, lambda: "withdrawn" in seen_stage and bool(committed), "the change painted")
            thread.join()
            figures["lag"] = seen_stage["withdrawn"] - committed[0]

    asyncio.run(run())
    ours.store.dispose()
    theirs.store.dispose()
    return figures


def child_datatable(path: Path, process_start: float) -> dict[str, float]:
    """A bare DataTable mounting every filing (fetched through the same service) on mount."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tracker.config import Settings
    from tracker.domain import FilingQuery
    from tracker.factory import open_store
    from tracker.filings.service import FilingService
    from tui.view.labels import days_in_stage, kind_label, stage_label

    service = FilingService(open_store(f"sqlite:///{path}"), Settings())
    figures: dict[str, float] = {}
    painted: list[float] = []
    render_line = DataTable.render_line

    def probe(self: DataTable[Any], y: int) -> Any:
        if y >= 1 and self.row_count and not painted:
            painted.append(time.perf_counter())
        return render_line(self, y)

    DataTable.render_line = probe  # type: ignore[method-assign]  # a timing probe, bench only

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            fetched = time.perf_counter()
            filings = service.filings(FilingQuery())
            now = service.clock()
            figures["fetch"] = time.perf_counter() - fetched
            table = self.query_one(DataTable)
            table.add_columns(
                "ref", "organisation", "title", "kind", "stage", "days", "returns", "filing number"
            )
            table.add_rows(
                (
                    f.ref,
                    f.organisation,
                    f.title,
                    kind_label(f.kind, "both", short=True),
                    stage_label(f.stage, "both", f.kind),
                    str(days_in_stage(f, now)),
                    str(f.returns or ""),
                    f.filing_number or "",
                )
                for f in filings
            )

    async def run() -> None:
        started = time.perf_counter()
        app = Bare()
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: bool(painted), "first paint")
            figures["first_paint"] = painted[0] - started
            figures["first_paint_from_process_start"] = painted[0] - process_start

    asyncio.run(run())
    figures["rss_mb"] = rss_mb()
    return figures


# -- the report ------------------------------------------------------------------------------------


def measure(side: str, path: Path | str) -> dict[str, float]:
    """Run one side in a fresh process and read its figures (with settings and views of its own, so the
    dashboard neither reads nor writes the user's)."""
    import os

    with tempfile.TemporaryDirectory(prefix="beian-bench-home-") as home:
        env = {**os.environ, "BEIAN_CONFIG_FILE": str(Path(home) / "config.toml")}
        proc = subprocess.run(
            [PYTHON, __file__, "--child", side, str(path), repr(time.time())],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"{side} run failed:\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def measure_live(side: str, url: str) -> dict[str, float]:
    """The push-refresh figures of one backend in a fresh process."""
    figures = measure(side, url)
    note(
        f"{side} {url.split(':')[0]}: {figures['idle_queries_per_minute']:.0f} idle queries/min, lag {figures['lag']:.3f} s"
    )
    return figures


@contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """A temporary migrated PostgreSQL schema with the demo portfolio; dropped afterwards."""
    import uuid

    import psycopg

    from tracker.config import Settings
    from tracker.factory import open_store
    from tracker.filings.demo import seed_demo
    from tracker.filings.service import FilingService

    schema = f"beian_bench_{uuid.uuid4().hex[:8]}"
    plain = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    try:
        store = open_store(url, create=True)
        seed_demo(FilingService(store, Settings()))
        store.dispose()
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> int:
    """Seed, measure both sides, print the table and write bench/out/dashboard.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="Filings to seed (default 100,000).")
    parser.add_argument("--repeats", type=int, default=3, help="Dashboard runs; the median is reported.")
    parser.add_argument("--skip-datatable", action="store_true", help="Skip the (slow) DataTable baseline.")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL for the push-refresh figures (a temporary schema is made and dropped); '' to skip.",
    )
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "DB", "SPAWNED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, db, spawned = args.child
        # the parent's wall-clock spawn time, on this process's performance counter
        process_start = time.perf_counter() - (time.time() - float(spawned))
        if side.startswith("live"):
            print(json.dumps(child_live(db, process_start, polling=side.endswith("polling"))))
        elif side == "dashboard-deadline":
            print(json.dumps(child_dashboard(Path(db), process_start, by_deadline=True)))
        else:
            run = child_dashboard if side == "dashboard" else child_datatable
            print(json.dumps(run(Path(db), process_start)))
        return 0

    with tempfile.TemporaryDirectory(prefix="beian-bench-") as tmp:
        path = Path(tmp) / "dashboard.db"
        seed(path, args.rows)
        runs = []
        for i in range(args.repeats):
            runs.append(measure("dashboard", path))
            note(
                f"dashboard run {i + 1}: first paint {runs[-1]['first_paint']:.3f} s, {runs[-1]['rss_mb']:.0f} MB"
            )
        ours = {key: median(r[key] for r in runs) for key in runs[0]}
        deadline_runs = [measure("dashboard-deadline", path) for _ in range(args.repeats)]
        by_deadline = {key: median(r[key] for r in deadline_runs) for key in deadline_runs[0]}
        note(
            f"sorted by deadline: first paint {by_deadline['first_paint']:.3f} s, {by_deadline['rss_mb']:.0f} MB"
        )
        base = None if args.skip_datatable else measure("datatable", path)
        if base is not None:
            note(f"DataTable: first paint {base['first_paint']:.3f} s, {base['rss_mb']:.0f} MB")
        live_path = Path(tmp) / "live.db"
        seed(live_path, 2000)
        live = {
            "sqlite": measure_live("live", f"sqlite:///{live_path}"),
            "sqlite_polling": measure_live("live-polling", f"sqlite:///{live_path}"),
        }
        if args.pg_url:
            with pg_schema(args.pg_url) as url:
                live["postgresql"] = measure_live("live", url)
                live["postgresql_polling"] = measure_live("live-polling", url)

    n = f"{args.rows:,} filings"
    ratio = ours["first_paint"] / base["first_paint"] if base else None
    results = [
        Result(
            f"dashboard first paint, {n}",
            seconds(ours["first_paint"]),
            f"{seconds(base['first_paint'])} bare DataTable" if base else "-",
            ratio,
            f"≤ {TARGET_PAINT} s",
            ours["first_paint"] <= TARGET_PAINT,
        ),
        Result(
            "  same, from process start (imports included)",
            seconds(ours["first_paint_from_process_start"]),
            f"{seconds(base['first_paint_from_process_start'])} bare DataTable" if base else "-",
            None,
            "-",
            None,
        ),
        Result(
            f"dashboard peak RSS, {n}",
            f"{ours['rss_mb']:.0f} MB",
            f"{base['rss_mb']:.0f} MB bare DataTable" if base else "-",
            ours["rss_mb"] / base["rss_mb"] if base else None,
            f"≤ {TARGET_RSS_MB:.0f} MB",
            ours["rss_mb"] <= TARGET_RSS_MB,
        ),
        Result("jump to the middle row", seconds(ours["jump_to_middle"]), "-", None, "-", None),
        Result("text filter shown", seconds(ours["filter_text"]), "-", None, "-", None),
        Result("filter cleared", seconds(ours["filter_clear"]), "-", None, "-", None),
        Result("re-sorted by organisation", seconds(ours["sort_organisation"]), "-", None, "-", None),
        Result("re-sorted by deadline", seconds(ours["sort_deadline"]), "-", None, "-", None),
        Result(
            f"first paint sorted by deadline, {n}",
            seconds(by_deadline["first_paint"]),
            "-",
            None,
            f"≤ {TARGET_PAINT} s",
            by_deadline["first_paint"] <= TARGET_PAINT,
        ),
        Result(
            f"peak RSS sorted by deadline, {n}",
            f"{by_deadline['rss_mb']:.0f} MB",
            "-",
            None,
            f"≤ {TARGET_RSS_MB:.0f} MB",
            by_deadline["rss_mb"] <= TARGET_RSS_MB,
        ),
    ]
    for backend, target_lag in (("sqlite", TARGET_LAG_SQLITE), ("postgresql", TARGET_LAG_PG)):
        if backend not in live:
            continue
        push, poll = live[backend], live[f"{backend}_polling"]
        results.append(
            Result(
                f"idle queries per minute, {backend}",
                f"{push['idle_queries_per_minute']:.0f}",
                f"{poll['idle_queries_per_minute']:.0f} polling",
                None,
                "0" if backend == "postgresql" else "-",
                push["idle_queries_per_minute"] == 0 if backend == "postgresql" else None,
            )
        )
        results.append(
            Result(
                f"commit elsewhere → row repainted, {backend}",
                seconds(push["lag"]),
                f"{seconds(poll['lag'])} polling",
                push["lag"] / poll["lag"] if poll["lag"] > 0 else None,
                f"≤ {target_lag} s",
                push["lag"] <= target_lag,
            )
        )
    print_table("dashboard", results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dashboard.json").write_text(
        json.dumps(
            {
                "results": [r.__dict__ for r in results],
                "dashboard": ours,
                "by_deadline": by_deadline,
                "live": live,
                "datatable": base,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
