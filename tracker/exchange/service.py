"""ExchangeService: import with a plan and a validation report, export, the status report and the deadline calendar.

An import is read and validated first (`tracker.exchange.readers`, `tracker.exchange.rows`), then matched against
the database in one transaction: each valid row becomes a plan item (new filing, approval of a filing still in
review, update of descriptive fields, history to append, unchanged, or conflict). `check` stops there and writes
nothing. Otherwise the whole plan is applied in that same transaction, or nothing is (all or nothing); with
`skip_invalid` the valid, conflict-free rows are applied and the others are written to a file with a reason column.

Facts an import learns without their history (a CAC list says a filing is approved; a spreadsheet says one is in
线上二审) are recorded as one history row with source `import`; the rules layer leaves such rows out of the
durations it learns forecasts from. Imports send no SMS.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from states import Event, Kind, Stage
from tracker.domain import FilingQuery, Organisation, Transition
from tracker.errors import Conflict, UsageError
from tracker.exchange import repo as xrepo
from tracker.exchange.apply import apply_plan, write_rejected
from tracker.exchange.fields import LAYOUT_TITLES, Layout
from tracker.exchange.plan import (
    IMPORT_SOURCE,
    ImportPlan,
    ImportResult,
    Progress,
    beijing_day,
    build_index,
    make_plan,
)
from tracker.exchange.readers import Table, read_table
from tracker.exchange.report import (
    ApprovedItem,
    DeadlineItem,
    ReportData,
    ReturnedItem,
    StageTime,
    stage_time_rows,
)
from tracker.exchange.rows import (
    ImportRecord,
    Problem,
    on_day,
    validate_rows,
)
from tracker.exchange.writers import ExportRow
from tracker.rules.repo import WorkdayCounter
from tracker.rules.repo_timing import stage_spans
from tracker.store.revision import bump_revision, read_revision

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

_FORMULA_START = frozenset("=+-@")
BEIJING = timedelta(hours=8)


class _CheckOnly(Exception):
    """Rolls the planning transaction back (nothing was written, but say so to the database too)."""


class ExchangeService:
    """Imports, exports, the status report and the calendar, on the same store as the `FilingService`."""

    def __init__(self, filings: FilingService) -> None:
        self.filings = filings
        self.store = filings.store
        self.clock = filings.clock
        self._stage_times: tuple[int, tuple[StageTime, ...]] | None = None

    def read(
        self,
        path: Path,
        *,
        fmt: str | None = None,
        maps: dict[str, str] | None = None,
        list_date: date | None = None,
        progress: Progress | None = None,
    ) -> tuple[Table, list[ImportRecord], list[Problem]]:
        """Read and validate a file (no database). Raises ImportFileError when the file cannot be read at all."""
        tick = (lambda n: progress("reading", n, None)) if progress else None
        table = read_table(path, fmt=fmt, maps=maps, progress=tick)
        records, problems = validate_rows(table.rows, list_date=list_date)
        return table, records, problems

    def import_file(
        self,
        path: Path,
        *,
        fmt: str | None = None,
        maps: dict[str, str] | None = None,
        list_date: date | None = None,
        check: bool = False,
        skip_invalid: Path | None = None,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Read, validate, plan and (unless `check`) apply an import in one transaction.

        All or nothing: an invalid row or a conflict refuses the whole import (UsageError, exit 2, for invalid
        rows; Conflict, exit 4, for conflicts) and nothing is written, unless `skip_invalid` names a file to
        receive the rejected rows (CSV, UTF-8 with BOM, the file's own columns plus `reason`), in which case the
        rest is applied. `check` returns the plan and writes nothing. Raises ImportFileError for an unreadable
        file and StorageError for a database failure (nothing written either way).
        """
        with _no_cycle_collection():
            return self._import(path, fmt, maps, list_date, check, skip_invalid, progress)

    def _import(
        self,
        path: Path,
        fmt: str | None,
        maps: dict[str, str] | None,
        list_date: date | None,
        check: bool,
        skip_invalid: Path | None,
        progress: Progress | None,
    ) -> ImportResult:
        table, records, problems = self.read(path, fmt=fmt, maps=maps, list_date=list_date, progress=progress)
        plan = ImportPlan(
            path=path,
            format=table.format,
            encoding=table.encoding,
            layouts=list(table.layouts),
            rows=len(table.rows),
            problems=problems,
            items=[],
            ignored_columns=list(table.ignored_columns),
            notes=list(table.notes),
        )
        result = ImportResult(plan=plan, applied=False)
        try:
            with self.store.work() as work:
                conn = work.connection()
                index = build_index(conn)
                now = self.clock()
                plan.items = make_plan(conn, index, records, progress, now)
                plan.new_organisations = sorted(
                    {item.record.organisation for item in plan.items if item.action == "new"}
                    - {o.name for o in index.orgs_by_name.values()}
                )
                if check:
                    raise _CheckOnly()
                if not plan.clean and skip_invalid is None:
                    raise self._refusal(plan)
                apply_plan(conn, index, plan, result, path, progress, now)
                if (
                    result.created
                    or result.approved
                    or result.updated
                    or result.appended
                    or result.organisations
                ):
                    bump_revision(work)
        except _CheckOnly:
            return result
        if skip_invalid is not None and not plan.clean:
            result.rejected = write_rejected(skip_invalid, table, plan)
            result.rejected_file = skip_invalid
        result.applied = True
        return result

    @staticmethod
    def _refusal(plan: ImportPlan) -> UsageError | Conflict:
        if plan.problems:
            first = plan.problems[0]
            return UsageError(
                f"{plan.path.name}: {len(plan.problems)} problem(s) in {len({p.row for p in plan.problems})} row(s), "
                f"first {first.where}: {first.reason}; nothing imported",
                hint="`beian import FILE --check` lists them all; --skip-invalid FILE imports the rest",
            )
        first_conflict = plan.conflicts[0]
        return Conflict(
            f"{plan.path.name}: {len(plan.conflicts)} row(s) conflict with this database, first "
            f"{first_conflict.record.where}: {first_conflict.reason}; nothing imported",
            hint="`beian import FILE --check` shows the plan; --skip-invalid FILE imports the rest",
        )

    def export_rows(
        self, query: FilingQuery | None = None, *, with_history: bool = False
    ) -> Iterator[ExportRow]:
        """Filings matching `query` (as `beian list` filters them) with organisation, approval date and history."""
        rows = self.filings.filing_rows(query or FilingQuery())
        orgs = {o.id: o for o in self.filings.organisations()}
        filings = [xrepo.filing_from_mapping(r) for r in rows]
        ids = [f.id for f in filings]
        with self.store.work() as work:
            conn = work.connection()
            approvals = xrepo.approval_dates(conn, ids if query and query != FilingQuery() else None)
            histories: dict[int, list[Transition]] = {}
            if with_history and ids:
                for row in xrepo.history_stream(conn, ids):
                    histories.setdefault(row["filing_id"], []).append(xrepo.transition_from_mapping(row))
        for f in filings:
            approved = approvals.get(f.id)
            yield ExportRow(
                f,
                orgs[f.organisation_id],
                beijing_day(approved) if approved else None,
                tuple(histories.get(f.id, ())),
            )

    def export_cells(
        self, query: FilingQuery | None = None, *, with_history: bool = False
    ) -> Iterator[list[Any]]:
        """Rows of a CSV or XLSX export (values in `writers.headers()` order, text escaped), in reference order.

        On SQLite the database computes them, history JSON included (several times faster at 100,000 filings);
        elsewhere they come from `export_rows`. Both give the same cells.
        """
        from tracker.exchange.writers import cells, escape_cell

        query = query or FilingQuery()
        ids = None if query == FilingQuery() else [r["id"] for r in self.filings.filing_rows(query)]
        if ids is None or len(ids) <= 30_000:
            with self.store.work() as work:
                fast = xrepo.export_cells_sqlite(work.connection(), ids, with_history)
                if fast is not None:
                    rows = list(fast)
                    for row in rows:
                        for i, value in enumerate(row):
                            if isinstance(value, str) and value[:1] in _FORMULA_START:
                                row[i] = escape_cell(value)
                    yield from rows
                    return
        for item in self.export_rows(query, with_history=with_history):
            yield cells(item, with_history)

    # -- the status report and the calendar ---------------------------------------------------------------------

    def report_data(self, since: date | None = None, until: date | None = None) -> ReportData:
        """Counts per stage, approvals and returns in [since, until] (Beijing dates; default the last 30 days),
        running and overdue deadlines, and working days per stage (median, worst) over the whole history."""
        today = beijing_day(self.clock())
        until = until or today
        since = since or until - timedelta(days=30)
        if since > until:
            raise UsageError(f"--since {since.isoformat()} is after {until.isoformat()}")
        start, end = (
            on_day(since) - timedelta(hours=1),
            on_day(until + timedelta(days=1)) - timedelta(hours=1),
        )
        rules = self.filings.rules
        calendar = rules.calendar
        with self.store.work() as work:
            conn = work.connection()
            counts = xrepo.stage_counts(conn)
            approvals = xrepo.events_between(conn, [Event.APPROVE.value], start, end)
            returns = xrepo.events_between(conn, [Event.RETURN_FOR_REVISION.value], start, end)
            resubmitted = {
                r["id"]: xrepo.next_event_after(conn, r["filing_id"], r["id"], Event.RESUBMIT.value)
                for r in returns
            }
        order = {s: i for i, s in enumerate(Stage)}
        count_rows = sorted(
            ((Kind(k), Stage(s), n) for k, s, n in counts),
            key=lambda c: (list(Kind).index(c[0]), order[c[1]]),
        )
        approved = tuple(
            ApprovedItem(
                a["ref"],
                a["title"],
                a["organisation_name"],
                a["filing_number"],
                beijing_day(a["effective_at"]),
                a["source"] == IMPORT_SOURCE,
            )
            for a in approvals
        )
        returned_items = []
        for r in returns:
            back = resubmitted[r["id"]]
            returned_on = beijing_day(r["effective_at"])
            end_day = beijing_day(back) if back else today
            cost = max(calendar.workdays_between(returned_on, end_day).days, 0)
            returned_items.append(
                ReturnedItem(
                    r["ref"], r["title"], r["organisation_name"], returned_on, Stage(r["from_stage"]), r["reason"] or "",
                    beijing_day(back) if back else None, cost,
                )
            )  # fmt: skip
        deadlines = self.calendar_items()
        times = self.stage_times()
        total = sum(n for _, _, n in count_rows)
        return ReportData(
            generated_at=self.clock(),
            since=since,
            until=until,
            total=total,
            counts=tuple(count_rows),
            approved=approved,
            returned=tuple(returned_items),
            deadlines=tuple(deadlines),
            stage_times=times,
            notes=("Durations in Chinese working days (工作日); facts recorded by an import are not timed.",),
        )

    def stage_times(self) -> tuple[StageTime, ...]:
        """Working days per stage over every finished visit in the whole history (median, worst, visits), by kind
        then stage in the machine's order: the report's table and chart and the dashboard's chart.

        The same figures as the rules' `stage_samples` (facts recorded by an import are not timed), counted by the
        database in one pass; cached per database revision. Raises `RulesError`, `StorageError`.
        """
        calendar = self.filings.rules.calendar
        with self.store.unit() as session:
            revision = read_revision(session)
            if self._stage_times is not None and self._stage_times[0] == revision:
                return self._stage_times[1]
            spans = stage_spans(session)
        days = [d for span in spans for d in span[2:4]]
        counter = WorkdayCounter(calendar, min(days), max(days)) if days else None
        spent: dict[tuple[Kind, Stage], dict[float, int]] = {}
        for kind, stage, entered, left, visits in spans:
            assert counter is not None
            tally = spent.setdefault((kind, stage), {})
            value = float(max(counter.between(entered, left), 0))
            tally[value] = tally.get(value, 0) + visits
        times = stage_time_rows(spent)
        self._stage_times = (revision, times)
        return times

    def calendar_items(self) -> list[DeadlineItem]:
        """Every running statutory deadline with its filing's title and organisation, most urgent first."""
        return [DeadlineItem(d, f.title, f.organisation) for f, d in self.filings.rules.due()]

    # -- helpers -------------------------------------------------------------------------------------------------------


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused while an import builds its rows: hundreds of thousands of new objects (none of
    them cyclic garbage) would otherwise set it off again and again over a growing heap, a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # what the import leaves alive (its result) would all be scanned by the first collection afterwards:
        # move it to the oldest generation instead, as a collection that found no garbage would
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def layout_title(layout: Layout) -> str:
    """A layout's name for people."""
    return LAYOUT_TITLES[layout]


def organisation_label(org: Organisation) -> str:
    """`name (credit code)` or just the name when the code is not known."""
    return f"{org.name} ({org.credit_code})" if org.credit_code else org.name
