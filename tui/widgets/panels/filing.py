"""The detail screen's fixed panels: every field of the filing, and the events leaving its stage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

import states
from states import Lang, Outcome
from tracker.domain import Filing
from tracker.timeutil import show as show_time
from tui.view.labels import days_in_stage, event_label, kind_label, pick, stage_text
from tui.widgets.panels.base import DetailPanel


class FieldsPanel(DetailPanel):
    """Every field of one filing."""

    TITLE_ZH, TITLE_EN = "备案信息", "Filing"

    def show(self, filing: Filing, lang: Lang, now: datetime) -> None:
        """Fill in the fields."""
        self.set_language(lang)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()

        def row(zh: str, en: str, value: str | Text | None) -> None:
            if value:
                grid.add_row(pick(lang, zh, en), value)

        stage = stage_text(filing.stage, lang, filing.kind)
        stage.append(f"  · {days_in_stage(filing, now)} {pick(lang, '天', 'days')}", style="dim")
        row("编号", "Ref", filing.ref)
        row("名称", "Title", filing.title)
        row("单位", "Organisation", filing.organisation)
        row("类型", "Kind", kind_label(filing.kind, lang))
        row("阶段", "Stage", stage)
        if filing.returned_from:
            row("退回自", "Returned from", stage_text(filing.returned_from, lang, filing.kind))
        row(
            "退回次数", "Returns", Text(str(filing.returns), style="bold #ffaf00") if filing.returns else None
        )
        row("备案号", "Filing number", filing.filing_number)
        row("角色", "Role", states.label(filing.role, lang) if filing.role else None)
        row(
            "算法类型",
            "Algorithm type",
            states.label(filing.algorithm_type, lang) if filing.algorithm_type else None,
        )
        row("上游模型", "Upstream model", filing.upstream_model)
        row("上游备案号", "Upstream number", filing.upstream_filing_number)
        row(
            "舆论属性",
            "Public opinion",
            pick(lang, "是", "yes") if filing.public_opinion else pick(lang, "否", "no"),
        )
        row("上线日期", "Launch date", filing.launch_date.isoformat() if filing.launch_date else None)
        row("变更日期", "Change date", filing.change_date.isoformat() if filing.change_date else None)
        row(
            "终止日期",
            "Termination",
            filing.termination_date.isoformat() if filing.termination_date else None,
        )
        row("说明", "Description", filing.description)
        row("创建", "Created", show_time(filing.created_at))
        row("更新", "Updated", f"{show_time(filing.updated_at)}  (v{filing.version})")
        self.update(grid)


class EventsPanel(DetailPanel):
    """The events leaving the current stage: allowed ones, and refused ones with their reasons."""

    TITLE_ZH, TITLE_EN = "可用操作", "Events"

    def show(self, filing: Filing, outcomes: Sequence[Outcome], lang: Lang) -> None:
        """List the outcomes."""
        self.set_language(lang)
        text = Text()
        if not outcomes:
            text.append(pick(lang, "最终阶段，没有可用操作", "Final stage: no events."), style="dim")
        for outcome in outcomes:
            if text:
                text.append("\n")
            name = event_label(outcome.event, lang, filing.kind)
            if outcome.allowed:
                text.append("✓ ", style="bold #5fd75f")
                text.append(name, style="bold")
                if outcome.dest is not None:
                    text.append(" → ")
                    text.append_text(stage_text(outcome.dest, lang, filing.kind))
            else:
                text.append("✗ ", style="bold #ff5f5f")
                text.append(name, style="dim")
                text.append("\n    " + "; ".join(outcome.refusals), style="#ff8787")
        text.append("\n\n" + pick(lang, "按 a 记录事件", "Press a to record an event."), style="dim")
        self.update(text)
