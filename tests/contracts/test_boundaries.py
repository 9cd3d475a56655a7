"""Layer boundaries: what each entry point imports, checked in fresh processes, and the import-linter contracts."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.probes import ROOT, beian_in_fresh_process, imports_in_fresh_process
from tracker.config import Settings
from tracker.domain import FilingDraft, Kind
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = pytest.mark.slow

HEAVY = (
    "textual",
    "textual_serve",
    "twilio",
    "alembic",
    "openpyxl",
    "aiohttp",
    "icalendar",
    "pypinyin",
    "aiosmtpd",
)
"""Libraries only some commands need (the dashboard, SMS, migrations, spreadsheets, e-mail, calendars, pinyin
collation): the everyday commands never load them."""


@pytest.fixture
def filing_url(sqlite_url: str) -> str:
    """ALG-0001 in initial review on an SQLite file."""
    store = open_store(sqlite_url)
    try:
        service = FilingService(store, Settings())
        service.add_organisation("北京星河智算科技有限公司", "91110108MA01A2B3CF", "110108")
        entity = service.add_filing(FilingDraft(organisation="1", title="主体备案", kind=Kind.ENTITY))
        ref = service.add_filing(FilingDraft(organisation="1", title="星河对话算法")).ref
        for filing in (entity.ref, ref):
            with contextlib.suppress(ImportError):  # the rules layer is not installed at this revision
                service.rules.mark_all_provided(filing, actor="test")
        service.advance(entity.ref, "submit")
        service.advance(entity.ref, "approve")
        service.advance(ref, "submit")
    finally:
        store.dispose()
    return sqlite_url


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["advance", "ALG-0001", "pass_review"],
        ["advance", "ALG-0001", "审核通过", "--json"],
        ["list"],
        ["list", "--json"],
        ["show", "ALG-0001"],
        ["history", "ALG-0001", "--json"],
    ],
    ids=" ".join,
)
def test_everyday_commands_import_no_heavy_library(filing_url: str, argv: list[str]) -> None:
    full = argv if argv == ["--help"] else ["--db", filing_url, *argv]
    probe = beian_in_fresh_process(full)
    assert probe.code == 0
    packages = probe.packages
    assert packages.isdisjoint(HEAVY), sorted(packages & set(HEAVY))


def test_the_core_never_imports_textual() -> None:
    packages = imports_in_fresh_process(
        ["tracker", "tracker.filings.service", "tracker.domain", "tracker.errors", "states"]
    ).packages
    assert packages.isdisjoint({"textual", "textual_serve", "tui", "twilio"}), packages


def test_the_machines_are_pure() -> None:
    packages = imports_in_fresh_process(["states"], then="states.to_mermaid(states.Kind.ALGORITHM)").packages
    assert "states" in packages
    assert packages.isdisjoint(
        {"sqlalchemy", "sqlmodel", "tracker", "tui", "textual", "alembic", "psycopg", "pydantic", "click"}
    ), packages


def test_import_linter_contracts_hold() -> None:
    script = Path(sys.executable).with_name("lint-imports")
    command = (
        [str(script)]
        if script.exists()
        else [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ]
    )
    done = subprocess.run([*command, "--no-cache"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
