"""The advance dialog: choose an allowed event, fill in its inputs, and let the service decide.

Refused events stay visible (greyed, with their reasons). Inputs are checked by the same service call
as `beian advance`; a refusal or a bad value is shown inline and never closes the dialog or loses text.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from states import Event, Kind, Lang, Outcome
from tracker.domain import AdvanceResult, Filing
from tracker.errors import Conflict, TrackerError, TransitionRefused
from tracker.timeutil import parse_when
from tui.messages import ActionFailed, FilingAdvanced, LoadFailed, OutcomesLoaded, SmsQueued
from tui.screens.dialogs.controls import compact_controls, field_row, fit_body
from tui.screens.host import UsesHost
from tui.view.labels import event_label, pick, stage_label, stage_text

if TYPE_CHECKING:
    from tracker.filings.service import FilingService

REASON_EVENTS = frozenset({Event.RETURN_FOR_REVISION, Event.REJECT, Event.REVOKE, Event.CANCEL_BY_REGULATOR})
"""Events that record a reason shown to the filer (required for return, reject and revoke)."""


def needs_number(event: Event, kind: Kind) -> bool:
    """Whether the event records a filing number (approving anything but an entity filing)."""
    return event is Event.APPROVE and kind is not Kind.ENTITY


def selectable(outcome: Outcome, kind: Kind) -> bool:
    """Allowed now, or refused only until the user types the reason or number the dialog asks for."""
    if outcome.allowed:
        return True
    return outcome.dest is not None and (outcome.event in REASON_EVENTS or needs_number(outcome.event, kind))


class AdvanceScreen(UsesHost, ModalScreen[AdvanceResult | None]):
    """Record one event for one filing."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply"),
    ]

    def __init__(self, filing_id: int, ref: str) -> None:
        super().__init__(classes="dialog-screen")
        self.filing_id = filing_id
        self.ref = ref
        self.filing: Filing | None = None
        self.outcomes: tuple[Outcome, ...] = ()

    def compose(self) -> ComposeResult:
        """Events, inputs, the inline error and the buttons."""
        lang = self.lang
        with Vertical(id="advance-dialog", classes="dialog") as dialog:
            dialog.border_title = pick(lang, f"记录事件 {self.ref}", f"Advance {self.ref}")
            with VerticalScroll(classes="dialog-body"):
                yield from self._body(lang)
            yield Static("", id="advance-error")
            with Horizontal(classes="buttons"):
                yield Button(
                    pick(lang, "确认", "Apply"), id="advance-apply", variant="primary", disabled=True
                )
                yield Button(pick(lang, "取消", "Cancel"), id="advance-cancel")

    def _body(self, lang: Lang) -> ComposeResult:
        """The scrolling part: heading, events and their inputs."""
        yield Static(pick(lang, "加载中…", "Loading…"), id="advance-heading")
        yield OptionList(id="advance-events")
        required = pick(lang, "必填：告知备案人", "required, shown to the filer")
        yield field_row(
            pick(lang, "原因", "Reason"),
            Input(id="advance-reason", placeholder=required),
            classes="reason",
        )
        yield field_row(
            pick(lang, "备案号", "Filing number"),
            Input(id="advance-number", placeholder="网信算备…号"),
            classes="number",
        )
        yield field_row(
            pick(lang, "备注", "Note"),
            Input(id="advance-note", placeholder=pick(lang, "可选", "optional")),
        )
        when = (
            pick(lang, "现在 · YYYY-MM-DD [HH:MM]", "now · YYYY-MM-DD [HH:MM]")
            if lang != "both"
            else "现在 now · YYYY-MM-DD [HH:MM]"
        )
        yield field_row(pick(lang, "生效时间", "Effective"), Input(id="advance-at", placeholder=when))

    def on_mount(self) -> None:
        """Load the filing's events."""
        compact_controls(self)
        self._error("")
        self._show_inputs(None)
        self._load(self.filing_id)

    def _load(self, filing_id: int) -> None:
        """The filing as it is now, and every event leaving its stage."""
        self.call_service(
            lambda service: OutcomesLoaded(service.filing(filing_id), tuple(service.events(filing_id))),
            group="advance-load",
        )

    @on(OutcomesLoaded)
    def _loaded(self, message: OutcomesLoaded) -> None:
        self.filing, self.outcomes = message.filing, message.outcomes
        filing, lang = message.filing, self.lang
        heading = Text.assemble(f"{filing.title}  ·  ", stage_text(filing.stage, lang, filing.kind))
        self.query_one("#advance-heading", Static).update(heading)
        events = self.query_one("#advance-events", OptionList)
        previous = self.chosen
        events.clear_options()
        ordered = sorted(message.outcomes, key=lambda o: not selectable(o, filing.kind))
        events.add_options(self._option(o, filing) for o in ordered)
        choices = [o.event for o in ordered if selectable(o, filing.kind)]
        if choices:
            events.highlighted = choices.index(previous) if previous in choices else 0
            events.focus()
        else:
            self._error(pick(lang, "此阶段没有可记录的事件", "No event is possible in this stage."))
        self.query_one("#advance-apply", Button).disabled = not choices
        self._show_inputs(self.chosen)

    def _option(self, outcome: Outcome, filing: Filing) -> Option:
        lang = self.lang
        name = event_label(outcome.event, lang, filing.kind)
        reasons = "; ".join(outcome.refusals)
        if not selectable(outcome, filing.kind):
            # Text, not markup: a reason may contain brackets
            return Option(Text(f"✗ {name}\n    {reasons}"), id=outcome.event.value, disabled=True)
        prompt = Text(name, style="bold")
        if outcome.dest is not None:
            prompt.append("  → ").append_text(stage_text(outcome.dest, lang, filing.kind))
        if not outcome.allowed:
            prompt.append(f"\n    {reasons}", style="dim")
        return Option(prompt, id=outcome.event.value)

    @property
    def chosen(self) -> Event | None:
        """The highlighted event, if it can be chosen."""
        events = self.query_one("#advance-events", OptionList)
        if events.highlighted is None or events.option_count == 0:
            return None
        option = events.get_option_at_index(events.highlighted)
        return None if option.disabled or option.id is None else Event(option.id)

    @on(OptionList.OptionHighlighted, "#advance-events")
    def _highlighted(self) -> None:
        self._show_inputs(self.chosen)

    @on(OptionList.OptionSelected, "#advance-events")
    def _selected(self) -> None:
        event = self.chosen
        kind = self.filing.kind if self.filing else Kind.ALGORITHM
        first = "#advance-reason" if event in REASON_EVENTS else "#advance-note"
        if event is not None and needs_number(event, kind):
            first = "#advance-number"
        self.query_one(first, Input).focus()

    def _show_inputs(self, event: Event | None) -> None:
        kind = self.filing.kind if self.filing else Kind.ALGORITHM
        for widget in self.query(".reason"):
            widget.display = event in REASON_EVENTS
        for widget in self.query(".number"):
            widget.display = event is not None and needs_number(event, kind)

    # -- applying ---------------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#advance-apply")
    def action_apply(self) -> None:
        """Ask the service to apply the chosen event with the typed inputs."""
        event = self.chosen
        if event is None or self.filing is None:
            self._error(pick(self.lang, "请选择一个可用事件", "Choose an allowed event first."))
            return
        value = lambda selector: self.query_one(selector, Input).value.strip() or None  # noqa: E731
        when = value("#advance-at")
        try:
            at = parse_when(when) if when else None
        except TrackerError as exc:
            self._error(str(exc))
            self.query_one("#advance-at", Input).focus()
            return
        number = value("#advance-number") if needs_number(event, self.filing.kind) else None
        reason = value("#advance-reason") if event in REASON_EVENTS else None
        self._error("")
        self.query_one("#advance-apply", Button).disabled = True
        self._apply(self.filing, event, value("#advance-note"), reason, number, at)

    def _apply(
        self,
        filing: Filing,
        event: Event,
        note: str | None,
        reason: str | None,
        number: str | None,
        at: datetime | None,
    ) -> None:
        """One call to `service.advance`; its refusal comes back as a message.

        An event that queued SMS also posts `SmsQueued` first (from the worker, while this dialog is
        still open), so the app hands them to the dispatcher as the dialog closes.
        """

        def advance(service: FilingService) -> FilingAdvanced:
            result = service.advance(
                filing.id,
                event,
                note=note,
                reason=reason,
                filing_number=number,
                at=at,
                actor=service.person,
                source="dashboard",
                if_version=filing.version,
            )
            if result.notifications:
                self.post_message(SmsQueued())
            return FilingAdvanced(result)

        def refused(error: TrackerError) -> Message:
            if isinstance(error, Conflict):  # someone else changed the filing: show it as it is now
                self._load(filing.id)
            reasons = tuple(error.reasons) if isinstance(error, TransitionRefused) else ()
            return ActionFailed(str(error), reasons)

        self.call_service(advance, group="advance", failed=refused)

    @on(FilingAdvanced)
    def _advanced(self, message: FilingAdvanced) -> None:
        t, f = message.result.transition, message.result.filing
        lang = self.lang
        self.app.notify(
            f"{stage_label(t.from_stage, lang, f.kind)} → {stage_label(t.to_stage, lang, f.kind)}",
            title=f"{f.ref} · {event_label(t.event, lang, f.kind)}",
        )
        for warning in message.result.warnings:
            self.app.notify(warning, title=pick(lang, "注意", "Warning"), severity="warning", markup=False)
        self.dismiss(message.result)

    @on(ActionFailed)
    def _refused(self, message: ActionFailed) -> None:
        self._error(message.error)
        self.query_one("#advance-apply", Button).disabled = False

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self._error(message.error)

    def _error(self, text: str) -> None:
        error = self.query_one("#advance-error", Static)
        error.update(Text(text))  # not markup: messages quote [keys]
        error.display = bool(text)
        self.call_after_refresh(fit_body, self)

    def on_resize(self) -> None:
        """The buttons stay on screen however small the terminal."""
        fit_body(self)

    @property
    def changed(self) -> bool:
        """Whether anything was typed (a reason, a number, a note, a time)."""
        return any(field.value.strip() for field in self.query(Input))

    @on(Button.Pressed, "#advance-cancel")
    def action_cancel(self) -> None:
        """Close without recording anything; typed text is not thrown away without asking."""
        if not self.changed:
            self.dismiss(None)
            return
        from tui.screens.dialogs.confirm import ConfirmDiscardScreen

        self.app.push_screen(ConfirmDiscardScreen(), self._discard)

    def _discard(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)
