"""A filing's history as a timeline: each event, how long the filing had waited, returns highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

from states import Event, Lang
from tracker.domain import Filing, Transition
from tracker.timeutil import show as show_time
from tui.view.labels import RETURN_STYLE, event_label, pick, stage_text
from tui.widgets.panels.base import DetailPanel


def days_between(start: datetime | None, end: datetime) -> str:
    """Whole days from `start` to `end`, or blank when unknown or backdated before `start`."""
    if start is None or end < start:
        return ""
    return str((end - start).days)


class TimelinePanel(DetailPanel):
    """From → to, when, who, note, and the days spent in the stage each event ended."""

    TITLE_ZH, TITLE_EN = "历史", "History"

    def show(self, filing: Filing, history: Sequence[Transition], lang: Lang, now: datetime) -> None:
        """Render the history, oldest first, with a closing line for the stage the filing is in now."""
        self.set_language(lang)
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column(pick(lang, "生效时间", "Effective"), no_wrap=True, min_width=16)
        table.add_column(pick(lang, "事件", "Event"), ratio=2, overflow="fold")
        table.add_column(pick(lang, "阶段变化", "From → to"), ratio=3, overflow="fold")
        table.add_column(pick(lang, "天数", "Days"), justify="right", no_wrap=True, min_width=4)
        table.add_column(pick(lang, "操作人", "Who"), no_wrap=True, max_width=14, overflow="ellipsis")
        table.add_column(pick(lang, "备注", "Note / reason"), ratio=3, min_width=12, overflow="fold")
        previous: datetime | None = filing.created_at
        for t in history:
            returned = t.event is Event.RETURN_FOR_REVISION
            move = (
                stage_text(t.from_stage, lang, filing.kind)
                + Text(" → ")
                + stage_text(t.to_stage, lang, filing.kind)
            )
            notes = " | ".join(x for x in (t.reason, t.note, t.filing_number) if x)
            event = Text(("↩ " if returned else "") + event_label(t.event, lang, filing.kind))
            table.add_row(
                show_time(t.effective_at),
                event,
                move,
                days_between(previous, t.effective_at),
                t.actor or "(not recorded)",
                Text(notes, style=RETURN_STYLE if returned else ""),
                style="on #3a2a00" if returned else None,
            )
            previous = t.effective_at
        current = stage_text(filing.stage, lang, filing.kind)
        table.add_row(
            Text(pick(lang, "现在", "now"), style="dim"),
            "",
            current,
            days_between(filing.stage_entered_at, now),
            "",
            Text(pick(lang, "当前阶段", "current stage"), style="dim"),
        )
        if not history:
            table.add_row("", Text(pick(lang, "还没有事件", "No events yet."), style="dim"), "", "", "", "")
        self.update(table)
