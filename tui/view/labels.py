"""How filings are named on screen: bilingual labels, a colour per stage, text cut to a terminal width.

Pure functions over domain values (no widgets), so the table, the funnel, the detail view and the
modals all show a stage the same way.
"""

from __future__ import annotations

from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

import states
from states import Event, Kind, Lang, Stage
from tracker.domain import Filing
from tracker.domain.safe import visible

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
    """Exactly `width` cells (CJK characters take two), cut with an ellipsis when too long; control characters
    shown as visible escapes (`tracker.domain.safe.visible`), so stored text never drives the terminal."""
    text = visible(text)
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    return set_cell_size(text, width) if not right else " " * (width - cell_len(text)) + text


def days_in_stage(filing: Filing, now: datetime) -> int:
    """Whole days since the filing entered its stage (never negative)."""
    return max(0, (now - filing.stage_entered_at).days)


def mask(phone: str) -> str:
    """A phone number with its middle hidden: enough to recognise, not to dial."""
    return phone if len(phone) < 8 else f"{phone[:-8]}****{phone[-4:]}"
