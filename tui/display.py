"""How filings look on screen: bilingual labels, a colour per stage, and the table's columns.

Pure functions over domain values (no widgets), so the table, the funnel, the detail view and the
modals all show a stage the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

import states
from states import Event, Kind, Lang, Stage
from tracker.domain import Filing, SortKey

_REVIEW = Style(color="#5fafff")
_LIVE_REVIEW = Style(color="#5fd7d7")
STAGE_STYLES: dict[Stage, Style] = {
    Stage.DRAFT: Style(color="#d0d0d0"),
    **dict.fromkeys(
        (
            Stage.INITIAL_REVIEW,
            Stage.SECOND_REVIEW,
            Stage.OFFLINE_CHECK,
            Stage.FINAL_REVIEW,
            Stage.UNDER_REVIEW,
            Stage.PROVINCIAL_REVIEW,
            Stage.NATIONAL_REVIEW,
        ),
        _REVIEW,
    ),
    Stage.CHANGE_REVIEW: _LIVE_REVIEW,
    Stage.CANCELLATION_REVIEW: _LIVE_REVIEW,
    Stage.RETURNED: Style(color="#ffaf00", bold=True),
    Stage.APPROVED: Style(color="#5fd75f", bold=True),
    Stage.REJECTED: Style(color="#ff5f5f"),
    Stage.REVOKED: Style(color="#ff5f5f"),
    Stage.WITHDRAWN: Style(color="#808080", dim=True),
    Stage.CANCELLED: Style(color="#808080", dim=True),
}
"""Review stages blue (cyan once the filing is live), returned amber, approved green, rejected/revoked red,
withdrawn/cancelled dim."""

RETURN_STYLE = Style(color="#ffaf00", bold=True)
"""Highlight for returns (退回) wherever they appear."""

LANGUAGES: tuple[Lang, ...] = ("both", "zh", "en")
LANGUAGE_NAMES: dict[Lang, str] = {"both": "中文 + English", "zh": "中文", "en": "English"}


def stage_style(stage: Stage) -> Style:
    """The colour of a stage."""
    return STAGE_STYLES.get(stage, Style())


def stage_label(stage: Stage, lang: Lang, kind: Kind | None = None) -> str:
    """ "资质初审 initial review", "资质初审" or "initial review"."""
    english = stage.value.replace("_", " ")
    if lang == "en":
        return english
    chinese = states.zh(stage, kind)
    return chinese if lang == "zh" else f"{chinese} {english}"


def stage_text(stage: Stage, lang: Lang, kind: Kind | None = None) -> Text:
    """A stage label in its colour."""
    return Text(stage_label(stage, lang, kind), style=stage_style(stage))


def event_label(event: Event, lang: Lang, kind: Kind | None = None) -> str:
    """An event's label in the display language."""
    return states.label(event, lang, kind)


_SHORT_KIND = {
    Kind.ALGORITHM: ("算法", "algorithm"),
    Kind.ENTITY: ("主体", "entity"),
    Kind.GENAI_FILING: ("大模型备案", "genai filing"),
    Kind.GENAI_REGISTRATION: ("大模型登记", "genai reg."),
}


def kind_label(kind: Kind, lang: Lang, *, short: bool = False) -> str:
    """A kind's label: the Chinese name unless English only; `short` for the table."""
    if short:
        zh, en = _SHORT_KIND[kind]
        return en if lang == "en" else zh
    return kind.value.replace("_", " ") if lang == "en" else states.zh(kind)


def pick(lang: Lang, zh: str, en: str) -> str:
    """Choose UI wording for the display language ("中文 English" for both)."""
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} {en}"


def fit(text: str, width: int, right: bool = False) -> str:
    """Exactly `width` cells (CJK characters take two), cut with an ellipsis when too long."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    return set_cell_size(text, width) if not right else " " * (width - cell_len(text)) + text


def days_in_stage(filing: Filing, now: datetime) -> int:
    """Whole days since the filing entered its stage (never negative)."""
    return max(0, (now - filing.stage_entered_at).days)


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
