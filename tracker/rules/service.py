"""The regulatory rules applied to stored filings: materials checklists, running deadlines and forecasts.

`FilingService` calls `guard_facts` (what a submit still lacks) and `reopen_materials` (a return naming the
items to fix) inside its own transactions. Everything else goes through `RulesService`, reached as
`FilingService.rules`: it hands out `tracker.domain` objects only, and every write bumps the revision.

Dates are Beijing days. The Art. 25 period (D4) runs from the latest submit or resubmit, or from the day the
last mandatory item was ticked when that happened after the submission was recorded (materials completed
late). Portfolio answers and stage histories are cached per database revision, because the dashboard asks
again on every refresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from states import Kind, Stage
from tracker.config import Settings
from tracker.domain import DeadlineView, Filing, FilingQuery, MaterialStatus, limits
from tracker.domain.inputs import DATE_WINDOW, EARLIEST_DAY, LATEST_DAY
from tracker.errors import UsageError
from tracker.filings import repo as filing_repo
from tracker.rules import repo as q
from tracker.rules._facts import (
    OPEN_STAGES,
    check_number,
    checklist,
    guard_facts,
    reopen_materials,
    resolve_item,
    rules_for,
    short_label,
    to_view,
    urgency,
)
from tracker.rules.calendar import WorkCalendar, load_calendar
from tracker.rules.deadlines import Deadline, running_deadlines
from tracker.rules.forecast import StageSample
from tracker.rules.forecasting import ForecastMixin
from tracker.rules.model import MaterialItem, RuleSet
from tracker.rules.next_due import NextDueMixin
from tracker.rules.timing import ClockMixin
from tracker.store.base import StoreService
from tracker.store.revision import bump_revision, read_revision
from tracker.timeutil import Clock, beijing_date, now_utc, to_db

if TYPE_CHECKING:
    from tracker.store.db import Session, Store

__all__ = ["RulesService", "guard_facts", "reopen_materials", "rules_for", "short_label"]

Entry = tuple[int, str, tuple[Deadline, ...]]
"""A filing's id, its reference, and the deadlines running for it."""
_CHUNK = 500  # ids per IN list: well under every backend's bound-parameter limit


