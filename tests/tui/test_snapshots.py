"""SVG snapshots of the dashboard at 140×40, on demo data replayed at a fixed instant.

Update them only after reading the report: `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers.tui import SIZE, settle, still_cursor
from tracker.filings.demo import seed_demo
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.widgets.filing_table import FilingTable

Snap = Callable[..., bool]


@pytest.fixture
def demo(service: FilingService) -> FilingService:
    """The demo portfolio, seeded through the service at the fixed instant."""
    seed_demo(service)
    return service


async def on_filing(pilot: Pilot[Any], ref: str) -> None:
    """Wait for the table, then put the cursor on `ref`."""
    await settle(pilot)
    table = pilot.app.screen.query_one(FilingTable)
    table.move_cursor(next(i for i in range(table.total) if (f := table.row(i)) and f.ref == ref))
    await settle(pilot)


def test_main_screen_on_demo_data(snap_compare: Snap, demo: FilingService) -> None:
    """Funnel with counts per stage, the table sorted by reference, stage colours, the footer."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        still_cursor(pilot)

    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=run_before)


def test_detail_view_of_a_returned_filing(snap_compare: Snap, demo: FilingService) -> None:
    """Fields, allowed and refused events, and a history with a return highlighted."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await on_filing(pilot, "ALG-0004")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=run_before)


def test_advance_modal(snap_compare: Snap, demo: FilingService) -> None:
    """Allowed events first; events needing a reason say so; refused ones are greyed with their reason."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await on_filing(pilot, "ALG-0009")
        await pilot.press("a")
        await settle(pilot)
        still_cursor(pilot)

    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=run_before)


def test_empty_state(snap_compare: Snap, service: FilingService) -> None:
    """An empty database says how to add or import filings."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(make_app(service), terminal_size=SIZE, run_before=run_before)


SIZES = {"80x24": (80, 24), "160x45": (160, 45)}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_main_screen_at_real_terminal_sizes(
    snap_compare: Snap, make_service: Callable[..., FilingService], size: str, lang: str
) -> None:
    """80×24: the stage list collapsed, ref, deadline and stage first; 160×45: every column and the funnel;
    the footer, placeholders and counts in the display language."""
    service = make_service(language=lang)
    seed_demo(service)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        still_cursor(pilot)

    assert snap_compare(make_app(service), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_advance_modal_at_80x24(
    snap_compare: Snap, make_service: Callable[..., FilingService], lang: str
) -> None:
    """The advance dialog fits 80×24: events scroll, the buttons stay on screen."""
    service = make_service(language=lang)
    seed_demo(service)

    async def run_before(pilot: Pilot[Any]) -> None:
        await on_filing(pilot, "ALG-0009")
        await pilot.press("a")
        await settle(pilot)
        still_cursor(pilot)

    assert snap_compare(make_app(service), terminal_size=(80, 24), run_before=run_before)
