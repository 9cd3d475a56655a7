"""The virtual table: pages loaded on demand, and how columns and labels fit the terminal."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from textual.message import Message

from states import Kind, Stage
from tests.helpers.tui import ORG, SIZE, wait_for
from tracker.domain import FilingDraft
from tracker.filings.service import FilingService
from tui.app import make_app
from tui.messages import FilingsLoaded, PageLoaded
from tui.view.cells import header_strip, short_number
from tui.view.columns import COLUMNS, column_widths, fit_columns
from tui.view.labels import fit, stage_label
from tui.widgets.filing_table import PAGE_SIZE, FilingTable, ResultWindow

ROWS = 2 * PAGE_SIZE + 50


async def test_the_table_loads_only_the_pages_it_shows(service: FilingService) -> None:
    service.add_organisation(ORG, "91110108MA01A2B3CF")
    for n in range(ROWS):
        service.add_filing(FilingDraft(organisation=ORG, title=f"算法 {n:03d}"))
    messages: list[Message] = []
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        first = await wait_for(pilot, messages, FilingsLoaded)
        assert first.total == ROWS and set(first.pages) == {0}
        table = pilot.app.screen.query_one(FilingTable)
        assert table.row(ROWS - 1) is None, "the last page is not fetched before it is needed"
        await pilot.press("end")
        last = (ROWS - 1) // PAGE_SIZE
        await wait_for(pilot, messages, PageLoaded, lambda m: m.page == last)
        await pilot.pause()
        assert table.cursor == ROWS - 1
        bottom = table.row(ROWS - 1)
        assert bottom is not None and bottom.title == f"算法 {ROWS - 1:03d}"
        assert table.pages_cached <= 3
        assert [f.title for f in table.visible_rows()][-1] == bottom.title
        await pilot.press("home")
        assert table.cursor == 0 and table.scroll_y == 0


def test_columns_fit_the_terminal_and_shrink_in_order() -> None:
    wide = column_widths(COLUMNS, "both", 200)
    narrow = column_widths(COLUMNS, "both", 130)
    assert sum(narrow) + len(COLUMNS) <= 130
    by_key = dict(zip((c.key for c in COLUMNS), narrow, strict=True))
    assert by_key["filing_number"] == 12, "the filing number gives up room first"
    assert all(w >= (c.min_width or 1) for c, w in zip(COLUMNS, narrow, strict=True))
    assert sum(wide) + len(COLUMNS) == 200, "spare room goes to titles and organisations"


def test_narrow_terminals_drop_whole_columns_keeping_ref_stage_and_deadline_last() -> None:
    previous: list[str] = [c.key for c in COLUMNS]
    for width in range(200, 20, -5):
        keys = [c.key for c, _ in fit_columns("both", width)]
        assert set(keys) <= set(previous), "a column once dropped stays dropped on a narrower terminal"
        assert keys[: min(3, len(keys))] == ["ref", "deadline", "stage"][: len(keys)]
        previous = keys
    assert [c.key for c, _ in fit_columns("zh", 60)][:3] == ["ref", "deadline", "stage"]
    assert [c.key for c, _ in fit_columns("both", 12)] == ["ref"]
    # the reference column is as wide as the longest reference
    assert dict((c.key, w) for c, w in fit_columns("en", 160, ref_width=10))["ref"] == 10


def test_filing_numbers_show_their_distinctive_part_when_narrow() -> None:
    number = "网信算备110108555010101260013号"
    assert short_number(number, 40) == number
    assert short_number(number, 21) == "110108555010101260013"
    assert short_number(number, 14) == "…5010101260013"
    assert short_number("Beijing-DeepseekChat-202404280016", 13) == "…202404280016"


def test_sorted_column_arrow_points_the_way_the_values_go() -> None:
    layout = fit_columns("en", 200)
    style = Style()
    days_up = header_strip(layout, "en", "days", False, style).text
    assert "Days ▲" in days_up
    assert "Days ▼" in header_strip(layout, "en", "days", True, style).text
    assert "▲" not in header_strip(layout, "en", "ref", True, style).text.split("Ref")[1][:3]


def test_cells_are_cut_by_terminal_width_not_characters() -> None:
    assert cell_len(fit("北京星河智算科技有限公司", 11)) == 11
    assert fit("北京星河智算科技有限公司", 11).endswith("…")
    assert fit("12", 4, right=True) == "  12"
    assert stage_label(Stage.APPROVED, "both", Kind.ENTITY) == "已通过 approved"
    assert stage_label(Stage.RETURNED, "en") == "returned"


def test_the_window_asks_for_pages_on_screen_first_and_only_once() -> None:
    window = ResultWindow()
    window.reset(1, 1_000, {})
    assert window.wanted(450, 485) == (4, 5, 3)
    assert window.wanted(450, 485) is None, "the same request is not repeated"
    window.forget_request()
    assert window.wanted(450, 485) == (4, 5, 3), "after a failure it is"
    window.reset(2, 1_000, {})
    assert not window.add(1, 4, ()), "a page of an older generation is dropped"
    assert window.wanted(990, 999) == (9, 8)


async def test_clicking_a_header_sorts_and_clicking_again_reverses(service: FilingService) -> None:
    service.add_organisation(ORG, "91110108MA01A2B3CF")
    for title in ("乙算法", "甲算法", "丙算法"):
        service.add_filing(FilingDraft(organisation=ORG, title=title))
    messages: list[Message] = []
    async with make_app(service).run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for(pilot, messages, FilingsLoaded)
        table = pilot.app.screen.query_one(FilingTable)
        x = next(
            sum(w + 1 for _, w in table._layout[:i])
            for i, (c, _) in enumerate(table._layout)
            if c.key == "title"
        )
        await pilot.click(FilingTable, offset=(x + 1, 0))
        ascending = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.sort == "title")
        titles = [f.title for f in ascending.pages[0]]
        assert titles == ["丙算法", "甲算法", "乙算法"], "by pinyin: bǐng, jiǎ, yǐ (not by code point)"
        await pilot.click(FilingTable, offset=(x + 1, 0))
        descending = await wait_for(pilot, messages, FilingsLoaded, lambda m: m.query.descending)
        assert [f.title for f in descending.pages[0]] == titles[::-1]
