"""The part of one query result held in memory: a few pages of rows and the deadlines of filings shown.

No widget code: the table asks it which row is at an index and which pages to fetch next.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from textual.cache import LRUCache

from tracker.domain import Filing
from tui.view.cells import DeadlineCell

Page = tuple[Filing, ...]

PAGE_SIZE = 100
"""Rows fetched per service call."""
PREFETCH = 1
"""Pages beyond the viewport fetched ahead, either way."""
MAX_PAGES = 64
"""Pages kept at most (6,400 rows): memory stays flat however far one scrolls."""


class ResultWindow:
    """Pages of the current result by number; a new `generation` (query or revision) drops them all."""

    def __init__(self) -> None:
        self.generation = -1
        self.total = 0
        self._pages: LRUCache[int, Page] = LRUCache(MAX_PAGES)
        self._deadlines: LRUCache[int, DeadlineCell | None] = LRUCache(MAX_PAGES * PAGE_SIZE)
        self._last_request: tuple[int, tuple[int, ...]] | None = None
        self._changed: set[int] = set()
        self._stale: set[int] = set()

    def reset(self, generation: int, total: int, pages: Mapping[int, Page]) -> None:
        """Start over with a new result."""
        self.generation, self.total = generation, total
        self._pages.clear()
        self._deadlines.clear()
        self._changed.clear()
        self._stale.clear()
        self._last_request = None
        for page, rows in pages.items():
            self._pages[page] = rows

    def add(self, generation: int, page: int, rows: Page) -> bool:
        """Keep a fetched page; False when it belongs to an older generation."""
        if generation != self.generation:
            return False
        self._pages[page] = rows
        return True

    def __len__(self) -> int:
        return len(self._pages)

    def row(self, index: int) -> Filing | None:
        """The filing at `index`, if its page is in memory."""
        if not 0 <= index < self.total:
            return None
        rows = self._pages.get(index // PAGE_SIZE)
        if rows is None or index % PAGE_SIZE >= len(rows):
            return None
        return rows[index % PAGE_SIZE]

    def index_of(self, filing_id: int) -> int | None:
        """Where a filing is in the pages in memory, if it is there."""
        for page in list(self._pages.keys()):
            for offset, filing in enumerate(self._pages.get(page) or ()):
                if filing.id == filing_id:
                    return page * PAGE_SIZE + offset
        return None

    def wanted(self, first_row: int, last_row: int) -> tuple[int, ...] | None:
        """Pages to fetch for rows `first_row..last_row` (on screen first, then ahead); None if just asked."""
        if self.total == 0:
            return None
        first, last = first_row // PAGE_SIZE, last_row // PAGE_SIZE
        ahead = [p for n in range(1, PREFETCH + 1) for p in (last + n, first - n)]
        last_page = (self.total - 1) // PAGE_SIZE
        candidates = dict.fromkeys([*range(first, last + 1), *ahead])
        pages = tuple(p for p in candidates if 0 <= p <= last_page and p not in self._pages)
        request = (self.generation, pages)
        if not pages or request == self._last_request:
            return None
        self._last_request = request
        return pages

    def forget_request(self) -> None:
        """The last fetch failed: the same pages may be asked for again."""
        self._last_request = None

    def add_deadlines(
        self, filing_ids: Iterable[int], cells: Mapping[int, DeadlineCell], changed: Collection[int] = ()
    ) -> None:
        """Remember the deadline of each filing asked about (None: no deadline running) and whether it changed
        since the person last looked."""
        for filing_id in filing_ids:
            self._deadlines[filing_id] = cells.get(filing_id)
            self._stale.discard(filing_id)
            if filing_id in changed:
                self._changed.add(filing_id)
            else:
                self._changed.discard(filing_id)

    def changed(self, filing_id: int) -> bool:
        """Whether the filing moved since the person last looked (as far as known)."""
        return filing_id in self._changed

    def deadline(self, filing_id: int) -> DeadlineCell | None:
        """A filing's deadline cell, if known."""
        return self._deadlines.get(filing_id)

    def lacks_deadline(self, filing_id: int) -> bool:
        """Whether nobody has asked for this filing's deadline yet (or since `ask_again`)."""
        return filing_id not in self._deadlines or filing_id in self._stale

    def ask_again(self) -> None:
        """Deadlines and marks known so far are to be asked for again; they stay shown until the answer."""
        self._stale = set(self._deadlines.keys())
