"""Helpers for the dashboard tests: the fixed instant, a small portfolio, and waiting for messages."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from rich.console import Console
from textual.content import Content
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.worker import WorkerState

from states import Kind
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
"""10:00 on 28 Nov 2026 in Beijing: every dashboard test and snapshot runs at this instant."""
SIZE = (140, 40)
ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
OTHER_ORG = "深圳灵犀互娱科技有限公司"
OTHER_CODE = "91440300MA5D7E8F96"

M = TypeVar("M", bound=Message)
CHANGE_WATCHER = "changes"
"""The worker group of the app's change watcher, which runs as long as the app does."""


def fixed_clock() -> datetime:
    """The dashboard tests' clock."""
    return NOW


def tick_materials(service: FilingService, ref: str) -> None:
    """Provide every checklist item, so a submit is not refused for missing materials."""
    with contextlib.suppress(ImportError):  # without a rules layer there is no checklist
        service.rules.mark_all_provided(ref, actor="test")


def portfolio(service: FilingService) -> dict[str, str]:
    """Two organisations and a few filings in known stages; returns role → reference."""
    service.add_organisation(ORG, CODE, "110108")
    service.add_organisation(OTHER_ORG, OTHER_CODE, "440305")
    entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
    tick_materials(service, entity.ref)
    service.advance(entity.ref, "submit")
    service.advance(entity.ref, "approve")
    refs = {"entity": entity.ref}
    for role, title, steps in (
        ("review", "星河对话算法", ["submit"]),
        ("final", "星河写作算法", ["submit", "pass_review", "pass_review"]),
        ("draft", "星河语音算法", []),
    ):
        filing = service.add_filing(FilingDraft(organisation=ORG, title=title))
        tick_materials(service, filing.ref)
        for step in steps:
            service.advance(filing.ref, step)
        refs[role] = filing.ref
    # the other organisation has no approved entity filing, so its filings cannot be submitted
    blocked = service.add_filing(FilingDraft(organisation=OTHER_ORG, title="灵犀推荐算法"))
    tick_materials(service, blocked.ref)
    refs["blocked"] = blocked.ref
    return refs


async def wait_for(
    pilot: Pilot[Any],
    messages: list[Message],
    kind: type[M],
    where: Callable[[M], bool] = lambda _m: True,
    *,
    after: int = 0,
    patience: float = 60.0,
) -> M:
    """Let the app run until it has posted a matching message, at index `after` or later.

    Fails after `patience` seconds: a cap against hanging, not a timing assertion.
    """
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        for message in messages[after:]:
            if isinstance(message, kind) and where(message):
                await pilot.pause()
                return message
        await pilot.pause(0.02)
    raise AssertionError(f"no {kind.__name__} message arrived")


async def settle(pilot: Pilot[Any], patience: float = 60.0) -> None:
    """Wait until no worker is busy and the table has asked for every deadline on screen.

    Deadlines are asked for on a short timer after rows arrive, so idle workers alone do not mean done.
    `patience` (seconds) only bounds a hang: a loaded machine running tests in parallel can take several
    seconds for a first paint, which is no failure.
    """
    from tui.screens.dashboard import DashboardScreen

    quiet = 0
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        await pilot.pause(0.02)
        busy = any(
            w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group != CHANGE_WATCHER
            for w in pilot.app.workers
        )
        waiting = any(isinstance(s, DashboardScreen) and s.deadlines_pending for s in pilot.app.screen_stack)
        quiet = 0 if busy or waiting else quiet + 1
        if quiet >= 3:
            return
    still = [
        f"{w.group}/{w.name}: {w.state.name}"
        for w in pilot.app.workers
        if w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group != CHANGE_WATCHER
    ]
    failed = [f"{w.group}/{w.name}: {w.error!r}" for w in pilot.app.workers if w.state == WorkerState.ERROR]
    screens = [
        f"timer {s._deadline_timer!r}, generation {s.generation}/{s.table.generation}"
        for s in pilot.app.screen_stack
        if isinstance(s, DashboardScreen)
    ]
    raise AssertionError(
        f"workers did not settle in {patience:.0f} s: busy {still}, failed {failed}, deadlines pending {waiting}"
        f" {screens}"
    )


def still_cursor(pilot: Pilot[Any]) -> None:
    """No blinking cursors: a snapshot must not depend on when it was taken."""
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False


def shown_text(widget: Static, width: int = 200) -> str:
    """What a static widget shows, as plain text (markup, rich Text and tables alike)."""
    content = widget.content
    if isinstance(content, str | Content):
        return str(widget.render())
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()
