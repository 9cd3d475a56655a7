"""Detail panels fed by the rules and notification layers: deadlines, materials checklist, SMS sent.

Each reads through the service (`service.rules`, `service.notify`) in the detail screen's worker; when a
layer is not installed its panel stays hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from states import Lang
from tracker.domain import DeadlineView, Filing, Forecast, MaterialStatus, Notification
from tracker.filings.service import FilingService
from tracker.timeutil import show as show_time
from tui.deadlines import OVERDUE_STYLE, SOON_STYLE
from tui.display import RETURN_STYLE, pick, stage_label
from tui.widgets.panels import ExtensionPanel, register_panel


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The running statutory periods and the review forecast of one filing."""

    running: tuple[DeadlineView, ...]
    forecast: Forecast | None


@register_panel
class DeadlinesPanel(ExtensionPanel):
    """Statutory deadlines in working days, and when review is expected to end."""

    TITLE_ZH, TITLE_EN = "期限与预测", "Deadlines & forecast"
    SLOT = "side"

    @classmethod
    def fetch(cls, service: FilingService, filing: Filing) -> Deadlines | None:
        """Running deadlines and the forecast (thread)."""
        try:
            rules = service.rules
        except ImportError:
            return None
        return Deadlines(tuple(rules.deadlines(filing.id)), rules.forecast(filing.id))

    def show_data(self, data: Any, lang: Lang) -> None:
        """One line per deadline, then the forecast."""
        self.set_language(lang)
        text = Text()
        for d in data.running:
            name = pick(lang, d.zh, d.en)
            who = pick(lang, "（监管时限）", " (regulator)") if d.regulator_sla else ""
            if d.overdue:
                status = Text(
                    pick(
                        lang,
                        f"已逾期 {-d.working_days_left} 个工作日",
                        f"overdue by {-d.working_days_left} wd",
                    ),
                    OVERDUE_STYLE,
                )
            else:
                left = pick(lang, f"剩 {d.working_days_left} 个工作日", f"{d.working_days_left} wd left")
                status = Text(left, SOON_STYLE if d.due_soon else "")
            text.append(
                f"{name}{who}\n  {pick(lang, '截止', 'due')} {d.due_date.isoformat()} · "
            ).append_text(status)
            text.append("\n")
        if not data.running:
            text.append(pick(lang, "没有进行中的期限", "No deadline is running."), "dim")
            text.append("\n")
        forecast = data.forecast
        if forecast is not None and forecast.median_date is not None and forecast.target is not None:
            target = stage_label(forecast.target, lang)
            text.append(f"\n{pick(lang, '预计', 'Expected')} → {target}: ", "bold")
            text.append(f"{forecast.median_date.isoformat()}")
            if forecast.p80_date is not None:
                text.append(f" (80%: {forecast.p80_date.isoformat()})", "dim")
            text.append(f"\n{forecast.basis}", "dim")
        self.update(text)


@register_panel
class MaterialsPanel(ExtensionPanel):
    """The materials checklist: what is provided, what is missing, what a return reopened."""

    TITLE_ZH, TITLE_EN = "材料清单", "Materials"

    @classmethod
    def fetch(cls, service: FilingService, filing: Filing) -> tuple[MaterialStatus, ...] | None:
        """The checklist (thread)."""
        try:
            return tuple(service.rules.materials(filing.id))
        except ImportError:
            return None

    def show_data(self, data: Any, lang: Lang) -> None:
        """One line per item, mandatory ones marked."""
        items: Sequence[MaterialStatus] = data
        self.set_language(lang)
        done = sum(1 for m in items if m.provided)
        self.border_subtitle = f"{done}/{len(items)}"
        text = Text()
        for m in items:
            if text:
                text.append("\n")
            text.append(
                "✓ " if m.provided else "✗ ",
                "bold #5fd75f" if m.provided else ("bold #ff5f5f" if m.mandatory else "dim"),
            )
            short = pick(lang, m.zh.split("（")[0], m.en.split(" (")[0])  # the name, not its explanation
            text.append(short, "" if m.provided or m.mandatory else "dim")
            if m.reopened:
                text.append(f"  ↩{m.reopened}", RETURN_STYLE)
        if not items:
            text.append(pick(lang, "此类备案没有材料清单", "No checklist for this kind of filing."), "dim")
        self.update(text)


@register_panel
class NotificationsPanel(ExtensionPanel):
    """SMS sent (or queued) about this filing, newest first."""

    TITLE_ZH, TITLE_EN = "短信通知", "Notifications"

    @classmethod
    def fetch(cls, service: FilingService, filing: Filing) -> tuple[Notification, ...] | None:
        """The filing's outbox rows (thread)."""
        try:
            return tuple(service.notify.notifications(filing.id, limit=20))
        except ImportError:
            return None

    def show_data(self, data: Any, lang: Lang) -> None:
        """When, to whom (masked), status and any error."""
        rows: Sequence[Notification] = data
        self.set_language(lang)
        if not rows:
            self.update(Text(pick(lang, "没有短信", "No SMS for this filing."), "dim"))
            return
        table = Table(box=None, padding=(0, 1), show_header=False, expand=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for n in rows:
            detail = n.error_message or n.delivery_status or n.event
            status = Text(n.status, STATUS_STYLES.get(n.status, Style()))
            table.add_row(show_time(n.sent_at or n.created_at), mask(n.phone), status, detail)
        self.update(Group(table))


STATUS_STYLES = {"sent": Style(color="#5fd75f"), "failed": OVERDUE_STYLE, "pending": SOON_STYLE}


def mask(phone: str) -> str:
    """A phone number with its middle hidden: enough to recognise, not to dial."""
    return phone if len(phone) < 8 else f"{phone[:-8]}****{phone[-4:]}"
