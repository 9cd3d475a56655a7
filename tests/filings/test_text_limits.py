"""The same text rules on SQLite and PostgreSQL: NUL characters, undecodable bytes and over-long values are refused
by the service (exit 2) before anything is written, and values at the limit are stored on both."""

from __future__ import annotations

import pytest

from tests.helpers.cli import Beian
from tests.helpers.dump import dump_database
from tracker.domain import limits

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"


@pytest.fixture
def filled(beian: Beian) -> Beian:
    assert beian("org", "add", ORG, "--credit-code", CODE).code == 0
    assert beian("add", "星河写作助手", "--org", ORG).code == 0
    assert beian("add", "第二个", "--org", ORG).code == 0
    return beian


REFUSED = {
    "NUL in a title": ("add", "a\x00b", "--org", ORG),
    "100 KB title": ("add", "T" * 100_000, "--org", ORG),
    "201-character title": ("add", "题" * (limits.TITLE + 1), "--org", ORG),
    "201-character organisation": (
        "org",
        "add",
        "名" * (limits.ORGANISATION_NAME + 1),
        "--credit-code",
        "91110000100000000R",
    ),
    "NUL in an organisation": ("org", "add", "名\x00", "--credit-code", "91110000100000000R"),
    "undecodable bytes in a title": ("add", "abc\udcff", "--org", ORG),
    "2,001-character note": ("advance", "ALG-0001", "withdraw", "--note", "n" * (limits.NOTE + 1)),
    "NUL in a reason": ("advance", "ALG-0001", "withdraw", "--reason", "a\x00"),
    "121-character --by": ("advance", "ALG-0001", "withdraw", "--by", "b" * (limits.ACTOR + 1)),
    "NUL in a description": ("add", "x", "--org", ORG, "--description", "\x00"),
    "NUL in a material note": ("materials", "ALG-0001", "--done", "algo.self_assessment", "--note", "\x00"),
    "long material path": ("materials", "ALG-0001", "--done", "algo.self_assessment", "--file", "p" * 1001),
    "NUL in a recipient name": ("notify", "recipients", "add", "13800138000", "--org", ORG, "--name", "\x00"),
    "121-character recipient name": (
        "notify",
        "recipients",
        "add",
        "13800138000",
        "--org",
        ORG,
        "--name",
        "n" * 121,
    ),
}


@pytest.mark.parametrize("args", list(REFUSED.values()), ids=list(REFUSED))
def test_unstorable_text_is_refused_the_same_way_on_both_databases(
    filled: Beian, db_url: str, args: tuple[str, ...]
) -> None:
    before = dump_database(db_url)
    line = filled(*args).fails_cleanly(2)
    assert "characters" in line or "NUL" in line or "UTF-8" in line
    assert dump_database(db_url) == before


def test_text_at_the_limits_is_stored_on_both_databases(filled: Beian) -> None:
    title = "题" * limits.TITLE
    name = "名" * limits.ORGANISATION_NAME
    assert filled("org", "add", name, "--credit-code", "91110000100000000R").code == 0
    added = filled("add", title, "--org", name, "--json")
    assert added.code == 0 and added.json()["title"] == title
    note = "注" * limits.NOTE
    assert filled("advance", "ALG-0001", "withdraw", "--note", note, "--by", "b" * limits.ACTOR).code == 0
    assert filled("history", "ALG-0001", "--json").json()[-1]["note"] == note


def test_edits_are_checked_too(service: object) -> None:
    from tracker.domain import FilingDraft
    from tracker.errors import UsageError
    from tracker.filings.service import FilingService

    assert isinstance(service, FilingService)
    service.add_organisation(ORG, CODE)
    f = service.add_filing(FilingDraft(organisation=ORG, title="t"))
    with pytest.raises(UsageError, match="title"):
        service.update_filing(f.ref, title="x" * 201)
    with pytest.raises(UsageError, match="NUL"):
        service.update_filing(f.ref, description="\x00")
    assert service.filing(f.ref).version == f.version
