"""Two `beian` processes advancing the same filing at once: one wins, the other gets a conflict, history gains one row."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest

from tracker.config import Settings
from tracker.domain import FilingDraft, Kind
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = pytest.mark.slow

ORG = "北京星河智算科技有限公司"


def _in_initial_review(url: str) -> tuple[str, int, int]:
    """ALG-0001 in initial review; returns its reference, version and history length."""
    store = open_store(url)
    try:
        service = FilingService(store, Settings())
        service.add_organisation(ORG, "91110108MA01A2B3CF", "110108")
        entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
        ref = service.add_filing(FilingDraft(organisation=ORG, title="星河对话算法")).ref
        for each in (entity.ref, ref):
            with contextlib.suppress(ImportError):  # the rules layer is not installed at this revision
                service.rules.mark_all_provided(each, actor="test")
        service.advance(entity.ref, "submit")
        service.advance(entity.ref, "approve")
        filing = service.advance(ref, "submit").filing
        return ref, filing.version, len(service.history(ref))
    finally:
        store.dispose()


def _history_and_stage(url: str, ref: str) -> tuple[int, str, int]:
    store = open_store(url)
    try:
        service = FilingService(store, Settings())
        filing = service.filing(ref)
        return len(service.history(ref)), filing.stage.value, filing.version
    finally:
        store.dispose()


def test_two_processes_advancing_the_same_filing(db_url: str) -> None:
    ref, version, rows = _in_initial_review(db_url)
    command = [
        sys.executable,
        "-m",
        "tracker",
        "--db",
        db_url,
        "advance",
        ref,
        "pass_review",
        "--if-version",
        str(version),
    ]
    # both start before either is waited for; whichever commits first wins, the other must see a conflict
    racers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outcomes: list[tuple[int, str, str]] = []
    for racer in racers:
        out, err = racer.communicate()
        outcomes.append((racer.returncode, out, err))
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 4], outcomes
    loser = next(err for code, _, err in outcomes if code == 4)
    assert len(loser.splitlines()) == 1 and "Traceback" not in loser
    assert "beian: error:" in loser
    assert _history_and_stage(db_url, ref) == (rows + 1, "second_review", version + 1)
