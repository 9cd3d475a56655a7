"""`beian show`, `beian due` and `beian stats` speak of the regulator's clock: where the working days went,
whether the clock runs, and why it is stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.cli import Beian
from tests.helpers.filings import NUMBER, algorithm, approved_org, cli_returned_twice, ok
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService


@pytest.fixture
def setup(db_url: str) -> Iterator[FilingService]:
    """A service on the CLI's database (real clock), to set up organisations and materials."""
    store = open_store(db_url)
    yield FilingService(store, Settings())
    store.dispose()


def test_show_of_a_filing_returned_twice_adds_up_its_working_days(beian: Beian, setup: FilingService) -> None:
    ref = cli_returned_twice(beian, setup)
    ok(beian("advance", ref, "pass_review", "--at", "2026-10-28 10:00"))
    ok(beian("advance", ref, "approve", "--filing-number", NUMBER, "--at", "2026-11-02 10:00"))
    shown = ok(beian("show", ref, "--json")).json()
    assert shown["ref"] == ref and shown["stage"] == "approved"
    assert shown["regulator_clock"] == "met"
    assert shown["elapsed_working_days"] == 31  # 2026-09-14 → 2026-11-02 in Chinese working days
    assert (shown["regulator_working_days"], shown["filer_working_days"], shown["returns_working_days"]) == (
        5,
        11,
        15,
    )
    assert (
        shown["regulator_working_days"] + shown["filer_working_days"] + shown["returns_working_days"]
        == shown["elapsed_working_days"]
    )
    assert shown["regulator_clock_restarts"] == 2 and shown["regulator_clock_limit"] == 30

    text = ok(beian("show", ref)).out
    assert "met" in text and "5 of 30 working days (25 left); restarted 2 times" in text
    assert (
        "31 since 2026-09-14 until 2026-11-02: 5 with the regulator, 11 with the filer, 15 lost to returns"
        in text
    )


def test_a_returned_filing_shows_and_due_says_why_its_clock_is_stopped(
    beian: Beian, setup: FilingService
) -> None:
    approved_org(setup)
    ref = algorithm(setup)
    ok(beian("advance", ref, "submit", "--at", "2026-11-16 10:00"))
    ok(beian("advance", ref, "return_for_revision", "--reason", "材料不全", "--at", "2026-11-18 10:00"))
    shown = ok(beian("show", ref, "--json")).json()
    assert shown["regulator_clock"] == "stopped"
    assert "退回修改" in shown["regulator_clock_why"] and "材料不全" in shown["regulator_clock_why"]
    assert shown["regulator_working_days"] == 2
    assert "stopped because" in ok(beian("show", ref)).out

    due = ok(beian("due")).out
    assert f"{ref}: stopped: returned for revision (退回修改)" in due and "材料不全" in due
    assert "2 of 30 working days used" in due
    [stopped] = ok(beian("due", "--json")).json()["stopped_clocks"]
    assert stopped["ref"] == ref and stopped["regulator_clock"] == "stopped"

    ok(beian("advance", ref, "resubmit", "--at", "2026-11-23 10:00"))
    due = ok(beian("due", "--json")).json()
    [d4] = [d for d in due["deadlines"] if d["ref"] == ref]
    assert d4["id"] == "D4" and d4["regulator_clock"] in ("running", "breached")
    assert d4["regulator_clock_restarts"] == 1 and due["stopped_clocks"] == []


def test_stats_per_stage_party_organisation_and_type(beian: Beian, setup: FilingService) -> None:
    assert ok(beian("stats")).out.startswith("no submitted filings yet")
    ref = cli_returned_twice(beian, setup)
    ok(beian("advance", ref, "pass_review", "--at", "2026-10-28 10:00"))
    ok(beian("advance", ref, "approve", "--filing-number", NUMBER, "--at", "2026-11-02 10:00"))
    stats = ok(beian("stats", "--json")).json()
    total = stats["total"]
    assert total["filings"] == 2  # the entity filing and ALG-0001
    stages = {s["stage"]: s for s in total["stages"]}
    returned = stages["returned"]
    assert (returned["visits"], returned["median_working_days"], returned["worst_working_days"]) == (
        2,
        5.5,
        6,
    )
    assert stages["second_review"]["worst_working_days"] == 5
    [org] = stats["organisations"]
    assert org["filings"] == 2 and org["lost_to_returns_working_days"] == 26
    types = {t["key"]: t for t in stats["algorithm_types"]}
    generative = types["generative"]
    assert generative["filings"] == 1 and generative["returns_share"] == round(26 / 31, 4)
    assert generative["clocks"] == {"running": 0, "stopped": 0, "met": 1, "breached": 0}
    text = ok(beian("stats")).out
    assert "lost to returns 26 (84%)" in text and "per organisation" in text and "per algorithm type" in text
