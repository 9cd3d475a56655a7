"""What every screen reaches through the app it runs in, without importing the app module.

`Host` is the app as screens see it: the service, the display language and the change signal.
`UsesHost` gives screens typed access to it, and `call_service` runs one service call in a thread
worker and posts either the result message or the failure message (never both, never neither).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, cast

from textual.dom import DOMNode
from textual.message import Message
from textual.signal import Signal
from textual.worker import Worker

from states import Lang
from tracker.errors import TrackerError
from tui.messages import ActionFailed, LoadFailed
from tui.view.labels import key_label

if TYPE_CHECKING:
    from tracker.filings.service import FilingService


class Host(Protocol):
    """The dashboard app as its screens see it (`TrackerApp` provides it)."""

    @property
    def service(self) -> FilingService:
        """The one filing service; call it only from thread workers."""

    @property
    def language(self) -> Lang:
        """How stage, event and kind names are shown: "both", "zh" or "en"."""

    @property
    def store_changed(self) -> Signal[int]:
        """Published with the new revision whenever the database changed."""


ServiceCall = Callable[["FilingService"], Message]
"""One unit of work against the service, run in a thread worker; returns the message to post."""


def load_failed(error: TrackerError) -> Message:
    """The default failure message of `call_service`: a read that failed; what is shown stays."""
    return LoadFailed(str(error))


def action_failed(error: TrackerError) -> Message:
    """The failure message of a write: the service refused it and nothing changed."""
    return ActionFailed(str(error))


def localise_bindings(node: DOMNode, lang: Lang) -> None:
    """Show a node's key bindings (footer, help) in the display language (`tui.view.labels.KEY_LABELS`)."""
    bindings = node._bindings.key_to_bindings
    for key, items in list(bindings.items()):
        bindings[key] = [
            replace(b, description=key_label(b.action, lang, b.description) if b.description else "")
            for b in items
        ]
    node.refresh_bindings()


class UsesHost(DOMNode):
    """Mixin for screens: typed access to the host app's service and language; footer in that language."""

    def on_mount(self) -> None:
        """The footer follows the display language from the start."""
        localise_bindings(self, self.lang)

    @property
    def host(self) -> Host:
        """The running dashboard app."""
        return cast("Host", self.app)

    @property
    def service(self) -> FilingService:
        """The one service; call it only from thread workers."""
        return self.host.service

    @property
    def lang(self) -> Lang:
        """The display language."""
        return self.host.language

    def call_service(
        self,
        call: ServiceCall,
        *,
        group: str,
        failed: Callable[[TrackerError], Message] = load_failed,
    ) -> Worker[None]:
        """Run `call(service)` in a thread worker and post the message it returns to this screen.

        A `TrackerError` (a refusal, a conflict, an unreachable database) posts `failed(error)` instead;
        nothing else is caught (a bug ends the worker in the error state, as with `@work`). A new call in the same `group` cancels the
        previous one's worker (its message, if already made, is still posted: handlers check generations).
        """
        service = self.service

        def run() -> None:
            try:
                message = call(service)
            except TrackerError as exc:
                self.post_message(failed(exc))
                return
            self.post_message(message)

        return self.run_worker(run, name=group, group=group, thread=True, exclusive=True, exit_on_error=False)
