"""The stored next due date: each filing's most urgent running deadline, kept in `filing.next_due` so that the
deadline order and the deadline filters are plain SQL (an index, `ORDER BY`, `LIMIT`), not a pass of the rules
layer over the whole portfolio.

What is stored does not depend on today: a running deadline's due date follows from the filing's facts, its
history, its materials, the rules and the calendar. "Most urgent" (`_facts.urgency`: fewest working days left,
the filer's duty before the regulator's) is the earliest due date, the filer's first on the same day, because
every due date is a working day. Overdue and "due within N working days" become bounds on the stored date.

Kept current by marking, never by guessing: a writer that changes a deadline's inputs (an event, an edit, a
trigger date, a materials tick, an import) sets `next_due_stamp` to NULL in its own transaction; a stamp also
stops matching when the rules files, the calendar files, the `chinesecalendar` package or this computation
change (`deadline_stamp`). The next reader that needs the order computes the stale rows (`refresh_next_due`,
one transaction holding the write lock, so a concurrent writer's mark is never overwritten by an older value);
`beian init` computes every row. Values are the ones `beian due` and `beian dates` compute (a test compares
them on both databases).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.filings import repo_due
from tracker.rules.host import RulesHost

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.store.db import Store

__all__ = ["NextDueMixin", "deadline_stamp"]

COMPUTATION = "next-due 2"
"""Changes whenever the way a deadline is computed changes, so stored values are computed again."""
_FULL = 2000
"""From this many stale rows on, the whole portfolio is computed in one pass rather than by id lists."""


@cache
def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:
        return "none"


def deadline_stamp(rules_dir: Path | None) -> str:
    """A fingerprint (32 hex digits) of everything a stored due date depends on besides the database: the rules
    files (`rules_dir`, else the shipped ones), the calendar files, the `chinesecalendar` version, `COMPUTATION`."""
    from tracker.locations import data_dir

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{COMPUTATION}\0{_package_version()}\0".encode())
    for folder in (rules_dir if rules_dir is not None else data_dir() / "rules", data_dir() / "calendars"):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            digest.update(path.name.encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"unreadable")
            digest.update(b"\0")
    return digest.hexdigest()


class NextDueMixin(RulesHost):
    """`RulesService` methods that keep `filing.next_due` current; they use its store, settings and `_entries`."""

    store: Store
    settings: Settings

    def _entries(self, session: Any, ids: Sequence[int] | None) -> list[Any]:  # provided by RulesService
        raise NotImplementedError

    def deadline_stamp(self) -> str:
        """The fingerprint stored next due dates must carry to be current (see `deadline_stamp`)."""
        return deadline_stamp(self.settings.rules_dir)

    def refresh_next_due(self, *, everything: bool = False) -> int:
        """Compute the stored next due date of every filing whose stamp is not current (all with `everything`),
        in one transaction; returns how many filings were computed (0: all current, nothing written).

        Raises `RulesError` (broken rules or calendar files; nothing written), `StorageError`.
        """
        from tracker.rules._facts import to_view, urgency

        stamp = self.deadline_stamp()
        if not everything:
            with self.store.unit() as session:
                if not repo_due.any_stale(session.connection(), stamp):
                    return 0
        with self.store.unit() as session:
            connection = session.connection()
            if everything:
                repo_due.forget_all(connection)
            stale = repo_due.lock_stale(connection, stamp)
            if not stale:
                return 0
            found: dict[int, tuple[date, bool]] = {}
            chunks = (
                [None] if len(stale) >= _FULL else [stale[i : i + 500] for i in range(0, len(stale), 500)]
            )
            for chunk in chunks:
                for fid, ref, deadlines in self._entries(session, chunk):
                    best = min((to_view(fid, ref, d) for d in deadlines), key=urgency)
                    found[fid] = (best.due_date, best.regulator_sla)
            values = [(fid, *found[fid]) if fid in found else (fid, None, None) for fid in stale]
            repo_due.store_next_due(connection, stamp, values)
            return len(stale)

    def deadline_states(self, ids: Sequence[int] | None = None) -> dict[int, str]:
        """`overdue` or `due_soon` (within the rules' `due_soon_days` working days in force today) for every
        filing (all, or those in `ids`) whose running deadlines make it so, from the stored next due dates: the
        most urgent deadline is overdue (due soon) exactly when any is. Raises `RulesError`, `StorageError`."""
        from datetime import timedelta

        self.refresh_next_due()
        today = self.today()
        soon = int(self.rules.setting("due_soon_days", today))
        bound = (
            self.calendar.add_workdays(today, soon + 1).date
            if soon >= 0
            else self.calendar.add_workdays(today, soon).date + timedelta(days=1)
        )
        with self.store.unit() as session:
            found = repo_due.due_before_rows(session.connection(), max(bound, today), ids)
        out: dict[int, str] = {}
        for fid, due in found:
            due_day = due if isinstance(due, date) else date.fromisoformat(str(due))
            if due_day < today:
                out[fid] = "overdue"
            elif due_day < bound:
                out[fid] = "due_soon"
        return out

    def stored_date_problems(self) -> list[str]:
        """One line per stored trigger date outside `inputs.DATE_WINDOW` of a filing with a deadline rule (those
        dates count nothing), as `stored_problems` gives them after a computation. Raises `RulesError`,
        `StorageError`."""
        from tracker.domain.inputs import EARLIEST_DAY, LATEST_DAY

        with self.store.unit() as session:
            odd = repo_due.odd_trigger_dates(session.connection(), EARLIEST_DAY, LATEST_DAY)
            if odd:
                self._entries(session, odd[:500])
                return list(getattr(self, "stored_problems", []))
        return []

    def due_before(self, *, overdue: bool, due_within: int | None) -> date | None:
        """The first Beijing day a stored next due date may not reach to pass the deadline filters (None: no
        filter): today for `overdue`; for `due_within` N, the (N+1)-th working day after today, since a deadline
        with at most N working days left (`working_days_left <= N`) is due before it. Raises `RulesError`."""
        from datetime import timedelta

        today = self.today()
        bounds = []
        if overdue:
            bounds.append(today)
        if due_within is not None:
            if due_within >= 0:
                bounds.append(self.calendar.add_workdays(today, due_within + 1).date)
            else:  # overdue by at least -N working days: due on or before the N-th working day back
                bounds.append(self.calendar.add_workdays(today, due_within).date + timedelta(days=1))
        return min(bounds) if bounds else None
