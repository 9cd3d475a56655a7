"""The reading half of `FilingService`: listing, counting, ordering by deadline, and "changed since you last looked".

Mixins of `tracker.filings.service.FilingService`, kept apart so each module stays small; they use its
store, clock, rules service and person, and raise what its docstrings say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from states import Stage
from tracker.domain import Filing, FilingQuery, inputs
from tracker.domain.changes import Change
from tracker.errors import NotFound
from tracker.filings import repo, repo_seen
from tracker.store.base import StoreService

if TYPE_CHECKING:
    from tracker.rules.service import RulesService


def _require_organisation(session: Any, query: FilingQuery | None) -> None:
    """`list --org X` with no organisation X is a `NotFound`, like every other unknown organisation."""
    if (
        query is not None
        and query.organisation
        and not repo.organisation_filter_matches(session, query.organisation)
    ):
        raise NotFound(
            f"no organisation {inputs.echo(query.organisation)}",
            hint="`beian org list` shows them; part of a name is enough",
        )


class ListingMixin(StoreService):
    """Filings matching a query: windows, counts and positions, all in SQL (deadlines from `filing.next_due`)."""

    @property
    def rules(self) -> RulesService:
        """The rules service (provided by `FilingService`)."""
        raise NotImplementedError

    def _due_before(self, query: FilingQuery) -> date | None:
        """For a deadline query, bring the stored next due dates up to date and return the bound its deadline
        filters put on them (`RulesService.due_before`); None for other queries."""
        if not query.by_deadline:
            return None
        self.rules.refresh_next_due()
        return self.rules.due_before(overdue=query.overdue, due_within=query.due_within)

    def filings(self, query: FilingQuery | None = None) -> list[Filing]:
        """Filings matching the query, sorted and windowed.

        Raises `NotFound` (`query.organisation` names no organisation), `UsageError`, `StorageError` (and
        `RulesError` when the query filters or sorts by deadline and the rules files are broken).
        """
        query = query or FilingQuery()
        with self.store.unit() as session:
            _require_organisation(session, query)
        due_before = self._due_before(query)
        with self.store.unit() as session:
            return [repo.filing_from_plain(r) for r in repo.list_rows(session, query, due_before)]

    def filing_rows(self, query: FilingQuery | None = None) -> list[Any]:
        """Like `filings` but as plain mappings (filing columns plus `organisation_name`), for bulk export.

        Raises what `filings` raises.
        """
        query = query or FilingQuery()
        due_before = self._due_before(query)
        with self.store.unit() as session:
            return repo.list_mappings(session, query, due_before)

    def export_json(self, query: FilingQuery | None = None) -> Iterator[list[bytes]]:
        """Matching filings as UTF-8 JSON objects (the `beian list --json` shape), in batches of 1,000.

        On SQLite the database renders them (`repo.list_json`), several times faster over 100,000 filings;
        elsewhere `tracker.domain.json.filing_json` does, with the same keys, order and values. Raises what
        `filings` raises.
        """
        query = query or FilingQuery()
        with self.store.unit() as session:
            _require_organisation(session, query)
        due_before = self._due_before(query)
        with self.store.unit() as session:
            batches = repo.list_json(session, query, due_before)
            if batches is not None:
                for batch in batches:
                    yield list(batch)
                return
        import json

        from tracker.domain.json import filing_json

        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        rows = self.filing_rows(query)
        for start in range(0, len(rows), 1000):
            yield [encode(filing_json(row)).encode() for row in rows[start : start + 1000]]

    def count(self, query: FilingQuery | None = None) -> int:
        """How many filings match the query (ignoring its window). Raises what `filings` raises."""
        query = query or FilingQuery()
        due_before = self._due_before(query)
        with self.store.unit() as session:
            return repo.count_rows(session, query, due_before)

    def stage_counts(self, query: FilingQuery | None = None) -> dict[Stage, int]:
        """Filings per stage under the query's other filters. Raises what `filings` raises."""
        query = query or FilingQuery()
        due_before = self._due_before(query)
        with self.store.unit() as session:
            return repo.stage_counts(session, query, due_before)

    def position(self, query: FilingQuery, filing_id: int) -> int | None:
        """Where a filing stands in the query's result (0-based, ignoring the window); None when it does not
        match. Raises what `filings` raises."""
        due_before = self._due_before(query)
        with self.store.unit() as session:
            return repo.position(session, replace(query, offset=0, limit=None), filing_id, due_before)

    def longest_ref(self) -> int:
        """Characters in the longest reference, e.g. 8 for `ALG-0001` (0 with no filings). Raises `StorageError`."""
        with self.store.unit() as session:
            return repo.longest_ref(session)


class SeenMixin(StoreService):
    """What each person has seen of each filing, and what moved since."""

    @property
    def person(self) -> str:
        """Who is acting (provided by `FilingService`)."""
        raise NotImplementedError

    @property
    def rules(self) -> RulesService:
        """The rules service (provided by `FilingService`)."""
        raise NotImplementedError

    def changes_since_seen(
        self, person: str | None = None, ids: Sequence[int] | None = None
    ) -> dict[int, Change]:
        """What moved since `person` (default `person`) last looked, by filing id; filings with no news are left
        out. News: stage changes, return reasons and filing numbers recorded by someone else, edits by someone
        else, a new filing someone else created, and a deadline that became due soon or overdue (see
        `tracker.filings.seen`). Bulk: a few queries whatever the number of filings.

        Raises `RulesError`, `StorageError`.
        """
        from tracker.filings.seen import changes, deadline_states

        who = (person or "").strip() or self.person
        deadlines = deadline_states(self.rules, ids)
        with self.store.unit() as session:
            return changes(session, who, deadlines, ids)

    def mark_seen(self, ref: str | int | None = None, person: str | None = None) -> int:
        """Record that `person` (default `person`) has seen one filing as it is now, or every filing (`ref` None):
        its news is cleared until someone else changes it or a deadline becomes due soon or overdue.

        Returns how many filings were marked. Raises `NotFound`, `RulesError`, `StorageError`.
        """
        from tracker.filings.seen import deadline_states

        who = (person or "").strip() or self.person
        deadlines = deadline_states(self.rules)
        with self.store.unit() as session:
            ids = None if ref is None else [repo.load_filing(session, ref)["id"]]
            return repo_seen.mark_seen(session, who, ids, deadlines, self.clock())
