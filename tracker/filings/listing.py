"""The reading half of `FilingService`: listing, counting, ordering by deadline, and "changed since you last looked".

Mixins of `tracker.filings.service.FilingService`, kept apart so each module stays small; they use its
store, clock, rules service and person, and raise what its docstrings say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from states import Stage
from tracker.domain import Filing, FilingQuery, inputs
from tracker.domain.changes import Change
from tracker.errors import NotFound
from tracker.filings import repo, repo_seen
from tracker.store.base import StoreService
from tracker.store.revision import read_revision

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
    """Filings matching a query: windows, counts, positions and the deadline order."""

    _deadline_orders: dict[tuple[FilingQuery, int, object], list[tuple[int, str]]]

    @property
    def rules(self) -> RulesService:
        """The rules service (provided by `FilingService`)."""
        raise NotImplementedError

    def filings(self, query: FilingQuery | None = None) -> list[Filing]:
        """Filings matching the query, sorted and windowed.

        Raises `NotFound` (`query.organisation` names no organisation), `UsageError`, `StorageError` (and
        `RulesError` when the query filters or sorts by deadline and the rules files are broken).
        """
        query = query or FilingQuery()
        with self.store.unit() as session:
            _require_organisation(session, query)
        if query.by_deadline:
            return [repo.filing_from_mapping(m) for m in self._window_by_deadline(query)]
        with self.store.unit() as session:
            return [repo.filing_from_plain(r) for r in repo.list_rows(session, query)]

    def filing_rows(self, query: FilingQuery | None = None) -> list[Any]:
        """Like `filings` but as plain mappings (filing columns plus `organisation_name`), for bulk export.

        Raises what `filings` raises.
        """
        query = query or FilingQuery()
        if query.by_deadline:
            return self._window_by_deadline(query)
        with self.store.unit() as session:
            return repo.list_mappings(session, query)

    def export_json(self, query: FilingQuery | None = None) -> Iterator[list[bytes]]:
        """Matching filings as UTF-8 JSON objects (the `beian list --json` shape), in batches of 1,000.

        On SQLite the database renders them (`repo.list_json`), several times faster over 100,000 filings;
        elsewhere (and for deadline filters or sorts) `tracker.domain.json.filing_json` does, with the same
        keys, order and values. Raises what `filings` raises.
        """
        query = query or FilingQuery()
        with self.store.unit() as session:
            _require_organisation(session, query)
        if not query.by_deadline:
            with self.store.unit() as session:
                batches = repo.list_json(session, query)
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
        if query.by_deadline:
            return len(self._ordered_by_deadline(query))
        with self.store.unit() as session:
            return repo.count_rows(session, query)

    def stage_counts(self, query: FilingQuery | None = None) -> dict[Stage, int]:
        """Filings per stage under the query's other filters. Raises what `filings` raises."""
        query = query or FilingQuery()
        if query.by_deadline:
            counts: dict[Stage, int] = {}
            for _, stage in self._ordered_by_deadline(replace(query, stages=())):
                counts[Stage(stage)] = counts.get(Stage(stage), 0) + 1
            return counts
        with self.store.unit() as session:
            return repo.stage_counts(session, query)

    def position(self, query: FilingQuery, filing_id: int) -> int | None:
        """Where a filing stands in the query's result (0-based, ignoring the window); None when it does not
        match. Raises what `filings` raises."""
        if query.by_deadline:
            ordered = self._ordered_by_deadline(query)
        else:
            with self.store.unit() as session:
                ordered = repo.matching_ids(session, replace(query, offset=0, limit=None))
        return next((i for i, (fid, _) in enumerate(ordered) if fid == filing_id), None)

    def longest_ref(self) -> int:
        """Characters in the longest reference, e.g. 8 for `ALG-0001` (0 with no filings). Raises `StorageError`."""
        with self.store.unit() as session:
            return repo.longest_ref(session)

    def _ordered_by_deadline(self, query: FilingQuery) -> list[tuple[int, str]]:
        """(id, stage) of every match of a deadline query, in order; cached per query, revision and Beijing day.

        The database filters by everything else; the rules layer's most urgent deadline per filing
        (`RulesService.portfolio_deadlines`) filters and orders the rest (`tracker.filings.ordering`).
        """
        from tracker.filings.ordering import deadline_order

        base = replace(query, offset=0, limit=None)
        with self.store.unit() as session:
            key = (base, read_revision(session), self.rules.today())
            cached = self._deadline_orders.get(key)
            if cached is not None:
                return cached
            rows = repo.matching_ids(session, base)
        ordered = deadline_order(rows, self.rules.portfolio_deadlines(), base)
        if len(self._deadline_orders) >= 4:  # a few queries at once: the table's and the funnel's
            self._deadline_orders.pop(next(iter(self._deadline_orders)))
        self._deadline_orders[key] = ordered
        return ordered

    def _window_by_deadline(self, query: FilingQuery) -> list[Any]:
        """The query's window of a deadline query, as mappings in order."""
        ordered = self._ordered_by_deadline(query)
        end = None if query.limit is None else query.offset + query.limit
        ids = [fid for fid, _ in ordered[query.offset : end]]
        found: dict[int, Any] = {}
        with self.store.unit() as session:
            for start in range(0, len(ids), 500):
                chunk = FilingQuery(ids=tuple(ids[start : start + 500]))
                found.update((m["id"], m) for m in repo.list_mappings(session, chunk))
        return [found[fid] for fid in ids if fid in found]


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
        deadlines = deadline_states(self.rules)
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
