"""The dashboard app: a thin shell holding the service, the display preferences and the change watcher.

Screens hold the behaviour and reach the app only through the `Host` protocol (service, language,
change signal) and bubbling messages (`SmsQueued`); none imports this module. A thread worker waits on
`service.change_feed()`: PostgreSQL pushes every commit (`LISTEN`/`NOTIFY`, no query while idle), SQLite's
file is checked with a `stat` every `settings.poll_seconds`. Only then is `service.revision()` read, and
`store_changed` published when it moved, so a write made in another terminal or by a colleague shows up
without a restart. If the feed is lost the app says so once and polls the revision instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.theme import Theme
from textual.worker import Worker, get_current_worker

from states import Lang
from tracker.config import Settings, save_setting
from tracker.domain import FilingQuery
from tracker.errors import TrackerError
from tui.commands import dashboard_commands
from tui.messages import ChangeFeedLost, RefreshFailed, SmsDispatched, SmsQueued, StoreChanged
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.screens.dialogs.advance import AdvanceScreen
from tui.screens.dialogs.form_base import FormScreen
from tui.screens.dialogs.help import HelpScreen, HelpSection
from tui.screens.dialogs.materials import MaterialsScreen
from tui.screens.host import localise_bindings
from tui.view.labels import LANGUAGE_NAMES, LANGUAGES, pick
from tui.widgets.filing_table import FilingTable

if TYPE_CHECKING:
    from tracker.filings.service import FilingService
    from tui.screens.host import Host

SAVE_DELAY = 0.5
"""Seconds a preference must stay unchanged before it is written to the settings file."""
FEED_WAIT = 0.25
"""Seconds the change watcher blocks at a time (how soon it notices that the app is closing)."""


class TrackerApp(App[None]):
    """Every filing at a glance; drill into one and act on it."""

    CSS_PATH = "tracker.tcss"
    TITLE = "备案 beian"
    SUB_TITLE = "CAC algorithm filings"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("l", "cycle_language", "中/En"),
        Binding("ctrl+t", "change_theme", "Theme", show=False),
        Binding("q", "quit", "Quit"),
    ]

    language: reactive[Lang] = reactive[Lang]("both", init=False)
    """How stage, event and kind names are shown: 中文, English or both."""

    def __init__(
        self, service: FilingService, settings: Settings | None = None, *, initial: FilingQuery | None = None
    ) -> None:
        """`initial`: the filters and sort to open with (a `--view`); default: those in force at the last quit."""
        super().__init__()
        self.service = service
        self.settings = settings or service.settings
        self.initial = initial
        self.revision: int | None = None
        """The latest revision the poller saw."""
        self.store_changed: Signal[int] = Signal(self, "store-changed")
        """Published with the new revision whenever the database changed."""
        self._poller: Worker[None] | None = None
        self._failing = False
        self.live: bool | None = None
        """True once the database pushes its changes, False while polling, None before the watcher started."""
        self.set_reactive(TrackerApp.language, self.settings.language)
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme

    def on_mount(self) -> None:
        """Open the dashboard and start watching the database."""
        initial, remembered = self.initial, None
        if initial is None:
            from tracker.filings.views import load_current

            try:
                remembered = load_current()
            except TrackerError as exc:
                self.notify(str(exc), title="Views 视图", severity="warning", markup=False)
        localise_bindings(self, self.language)
        self.push_screen(DashboardScreen(initial or remembered))
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._poll()
        self._watch_changes()

    # -- live refresh -----------------------------------------------------------------------------

    def _poll(self) -> None:
        # a locked database can hold a poll for the lock timeout: never stack a second one behind it
        if self._poller is None or self._poller.is_finished:
            self._poller = self._check_revision()

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def _check_revision(self) -> None:
        """Read the revision counter; post what changed or why it could not be read."""
        self._read_revision()

    def _read_revision(self) -> None:
        try:
            revision = self.service.revision()
        except TrackerError as exc:
            self.post_message(RefreshFailed(str(exc)))
            return
        self.post_message(StoreChanged(revision))

    @work(thread=True, exclusive=True, exit_on_error=False, group="changes")
    def _watch_changes(self) -> None:
        """Wait for the database to say it changed; read the revision only then (never blocks the UI)."""
        worker = get_current_worker()
        try:
            feed = self.service.change_feed()
        except TrackerError as exc:
            self.post_message(ChangeFeedLost(str(exc)))
            return
        self.live = feed.push
        try:
            while not worker.is_cancelled:
                try:
                    changed = feed.wait(FEED_WAIT)
                except TrackerError as exc:
                    self.post_message(ChangeFeedLost(str(exc)))
                    return
                if changed and not worker.is_cancelled:
                    self._read_revision()
        finally:
            feed.close()

    @on(ChangeFeedLost)
    def _feed_lost(self, message: ChangeFeedLost) -> None:
        """Fall back to polling the revision, and say so once."""
        self.live = False
        self.notify(
            f"{message.error}. Checking for changes every {self.settings.poll_seconds:g} s instead.",
            title="Live updates off 实时更新中断",
            severity="warning",
            timeout=8,
            markup=False,
        )
        self.set_interval(self.settings.poll_seconds, self._poll)

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        recovered = self._failing
        if recovered:
            self._failing = False
            self.notify("Connected to the database again.", title="Refresh resumed 已恢复")
        if message.revision != self.revision or recovered:
            self.revision = message.revision
            self.store_changed.publish(message.revision)

    @on(RefreshFailed)
    def _refresh_failed(self, message: RefreshFailed) -> None:
        # one notice per outage, not one per poll; the poller keeps trying
        if not self._failing:
            self._failing = True
            self.notify(
                f"{message.error}. Retrying…",
                title="Refresh failed 刷新失败",
                severity="warning",
                timeout=8,
                markup=False,
            )

    # -- SMS ------------------------------------------------------------------------------------------

    @on(SmsQueued)
    def _sms_queued(self) -> None:
        self.send_queued_sms()

    @work(thread=True, exit_on_error=False, group="sms")
    def send_queued_sms(self) -> None:
        """Deliver the SMS an action just queued, off the UI thread; the outbox keeps anything not sent.

        Posts `SmsDispatched` with the dispatcher's summary (or why nothing was sent: SMS not
        configured, the database unreachable); never raises.
        """
        try:
            report = self.service.notify.dispatch_pending()
        except TrackerError as exc:
            self.post_message(SmsDispatched(f"SMS queued, not sent yet: {exc}", failed=True))
            return
        self.post_message(SmsDispatched(report.summary, failed=bool(report.failed or report.stopped)))

    @on(SmsDispatched)
    def _sms_dispatched(self, message: SmsDispatched) -> None:
        self.notify(
            message.summary,
            title="短信 SMS",
            severity="warning" if message.failed else "information",
            markup=False,
        )

    # -- preferences ------------------------------------------------------------------------------

    def action_cycle_language(self) -> None:
        """Switch between 中文 + English, 中文 and English."""
        self.language = LANGUAGES[(LANGUAGES.index(self.language) + 1) % len(LANGUAGES)]

    def action_set_language(self, language: str) -> None:
        """Show names in one language, or both."""
        if language in LANGUAGES:
            self.language = language

    def watch_language(self, language: Lang) -> None:
        """Footer in the new language; remember the choice and tell the user."""
        localise_bindings(self, language)
        for screen in self.screen_stack:
            localise_bindings(screen, language)
        self.notify(LANGUAGE_NAMES[language], title=pick(language, "语言", "Language"), timeout=2)
        self._save_setting("language", language)

    def _theme_changed(self, theme: Theme) -> None:
        self._save_setting("theme", theme.name)

    def _save_setting(self, name: str, value: str) -> None:
        """Persist one preference in the settings file.

        Written at once on the UI thread: the file is tiny, and two writers in threads could each read the
        file before the other wrote it and lose a choice.
        """
        try:
            save_setting(name, value)
        except (TrackerError, OSError) as exc:
            self.notify(f"Could not save the {name} setting: {exc}", severity="warning", markup=False)

    # -- help and commands ------------------------------------------------------------------------

    def help_sections(self) -> list[HelpSection]:
        """(Chinese title, English title, bindings) for each place keys apply, as the help screen lists them."""
        palette: list[BindingType] = [
            Binding("ctrl+p", "command_palette", "Command palette: search every action")
        ]
        return [
            ("全局", "Everywhere", [*self.BINDINGS, *palette]),
            ("总览", "Dashboard", list(DashboardScreen.BINDINGS)),
            ("表格", "Table", list(FilingTable.BINDINGS)),
            ("详情", "Filing detail", list(DetailScreen.BINDINGS)),
            ("记录事件", "Advance dialog", list(AdvanceScreen.BINDINGS)),
            ("材料清单", "Materials dialog", list(MaterialsScreen.BINDINGS)),
            ("表单", "Forms", list(FormScreen.BINDINGS)),
        ]

    def action_help(self) -> None:
        """Show every key binding."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def view_names(self) -> list[tuple[str, str, str]]:
        """(name, Chinese title, English title) of every saved view, built-in ones first."""
        from tracker.filings.views import builtin_views, saved_views

        try:
            views = {**builtin_views(self.settings), **saved_views()}
        except TrackerError:
            views = builtin_views(self.settings)
        return [(v.name, v.zh, v.en) for v in views.values()]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own commands, then every action of the dashboard."""
        yield from super().get_system_commands(screen)
        yield from dashboard_commands(self, screen)


if TYPE_CHECKING:

    def _hosts_screens(app: TrackerApp) -> Host:
        """A static check (mypy) that the app is the host its screens expect."""
        return app


def make_app(
    service: FilingService, settings: Settings | None = None, *, initial: FilingQuery | None = None
) -> TrackerApp:
    """Build the dashboard on a service (the CLI, tests, snapshots and the benchmark all call this)."""
    return TrackerApp(service, settings, initial=initial)


def run_dashboard(
    service: FilingService, settings: Settings | None = None, *, view: str | None = None
) -> None:
    """Run the dashboard in this terminal until the user quits; `view` opens a saved view.

    Raises `UsageError` for an unknown view (before the screen is taken over).
    """
    initial = None
    if view:
        from tracker.filings.views import find_view

        initial = find_view(view, settings or service.settings).query
    make_app(service, settings, initial=initial).run()
