"""The filings table's columns: titles in the display language, sort keys, and widths that fit the terminal."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from states import Kind, Lang, Stage
from tracker.domain import SortKey
from tui.view.labels import kind_label, pick, stage_label


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the filings table."""

    key: str
    zh: str
    en: str
    width: int
    """Preferred width in cells (0: as wide as the longest label)."""
    sort: SortKey | None = None
    min_width: int = 0
    """How narrow the column may get when the terminal is narrow (0: never shrinks)."""
    shrink: int = 0
    """Order in which columns give up room (1 first)."""
    right: bool = False
    invert: bool = False
    """Sorting ascending by this column means sorting the field descending (days since a time)."""
    keep: int = 0
    """Rank when the terminal is too narrow for every column: the lowest goes first; ref, stage and deadline
    are the last to go."""

    def title(self, lang: Lang, width: int | None = None) -> str:
        """The header text; in both languages, just the Chinese when both do not fit `width`."""
        both = pick(lang, self.zh, self.en)
        if lang == "both" and width is not None and cell_len(both) + 2 > width:
            return self.zh
        return both


COLUMNS: tuple[Column, ...] = (
    Column("ref", "编号", "Ref", 8, "ref", keep=9),
    Column("deadline", "期限", "Due", 6, "deadline", right=True, keep=7),
    Column("stage", "阶段", "Stage", 0, "stage", min_width=8, shrink=2, keep=8),
    Column("organisation", "单位", "Organisation", 26, "organisation", min_width=12, shrink=3, keep=4),
    Column("title", "名称", "Title", 34, "title", min_width=14, shrink=3, keep=6),
    Column("kind", "类型", "Kind", 0, "kind", keep=1),
    Column("days", "天数", "Days", 6, "stage_entered_at", right=True, invert=True, keep=3),
    Column("returns", "退回", "Ret", 6, "returns", right=True, keep=2),
    Column("filing_number", "备案号", "Filing number", 35, "filing_number", min_width=12, shrink=1, keep=5),
)
"""Every column, left to right: the most actionable (reference, deadline, stage) first."""

SORTABLE = tuple(c for c in COLUMNS if c.sort is not None)


def column_for_sort(sort: SortKey) -> Column:
    """The column showing a sort key."""
    return next(c for c in SORTABLE if c.sort == sort)


def fit_columns(lang: Lang, available: int, ref_width: int = 8) -> list[tuple[Column, int]]:
    """The columns that fit `available` cells and their widths: the lowest-ranked (`keep`) columns are left out
    until the others fit at their narrowest, then shrinkable columns give up room in order."""
    columns = list(COLUMNS)
    while len(columns) > 1 and sum(_narrowest(c, lang, ref_width) + 1 for c in columns) > available:
        columns.remove(min(columns, key=lambda c: c.keep))
    chosen = tuple(columns)
    return list(zip(chosen, column_widths(chosen, lang, available, ref_width), strict=True))


def _narrowest(column: Column, lang: Lang, ref_width: int) -> int:
    return column.min_width or _preferred(column, lang, ref_width)


def column_widths(columns: tuple[Column, ...], lang: Lang, available: int, ref_width: int = 8) -> list[int]:
    """Widths that fit `available` cells when possible: shrinkable columns give up room in order."""
    widths = [_preferred(c, lang, ref_width) for c in columns]
    excess = sum(widths) + len(columns) - available
    for rank in sorted({c.shrink for c in columns if c.min_width}):
        group = [i for i, c in enumerate(columns) if c.min_width and c.shrink == rank]
        # columns of one rank shrink together, the widest first, one cell at a time
        while excess > 0:
            room = [i for i in group if widths[i] > columns[i].min_width]
            if not room:
                break
            widest = max(room, key=lambda i: widths[i] - columns[i].min_width)
            widths[widest] -= 1
            excess -= 1
    if excess < 0:  # room to spare: titles and organisations get it
        grow = [i for i, c in enumerate(columns) if c.key in ("title", "organisation")]
        for n, i in enumerate(grow):
            widths[i] += -excess // len(grow) + (1 if n < -excess % len(grow) else 0)
    return widths


def _preferred(column: Column, lang: Lang, ref_width: int = 8) -> int:
    if column.key == "stage":
        return max(cell_len(stage_label(s, lang)) for s in Stage)
    if column.key == "kind":
        return max(cell_len(kind_label(k, lang, short=True)) for k in Kind)
    if column.key == "ref":
        return max(ref_width, cell_len(column.title(lang, 0)) + 2)
    return max(column.width, cell_len(column.title(lang, 0)) + 2)