class RulesService(NextDueMixin, ClockMixin, ForecastMixin, StoreService):
    """Materials, statutory deadlines and forecasts for the filings in one store."""

    def __init__(self, store: Store, settings: Settings | None = None, *, clock: Clock = now_utc) -> None:
        """Rules on `store`; `clock` returns aware UTC. Nothing is read until first use."""
        super().__init__(store, settings, clock=clock)
        self._rules: RuleSet | None = None
        self._calendar: WorkCalendar | None = None
        self._samples: tuple[int, dict[Kind, list[StageSample]]] | None = None
        self._portfolio: tuple[tuple[int, date], tuple[Entry, ...]] | None = None
        self.stored_problems: list[str] = []
        """Stored dates the last deadline computation ignored (outside `inputs.DATE_WINDOW`), one line each."""
        self._next: tuple[tuple[Entry, ...], dict[int, DeadlineView]] | None = None
        self._clocks = None

    @property
    def rules(self) -> RuleSet:
        """The rules set in use (`settings.rules_dir`, else the shipped one), loaded on first use.

        Raises `RulesError` (a `ConfigError`) when a rules file is unreadable or wrong.
        """
        if self._rules is None:
            self._rules = rules_for(self.settings.rules_dir)
        return self._rules

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar (package data plus `data/calendars/`), loaded on first use.

        Raises `RulesError` when a calendar file is unreadable or wrong.
        """
        if self._calendar is None:
            self._calendar = load_calendar()
        return self._calendar

    def today(self) -> date:
        """Today in Beijing, by the service clock."""
        return beijing_date(self.clock())

    # -- materials -------------------------------------------------------------------------------

    def _items(self, session: Session, row: Any) -> list[MaterialItem]:
        """The checklist as of the submission that counts: today for a draft or a returned filing."""
        on = self.today()
        if Stage(row.stage) not in OPEN_STAGES and row.id is not None:
            submitted = q.last_submission(session, row.id)
            on = beijing_date(submitted) if submitted else on
        return checklist(self.rules, row, on)

    def materials(self, ref: str | int) -> list[MaterialStatus]:
        """The filing's checklist, in rules order, each item provided or not.

        Raises `NotFound`, `RulesError`, `StorageError`.
        """
        with self.store.unit() as session:
            row, _ = filing_repo.find_filing(session, ref)
            assert row.id is not None
            stored = q.material_rows(session, row.id)
            return [q.material_status(item, stored.get(item.key)) for item in self._items(session, row)]

    def mark(
        self,
        ref: str | int,
        item: str,
        *,
        done: bool = True,
        path: str | None = None,
        note: str | None = None,
        actor: str | None = None,
    ) -> MaterialStatus:
        """Tick (or with done=False untick) one item, named by key or label; a number item is validated.

        Raises `UsageError` (an item not on the checklist, a malformed number, a path, note or actor that is
        too long or holds a NUL), `NotFound`, `Conflict` (changed meanwhile), `RulesError`, `StorageError`.
        """
        limits.check_text("material file path", path, limits.MATERIAL_PATH)
        limits.check_text("material note", note, limits.NOTE)
        limits.check_text("who (--by)", actor, limits.ACTOR)
        now = to_db(self.clock())
        with self.store.unit() as session:
            row, _ = filing_repo.find_filing(session, ref)
            assert row.id is not None
            material = resolve_item(self.rules, self._items(session, row), item, row.ref)
            if done and material.check:
                given = note if note and note.strip() else None
                if given is None and material.check == "algo_filing_number":
                    given = row.upstream_filing_number
                note = check_number(material, given)
            stored = q.material_row(q.material_rows(session, row.id), row.id, material.key)
            if not done or not stored.provided:  # who ticked it first stays; an untick is recorded
                stored.checked_by, stored.checked_at = actor, now
            stored.provided = done
            if path is not None:
                stored.path = path.strip() or None
            if note is not None:
                stored.note = note.strip() or None
            q.save_materials(
                session, [stored], conflict=f"{item} of {ref} was changed by someone else meanwhile"
            )
            bump_revision(session)
            return q.material_status(material, stored)

    def mark_all_provided(self, ref: str | int, actor: str | None = None) -> int:
        """Tick every item not yet provided (a number item only when its number is known); returns how many.

        Raises `UsageError` (an unstorable `actor`), `NotFound`, `RulesError`, `StorageError`.
        """
        limits.check_text("who (--by)", actor, limits.ACTOR)
        now = to_db(self.clock())
        ticked = 0
        with self.store.unit() as session:
            row, _ = filing_repo.find_filing(session, ref)
            assert row.id is not None
            stored = q.material_rows(session, row.id)
            ticks = []
            for item in self._items(session, row):
                material = q.material_row(stored, row.id, item.key)
                if material.provided:
                    continue
                if item.check:
                    known = row.upstream_filing_number if item.check == "algo_filing_number" else None
                    try:
                        material.note = check_number(item, known)
                    except UsageError:
                        continue
                material.provided, material.checked_by, material.checked_at = True, actor, now
                ticks.append(material)
                ticked += 1
            if ticked:
                q.save_materials(session, ticks)
                bump_revision(session)
        return ticked

    # -- deadlines -------------------------------------------------------------------------------

    def _materials_complete(self, filing: Any, submitted: datetime, late: Iterable[Any]) -> date | None:
        """The day the last mandatory item was ticked after the submission, if all are provided now."""
        mandatory = {i.key for i in checklist(self.rules, filing, beijing_date(submitted)) if i.mandatory}
        late = [entry for entry in late if entry[0] in mandatory]
        if not late or any(not provided for _, provided, _ in late):
            return None  # complete at submission, or incomplete: either way Art. 25 counts from submission
        return max(beijing_date(at) for _, _, at in late if at is not None)

    def _entries(self, session: Session, ids: Sequence[int] | None) -> list[Entry]:
        """Filings with at least one running deadline, each with those deadlines (views are built later)."""
        inputs = q.deadline_inputs(session, self.rules, ids)
        self.stored_problems = []
        today = self.today()
        memo: dict[tuple[Any, ...], tuple[Deadline, ...]] = {}  # many filings share the same dates
        out: list[Entry] = []
        carried = self._resumed(session, [r.id for r in inputs.rows if r.id in inputs.submitted])
        for plain in inputs.rows:
            fid = plain.id
            submission = inputs.submitted.get(fid)
            submitted = beijing_date(submission) if submission else None
            late = inputs.late_materials.get(fid)
            complete = self._materials_complete(plain, submission, late) if submission and late else None
            dates = {"launch_date": plain.launch_date, "change_date": plain.change_date}
            dates["termination_date"] = plain.termination_date
            for trigger, value in dates.items():
                if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
                    # written before dates were checked at input: report it, count nothing from it
                    name = trigger.removesuffix("_date")
                    self.stored_problems.append(
                        f"{plain.ref}: the stored {name} date {value.isoformat()} is outside {DATE_WINDOW} and is "
                        f"ignored; correct it with `beian dates {plain.ref} --{name} YYYY-MM-DD` or `--clear {name}`"
                    )
                    dates[trigger] = None
            if submitted is not None and not EARLIEST_DAY <= submitted <= LATEST_DAY:
                self.stored_problems.append(
                    f"{plain.ref}: the stored submission day {submitted.isoformat()} is outside {DATE_WINDOW} "
                    "and is ignored"
                )
                submitted = complete = None
            for trigger, event in q.DISCHARGED_BY.items():
                done = inputs.discharged.get((fid, event))
                if dates[trigger] is not None and done is not None and beijing_date(done) >= dates[trigger]:
                    dates[trigger] = None
            public = bool(plain.public_opinion)
            used = carried.get(fid, 0)
            key = (plain.kind, plain.stage, *dates.values(), complete, submitted, public, used)
            found = memo.get(key)
            if found is None:
                found = memo[key] = tuple(
                    running_deadlines(
                        self.rules,
                        self.calendar,
                        kind=Kind(plain.kind),
                        stage=Stage(plain.stage),
                        materials_complete_date=complete,
                        submitted=submitted,
                        today=today,
                        public_opinion=public,
                        regulator_days_used=used,
                        **dates,
                    )
                )
            if found:
                out.append((fid, plain.ref, found))
        return out

    def deadlines(self, ref: str | int) -> list[DeadlineView]:
        """The statutory periods running for one filing, in rules order.

        Raises `NotFound`, `RulesError`, `StorageError`.
        """
        with self.store.unit() as session:
            row, _ = filing_repo.find_filing(session, ref)
            assert row.id is not None
            return [
                to_view(fid, fref, d) for fid, fref, found in self._entries(session, [row.id]) for d in found
            ]

    def _all(self) -> tuple[Entry, ...]:
        with self.store.unit() as session:
            key = (read_revision(session), self.today())
            cached = self._portfolio
            if cached is not None and cached[0] == key:
                return cached[1]
            entries = tuple(self._entries(session, None))
        self._portfolio = (key, entries)
        return entries

    def due(self, within: int | None = None, *, regulator: bool = True) -> list[tuple[Filing, DeadlineView]]:
        """Running deadlines across filings with at most `within` working days left (all if None), most urgent first.

        Overdue ones always qualify; `regulator=False` leaves out periods that bind the regulator (D4).

        Raises `RulesError`, `StorageError`.
        """
        chosen = [
            to_view(fid, ref, d)
            for fid, ref, found in self._all()
            for d in found
            if (within is None or d.working_days_left <= within) and (regulator or not d.regulator_sla)
        ]
        chosen.sort(key=urgency)
        wanted = list(dict.fromkeys(d.filing_id for d in chosen))
        filings: dict[int, Filing] = {}
        with self.store.unit() as session:
            for start in range(0, len(wanted), _CHUNK):
                query = FilingQuery(ids=tuple(wanted[start : start + _CHUNK]))
                filings.update(
                    (f.id, f)
                    for f in map(filing_repo.filing_from_plain, filing_repo.list_rows(session, query))
                )
        return [(filings[d.filing_id], d) for d in chosen if d.filing_id in filings]

    def overdue_filing_ids(self, *, regulator: bool = True) -> set[int]:
        """Filings with at least one overdue running deadline (the regulator's D4 too unless regulator=False).

        Raises `RulesError`, `StorageError`.
        """
        return {
            fid
            for fid, _, found in self._all()
            if any(d.overdue and (regulator or not d.regulator_sla) for d in found)
        }

    def notify_overdue(self) -> int:
        """Queue SMS for the filer's overdue deadlines (not the regulator's D4): once per deadline and phone.

        Only recipients who subscribed to `overdue` get them; returns the messages queued.

        Raises `RulesError`, `StorageError`.
        """
        from tracker.notify.outbox import enqueue_overdue

        overdue = [
            (fid, d) for fid, _, found in self._all() for d in found if d.overdue and not d.regulator_sla
        ]
        if not overdue:
            return 0
        queued = 0
        with self.store.unit() as session:
            for fid, deadline in overdue:
                row, organisation = filing_repo.find_filing(session, fid)
                queued += enqueue_overdue(
                    session,
                    filing=row,
                    organisation_name=organisation,
                    deadline=deadline.id,
                    due=deadline.due_date,
                    now=self.clock(),
                    label=deadline.label,
                    language_default=self.settings.sms_language,
                )
            if queued:
                bump_revision(session)
        return queued

    def due_soon_filing_ids(self, *, regulator: bool = True) -> set[int]:
        """Filings with a running deadline due within the rules' `due_soon_days` working days (not yet overdue).

        Raises `RulesError`, `StorageError`.
        """
        return {
            fid
            for fid, _, found in self._all()
            if any(d.due_soon and (regulator or not d.regulator_sla) for d in found)
        }

    def portfolio_deadlines(self) -> dict[int, DeadlineView]:
        """The most urgent running deadline of every filing that has one, by filing id (cached per revision and day).

        "Most urgent" is `urgency`: fewest working days left (overdue first), the filer's duty before the
        regulator's. Raises `RulesError`, `StorageError`.
        """
        entries = self._all()
        if self._next is None or self._next[0] is not entries:
            views = {
                fid: min((to_view(fid, ref, d) for d in found), key=urgency) for fid, ref, found in entries
            }
            self._next = (entries, views)
        return self._next[1]

    def next_deadlines(self, filing_ids: Sequence[int]) -> dict[int, DeadlineView]:
        """The most urgent running deadline of each of these filings (those without one are left out).

        Raises `RulesError`, `StorageError`.
        """
        wanted = list(dict.fromkeys(filing_ids))
        out: dict[int, DeadlineView] = {}
        with self.store.unit() as session:
            for start in range(0, len(wanted), _CHUNK):
                for fid, ref, found in self._entries(session, wanted[start : start + _CHUNK]):
                    out[fid] = min((to_view(fid, ref, d) for d in found), key=urgency)
        return out

    # -- forecasts -------------------------------------------------------------------------------
