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
from collections.abc import Callable
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


def seed(path: Path, total: int) -> None:
    """`total` filings over `total // 100` organisations, in a spread of stages and two kinds."""
    seed_portfolio(path, total)


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
        lambda: all(w.state not in (WorkerState.PENDING, WorkerState.RUNNING) for w in pilot.app.workers),
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


def child_dashboard(path: Path, process_start: float) -> dict[str, float]:
    """Open the dashboard on `path`; time first paint, a jump to the middle, a filter and a sort."""
    from tracker.config import Settings
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
        app = make_app(service)
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

    asyncio.run(run())
    figures["rss_mb"] = rss_mb()
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


def measure(side: str, path: Path) -> dict[str, float]:
    """Run one side in a fresh process and read its figures."""
    proc = subprocess.run(
        [PYTHON, __file__, "--child", side, str(path), repr(time.time())],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{side} run failed:\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    """Seed, measure both sides, print the table and write bench/out/dashboard.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="Filings to seed (default 100,000).")
    parser.add_argument("--repeats", type=int, default=3, help="Dashboard runs; the median is reported.")
    parser.add_argument("--skip-datatable", action="store_true", help="Skip the (slow) DataTable baseline.")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "DB", "SPAWNED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, db, spawned = args.child
        # the parent's wall-clock spawn time, on this process's performance counter
        process_start = time.perf_counter() - (time.time() - float(spawned))
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
        base = None if args.skip_datatable else measure("datatable", path)
        if base is not None:
            note(f"DataTable: first paint {base['first_paint']:.3f} s, {base['rss_mb']:.0f} MB")

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
    ]
    print_table("dashboard", results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dashboard.json").write_text(
        json.dumps(
            {"results": [r.__dict__ for r in results], "dashboard": ours, "datatable": base},
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
