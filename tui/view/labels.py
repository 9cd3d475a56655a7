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


KEY_LABELS: dict[str, tuple[str, str]] = {
    "help": ("帮助", "Help"),
    "cycle_language": ("中/En", "中/En"),
    "change_theme": ("主题", "Theme"),
    "quit": ("退出", "Quit"),
    "command_palette": ("命令面板：搜索所有操作", "Command palette: search every action"),
    "focus_filter": ("筛选", "Filter"),
    "clear_filters": ("清除筛选", "Clear filter"),
    "open": ("打开", "Open"),
    "advance": ("记录事件", "Advance"),
    "edit": ("编辑", "Edit"),
    "new_filing": ("新增备案", "New filing"),
    "new_organisation": ("新增单位", "New org"),
    "cycle_sort": ("排序", "Sort"),
    "reverse_sort": ("反向排序", "Reverse sort"),
    "reload": ("重新加载", "Reload"),
    "toggle_stages": ("阶段栏", "Stages"),
    "stage_times": ("各阶段用时", "Time per stage"),
    "copy_ref": ("复制编号", "Copy ref"),
    "copy_number": ("复制备案号", "Copy number"),
    "cancel": ("取消", "Cancel"),
    "submit": ("保存", "Save"),
    "apply": ("确认", "Apply"),
    "close": ("关闭", "Close"),
    "dismiss": ("关闭", "Close"),
    "toggle_item": ("切换", "Toggle"),
    "back": ("返回", "Back"),
    "materials": ("材料清单", "Materials"),
    "retry_sms": ("重发短信", "Retry SMS"),
    "keep": ("继续编辑", "Keep editing"),
    "discard": ("放弃修改", "Discard"),
}
"""Footer, help and palette wording of every action, by action name (action arguments ignored)."""


def key_label(action: str, lang: Lang, default: str = "") -> str:
    """What a key does, in the display language ("中/En" style labels are the same in every language).

    In both languages the footer is short, so it shows the Chinese then the English word only when they
    differ and fit; unknown actions keep `default`.
    """
    found = KEY_LABELS.get(action.split("(", 1)[0])
    if found is None:
        return default
    zh, en = found
    return zh if zh == en else pick(lang, zh, en)


DUE_SOON_DAYS = 5
"""Working days ahead the "due soon" quick filter looks (the built-in view `due-soon` uses the same)."""

QUICK_FILTERS: dict[str, tuple[str, str]] = {
    "overdue": ("已逾期", "Overdue"),
    "due-soon": (f"{DUE_SOON_DAYS}个工作日内到期", f"Due ≤ {DUE_SOON_DAYS} working days"),
    "waiting-regulator": ("等待监管", "Waiting on regulator"),
    "waiting-us": ("等待我方", "Waiting on us"),
}
"""The funnel's and the palette's deadline and whose-move filters, by name (the names of the built-in views)."""
