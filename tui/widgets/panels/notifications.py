"""The detail panel of SMS sent (or queued) about one filing, phone numbers masked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from states import Lang
from tracker.domain import Notification
from tracker.timeutil import show as show_time
from tui.view.cells import OVERDUE_STYLE, SOON_STYLE
from tui.view.labels import mask, pick
from tui.widgets.panels.base import ExtensionPanel


class NotificationsPanel(ExtensionPanel):
    """SMS sent (or queued) about this filing, newest first."""

    TITLE_ZH, TITLE_EN = "短信通知", "Notifications"

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
