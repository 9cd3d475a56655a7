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

    def title(self, lang: Lang, width: int | None = None) -> str:
        """The header text; in both languages, just the Chinese when both do not fit `width`."""
        both = pick(lang, self.zh, self.en)
        if lang == "both" and width is not None and cell_len(both) + 2 > width:
            return self.zh
        return both


COLUMNS: tuple[Column, ...] = (
    Column("ref", "编号", "Ref", 8, "ref"),
    Column("organisation", "单位", "Organisation", 26, "organisation", min_width=12, shrink=3),
    Column("title", "名称", "Title", 34, "title", min_width=16, shrink=3),
    Column("kind", "类型", "Kind", 0, "kind"),
    Column("stage", "阶段", "Stage", 0, "stage", min_width=16, shrink=2),
    Column("days", "天数", "Days", 6, "stage_entered_at", right=True, invert=True),
    Column("returns", "退回", "Ret", 6, "returns", right=True),
    Column("filing_number", "备案号", "Filing number", 35, "filing_number", min_width=14, shrink=1),
)
"""Every column but the deadline one, which appears only when a deadline source exists."""

DEADLINE_COLUMN = Column("deadline", "期限", "Due", 6, None, right=True)


def column_widths(columns: tuple[Column, ...], lang: Lang, available: int) -> list[int]:
    """Widths that fit `available` cells when possible: shrinkable columns give up room in order."""
    widths = [_preferred(c, lang) for c in columns]
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


def _preferred(column: Column, lang: Lang) -> int:
    if column.key == "stage":
        return max(cell_len(stage_label(s, lang)) for s in Stage)
    if column.key == "kind":
        return max(cell_len(kind_label(k, lang, short=True)) for k in Kind)
    return max(column.width, cell_len(column.title(lang, 0)) + 2)
