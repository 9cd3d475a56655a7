"""One filing: its fields, the events allowed or refused now, its history, and the extension panels.

The screen lists its extension panels explicitly (`PANELS`), each with the service call that feeds it;
one thread worker reads the filing and every panel's data, so a panel never calls the service itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header

from tracker.domain import Filing
from tracker.errors import NotFound, TrackerError
from tui.messages import ActionFailed, FilingDetailLoaded, LoadFailed, SmsQueued, SmsRetried
from tui.screens.dialogs.advance import AdvanceScreen
from tui.screens.dialogs.forms import EditFilingScreen
from tui.screens.dialogs.materials import MaterialsScreen
from tui.screens.host import UsesHost, action_failed
from tui.view.labels import mask, pick
from tui.widgets.panels import (
    Deadlines,
    DeadlinesPanel,
    EventsPanel,
    ExtensionPanel,
    FieldsPanel,
    MaterialsPanel,
    NotificationsPanel,
    PanelFailed,
    TimelinePanel,
)

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

RETRYABLE = frozenset({"failed", "unknown"})
"""Outbox statuses the retry key picks up (pending rows go out on their own)."""

PanelFetch = Callable[["FilingService", Filing], object]
"""The service call feeding one extension panel (run in the screen's thread worker)."""


def deadlines_of(service: FilingService, filing: Filing) -> Deadlines:
    """Running statutory deadlines (counted in working days) and the review forecast (Beijing dates).

    Raises `NotFound` when the filing is gone; any other `TrackerError` is shown inside the panel.
    """
    return Deadlines(tuple(service.rules.deadlines(filing.id)), service.rules.forecast(filing.id))


def materials_of(service: FilingService, filing: Filing) -> object:
    """The filing's materials checklist, in the rule set's order (a tuple of `MaterialStatus`).

    Raises `NotFound` when the filing is gone; any other `TrackerError` is shown inside the panel.
    """
    return tuple(service.rules.materials(filing.id))


def notifications_of(service: FilingService, filing: Filing) -> object:
    """The filing's latest 20 outbox rows, newest first (a tuple of `Notification`, times in UTC).

    Raises `NotFound` when the filing is gone; any other `TrackerError` is shown inside the panel.
    """
    return tuple(service.notify.notifications(filing.id, limit=20))


PANELS: tuple[tuple[type[ExtensionPanel], PanelFetch], ...] = (
    (DeadlinesPanel, deadlines_of),
    (MaterialsPanel, materials_of),
    (NotificationsPanel, notifications_of),
)
"""The extension panels, in order within their slot, each with the service call that feeds it."""


class DetailScreen(UsesHost, Screen[None]):
    """Everything about one filing; refreshed whenever the database changes."""

    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("a", "advance", "Advance"),
        Binding("e", "edit", "Edit"),
        Binding("m", "materials", "Materials"),
        Binding("t", "retry_sms", "Retry SMS"),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, filing_id: int, ref: str) -> None:
        super().__init__(classes="detail")
        self.filing_id = filing_id
        self.ref = ref
        self.detail: FilingDetailLoaded | None = None
        """The latest data shown."""

    def compose(self) -> ComposeResult:
        """Fields and events side by side, the timeline below, then extension panels."""
        yield Header()
        with VerticalScroll(id="detail"):
            with Horizontal(id="detail-top"):
                yield FieldsPanel(id="fields")
                with Vertical(id="detail-side"):
                    yield EventsPanel(id="events")
                    yield from self._extensions("side")
            yield TimelinePanel(id="timeline")
            with Horizontal(id="detail-bottom"):
                yield from self._extensions("bottom")
        yield Footer()

    @staticmethod
    def _extensions(slot: str) -> ComposeResult:
        for panel, _fetch in PANELS:
            if slot == panel.SLOT:
                extension = panel(id=f"extension-{panel.__name__.lower()}", classes="extension")
                extension.display = False
                yield extension

    def on_mount(self) -> None:
        """Load the filing and follow changes."""
        self.sub_title = self.ref
        self.host.store_changed.subscribe(self, self._store_changed)
        self.watch(self.app, "language", self._render_detail, init=False)
        self.reload()

    def reload(self) -> None:
        """Read the filing again."""
        self._load(self.filing_id)

    def _store_changed(self, revision: int) -> None:
        if self.detail is None or revision != self.detail.revision:
            self.reload()

    def _load(self, filing_id: int) -> None:
        """The filing, its history, its events and each extension panel's data, in one message."""

        def load(service: FilingService) -> FilingDetailLoaded:
            revision = service.revision()
            filing = service.filing(filing_id)
            history = tuple(service.history(filing_id))
            outcomes = tuple(service.events(filing_id))
            extras = {panel.__name__: self._fetch(service, fetch, filing) for panel, fetch in PANELS}
            service.mark_seen(filing_id)  # opening a filing clears what changed since you last looked
            return FilingDetailLoaded(revision, filing, history, outcomes, service.clock(), extras)

        def failed(error: TrackerError) -> Message:
            gone = isinstance(error, NotFound)
            return LoadFailed(f"{self.ref} no longer exists" if gone else str(error))

        self.call_service(load, group="detail", failed=failed)

    @staticmethod
    def _fetch(service: FilingService, fetch: PanelFetch, filing: Filing) -> object:
        """One panel's data; its refusal is shown in the panel, not as a failed screen."""
        try:
            return fetch(service, filing)
        except NotFound:
            raise
        except TrackerError as exc:
            return PanelFailed(str(exc))

    @on(FilingDetailLoaded)
    def _loaded(self, message: FilingDetailLoaded) -> None:
        self.detail = message
        self._render_detail()

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        self.notify(
            message.error, title="Could not load the filing 加载失败", severity="warning", markup=False
        )

    def _render_detail(self) -> None:
        detail = self.detail
        if detail is None:
            return
        lang = self.lang
        self.sub_title = f"{detail.filing.ref} · {detail.filing.title}"
        self.query_one(FieldsPanel).show(detail.filing, lang, detail.now)
        self.query_one(EventsPanel).show(detail.filing, detail.outcomes, lang)
        self.query_one(TimelinePanel).show(detail.filing, detail.history, lang, detail.now)
        for extension in self.query(ExtensionPanel):
            data = detail.extras.get(type(extension).__name__)
            extension.display = data is not None
            if isinstance(data, PanelFailed):
                extension.show_error(data.error, lang)
            elif data is not None:
                extension.show_data(data, lang)

    def action_back(self) -> None:
        """Back to the dashboard."""
        self.app.pop_screen()

    def action_reload(self) -> None:
        """Reload from the database now."""
        self.reload()

    def action_advance(self) -> None:
        """Record an event for this filing."""
        self.app.push_screen(AdvanceScreen(self.filing_id, self.ref), self._changed)

    def action_edit(self) -> None:
        """Edit this filing's descriptive fields."""
        if self.detail is not None:
            self.app.push_screen(EditFilingScreen(self.detail.filing), self._changed)

    def action_materials(self) -> None:
        """Tick or untick this filing's checklist items."""
        self.app.push_screen(MaterialsScreen(self.filing_id, self.ref), self._changed)

    def action_retry_sms(self) -> None:
        """Queue this filing's latest failed (or unknown) SMS again and send it."""
        self._retry(self.filing_id)

    def _retry(self, filing_id: int) -> None:
        """Retry the newest failed or unknown row; `unknown` is forced, as the user asked for it by name."""

        def retry(service: FilingService) -> SmsRetried:
            rows = service.notify.notifications(filing_id, limit=20)
            latest = next((n for n in rows if n.status in RETRYABLE), None)
            return SmsRetried(None if latest is None else service.notify.retry(latest.id, force=True))

        self.call_service(retry, group="retry-sms", failed=action_failed)

    @on(SmsRetried)
    def _sms_retried(self, message: SmsRetried) -> None:
        lang, n = self.lang, message.notification
        if n is None:
            self.notify(
                pick(lang, "没有失败的短信可重试", "No failed SMS to retry."), title="短信 SMS", timeout=3
            )
            return
        self.notify(
            pick(lang, f"短信 {n.id} 已重新排队", f"SMS {n.id} to {mask(n.phone)} is queued again."),
            title="短信 SMS",
            markup=False,
        )
        self.post_message(SmsQueued())  # the app hands it to the dispatcher
        self.reload()

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.notify(
            message.error, title=pick(self.lang, "操作失败", "Failed"), severity="warning", markup=False
        )

    def _changed(self, result: object) -> None:
        if result is not None:
            self.reload()
