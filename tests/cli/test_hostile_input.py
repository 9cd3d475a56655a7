"""Careless and hostile input (issue 10, kinds 1, 2, 3, 7, 9 and 11): one clear line, the documented exit code,
no traceback, and a database identical before and after every refusal, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import Beian, Result
from tests.helpers.dump import dump_database
from tests.helpers.seed import CODE, ORG, seed
from tests.helpers.sms import FakeSender, permanent

OTHER_CODE = "91110108788888888K"
HUGE = "99999999999999999999"
ZWSP = "\u200b"


@pytest.fixture
def seeded(db_url: str, beian: Beian) -> Beian:
    """`beian` on a database holding `seed`."""
    seed(db_url)
    return beian


def refused(beian: Beian, url: str, *args: str, code: int) -> str:  # one case: see also REFUSALS
    """Run a command that must fail with `code`, one line and no change; returns the error line."""
    before = dump_database(url)
    line = beian(*args).fails_cleanly(code)
    assert dump_database(url) == before, args
    return line


REFUSALS = [
    # 1. references and ids: normalised, bounded, never a traceback
    ("huge id", ["show", HUGE], 3, "no filing"),
    ("id beyond PostgreSQL integer", ["show", "2147483648"], 3, "no filing"),
    ("superscript two", ["show", "²"], 3, "no filing '²'"),
    ("full-width unknown reference", ["show", "ＡＬＧ－９９９９"], 3, "no filing"),
    ("empty reference", ["show", ""], 2, "reference is needed"),
    ("history of a huge id", ["history", HUGE], 3, "no filing"),
    ("events of a huge id", ["events", HUGE], 3, "no filing"),
    ("advance a huge id", ["advance", HUGE, "submit"], 3, "no filing"),
    ("forecast of a huge id", ["forecast", HUGE], 3, "no filing"),
    ("materials of a huge id", ["materials", HUGE], 3, "no filing"),
    ("dates of a huge id", ["dates", HUGE], 3, "no filing"),
    ("add --org huge id", ["add", "t", "--org", HUGE], 3, "no organisation"),
    ("list --org huge id", ["list", "--org", HUGE], 3, "no organisation"),
    ("list --org superscript", ["list", "--org", "²"], 3, "no organisation"),
    (
        "recipient for a huge filing",
        ["notify", "recipients", "add", "13800138000", "--filing", HUGE],
        3,
        "no filing",
    ),
    (
        "recipient for a huge org",
        ["notify", "recipients", "add", "13800138000", "--org", HUGE],
        3,
        "organisation",
    ),
    ("recipients of a huge filing", ["notify", "recipients", "list", "--filing", HUGE], 3, "no filing"),
    ("notify retry huge", ["notify", "retry", HUGE], 3, "no message"),
    ("notify retry superscript", ["notify", "retry", "²"], 2, "not a number"),
    ("notify resolve huge", ["notify", "resolve", HUGE], 3, "no message"),
    ("remove a huge recipient", ["notify", "recipients", "remove", HUGE], 3, "no recipient"),
    ("notify list --filing huge", ["notify", "list", "--filing", HUGE], 3, "no filing"),
    ("notify preview huge", ["notify", "preview", HUGE], 3, "no filing"),
    ("--if-version huge", ["advance", "ALG-0001", "submit", "--if-version", HUGE], 2, "version"),
    ("--limit huge", ["list", "--limit", HUGE], 2, "--limit"),
    ("NUL reference", ["show", "\x00"], 2, "NUL character"),
    ("NUL in a reference", ["advance", "ALG-0001\x00", "submit"], 2, "NUL character"),
    ("list --org NUL", ["list", "--org", "\x00"], 2, "NUL character"),
    ("list --org empty", ["list", "--org", ""], 2, "organisation is needed"),
    ("add --org NUL", ["add", "t", "--org", "北京\x00"], 2, "NUL character"),
    # 2. dates and times: a plausible window, stated
    ("--at year 1", ["advance", "ALG-0001", "submit", "--at", "0001-01-01"], 2, "2000-01-01..2100-12-31"),
    (
        "--at year 9999 with offset",
        ["advance", "ALG-0001", "submit", "--at", "9999-12-31T23:00:00-08:00"],
        2,
        "2100",
    ),
    ("--at empty", ["advance", "ALG-0001", "submit", "--at", ""], 2, "empty"),
    ("--at only invisible", ["advance", "ALG-0001", "submit", "--at", ZWSP], 2, "empty"),
    ("--at impossible day", ["advance", "ALG-0001", "submit", "--at", "2026-02-30"], 2, "cannot read"),
    ("launch in 9999", ["dates", "ALG-0001", "--launch", "9999-12-31"], 2, "2000-01-01..2100-12-31"),
    ("launch 500 years ago", ["dates", "ALG-0001", "--launch", "1526-01-01"], 2, "plausible window"),
    ("add --launch-date 9999", ["add", "x", "--org", ORG, "--launch-date", "9999-12-31"], 2, "2100-12-31"),
    ("add --launch-date empty", ["add", "x", "--org", ORG, "--launch-date", ""], 2, "empty"),
    (
        "termination before launch",
        ["dates", "ALG-0001", "--launch", "2026-05-01", "--termination", "2026-01-01"],
        2,
        "before the launch date",
    ),
    # 7. silently ignored input
    (
        "--filing-number on submit",
        ["advance", "ALG-0001", "submit", "--filing-number", "X"],
        2,
        "no filing number",
    ),
    (
        "--filing-number on pass_review",
        ["advance", "ALG-0001", "pass_review", "-f", "X"],
        2,
        "no filing number",
    ),
    ("--reason on submit", ["advance", "ALG-0001", "submit", "--reason", "why"], 2, "records no reason"),
    (
        "invisible --reason on submit",
        ["advance", "ALG-0001", "submit", "--reason", ZWSP],
        2,
        "records no reason",
    ),
    (
        "--reopen on submit",
        ["advance", "ALG-0001", "submit", "--reopen", "algo.self_assessment"],
        2,
        "reopens",
    ),
    (
        "look-alike organisation",
        ["org", "add", ORG + ZWSP, "--credit-code", OTHER_CODE],
        2,
        "exists already",
    ),
    (
        "full-width look-alike",
        ["org", "add", "北京星河智算科技有限公司 ", "--credit-code", OTHER_CODE],
        2,
        "exists",
    ),
    (
        "organisation named like an id",
        ["org", "add", "123", "--credit-code", OTHER_CODE],
        2,
        "looks like an id",
    ),
    ("named like a credit code", ["org", "add", CODE, "--credit-code", OTHER_CODE], 2, "credit code"),
    (
        "region 000000",
        ["org", "add", "某公司", "--credit-code", OTHER_CODE, "--region", "000000"],
        2,
        "region",
    ),
    (
        "region of 5 digits",
        ["org", "add", "某公司", "--credit-code", OTHER_CODE, "--region", "11010"],
        2,
        "region",
    ),
    ("--interval nan", ["notify", "run", "--interval", "nan"], 2, "not a real number"),
    ("--interval inf", ["notify", "run", "--interval", "inf"], 2, "not a real number"),
    ("--days nan", ["notify", "status", "--days", "nan"], 2, "not a real number"),
    ("--days inf", ["notify", "status", "--days", "inf"], 2, "not a real number"),
    ("--within huge", ["due", "--within", HUGE], 2, "--within"),
    (
        "--done and --undo of one item",
        ["materials", "ALG-0001", "--done", "algo.self_assessment", "--undo", "ALGO.self_assessment"],
        2,
        "both --done and --undo",
    ),
    # 6. the same rules on both databases
    ("search with NUL", ["list", "--search", "a\x00b"], 2, "NUL character"),
    ("search of 100,000 characters", ["list", "--search", "长" * 100_000], 2, "at most 200"),
    # 9. exit codes that tell the truth
    ("list --org unknown", ["list", "--org", "不存在"], 3, "no organisation '不存在'"),
    ("list --org unknown, JSON", ["list", "--org", "不存在", "--json"], 3, "no organisation"),
]


def test_refused_input_is_one_line_with_its_exit_code_and_changes_nothing(seeded: Beian, db_url: str) -> None:
    """Every case in `REFUSALS`, one after the other on one database (each leaves it as it was)."""
    wrong = []
    for name, args, code, says in REFUSALS:
        before = dump_database(db_url)
        result = seeded(*args)
        lines = result.err.splitlines()
        if not (
            result.code == code
            and len(lines) == 1
            and lines[0].startswith("beian: error: ")
            and says in lines[0]
            and dump_database(db_url) == before
        ):
            wrong.append((name, result.code, result.err[:300]))
    assert wrong == []


def test_a_huge_argument_is_quoted_short(seeded: Beian, db_url: str) -> None:
    for args, code in ((["show", "x" * 120_000], 3), (["advance", "ALG-0001", "y" * 120_000], 2)):
        line = refused(seeded, db_url, *args, code=code)
        assert len(line) < 300 and "…" in line


def test_references_are_read_as_typed_by_input_methods(seeded: Beian) -> None:
    for typed in ("ＡＬＧ－０００１", "alg-0001", "ALG-1", f"ALG-0001{ZWSP}", "ALG‐0001"):
        result = seeded("show", typed, "--json")
        assert result.code == 0 and result.json()["ref"] == "ALG-0001", (typed, result.err)
    filing_id = str(seeded("show", "ALG-0001", "--json").json()["id"])
    full_width_id = filing_id.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert seeded("show", full_width_id, "--json").json()["ref"] == "ALG-0001"


def test_organisations_are_found_by_normalised_name(seeded: Beian) -> None:
    added = seeded(
        "org",
        "add",
        "Ｗｉｄｅ科技有限公司",
        "--credit-code",
        OTHER_CODE,
        "--region",
        "１１０１０８",
        "--json",
    )
    assert added.code == 0, added.err
    assert (added.json()["name"], added.json()["region"]) == ("Wide科技有限公司", "110108")
    assert seeded("add", "宽", "--org", "ｗｉｄｅ科技有限公司", "--json").code == 0
    for org in ("Ｗｉｄｅ科技有限公司", "WIDE科技", f"wide科技有限公司{ZWSP}"):
        result = seeded("list", "--org", org, "--json")
        assert result.code == 0 and [f["title"] for f in result.json()] == ["宽"], (org, result.err)


@pytest.mark.parametrize("needle", ["ＡＩ写作", "ai写作", "Écrivain", "écrivain", "ÉCRIVAIN", "ａｉ"])
def test_search_folds_width_and_case_alike_on_both_databases(seeded: Beian, needle: str) -> None:
    for args in (("list", "--search", needle, "--json"), ("list", "--search", needle)):
        result = seeded(*args)
        assert result.code == 0 and "ALG-0001" in result.out, (needle, result.out)


@pytest.fixture
def tokyo() -> Iterator[None]:
    """This process in Tokyo time (UTC+9) for the test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        yield
    finally:
        os.environ["TZ"] = before or "Asia/Shanghai"
        time.tzset()


def test_a_date_alone_is_that_day_in_beijing_whatever_the_zone(seeded: Beian, tokyo: None) -> None:
    result = seeded("advance", "ALG-0001", "submit", "--at", "2025-11-03", "--json")
    assert result.code == 0, result.err
    assert result.json()["transition"]["effective_at"] == "2025-11-02T16:00:00Z"
    result = seeded("advance", "ALG-0001", "pass_review", "--at", "2025-11-04 09:30", "--json")
    assert result.json()["transition"]["effective_at"] == "2025-11-04T01:30:00Z"


def test_reasons_of_invisible_characters_are_no_reason(seeded: Beian, db_url: str) -> None:
    assert seeded("advance", "ALG-0001", "submit", "--at", "2025-11-03").code == 0
    line = refused(seeded, db_url, "advance", "ALG-0001", "return_for_revision", "--reason", ZWSP * 3, code=1)
    assert "needs a reason" in line


def test_an_effective_time_before_the_previous_event_is_refused(seeded: Beian, db_url: str) -> None:
    assert seeded("advance", "ALG-0001", "submit", "--at", "2025-11-03").code == 0
    line = refused(seeded, db_url, "advance", "ALG-0001", "pass_review", "--at", "2025-11-01", code=1)
    assert "before its previous event" in line


def test_a_bad_date_stored_earlier_is_reported_not_a_crash(seeded: Beian, db_url: str) -> None:
    """A launch date of 9999-12-31 written before dates were checked: `due`, `list --overdue`, `dates` survive."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE filing SET launch_date = :d WHERE ref = 'ALG-0001'"), {"d": "9999-12-31"})
    engine.dispose()
    for args in (
        ("due",),
        ("due", "--json"),
        ("list", "--overdue"),
        ("dates", "ALG-0001"),
        ("show", "ALG-0001"),
    ):
        result = seeded(*args)
        assert result.code == 0, (args, result.err)
        assert "Traceback" not in result.err
    assert "9999-12-31 is outside 2000-01-01..2100-12-31" in seeded("dates", "ALG-0001").err
    assert seeded("dates", "ALG-0001", "--clear", "launch").code == 0


def test_a_stored_value_that_cannot_be_read_is_one_line_exit_5(beian_sqlite: Beian, sqlite_url: str) -> None:
    """A date column holding `garbage` (written into the SQLite file by another program): every command that
    reads the row says so in one line, exit 5, no traceback."""
    import sqlite3

    seed(sqlite_url)
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE filing SET launch_date = 'garbage' WHERE ref = 'ALG-0001'")
    for args in (("due",), ("list", "--overdue"), ("dates", "ALG-0001"), ("show", "ALG-0001"), ("list",)):
        line = beian_sqlite(*args).fails_cleanly(5)
        assert "cannot be read" in line and "garbage" in line, line


def test_settings_that_are_not_real_numbers_are_refused(
    seeded: Beian, monkeypatch: pytest.MonkeyPatch
) -> None:
    for value in ("inf", "nan", "-1"):
        monkeypatch.setenv("BEIAN_TWILIO_TIMEOUT", value)
        assert "twilio_timeout" in seeded("org", "list").fails_cleanly(2)


# -- kind 9: an SMS refused for good after the transition committed ------------------------------------


def test_advance_whose_sms_fails_for_good_commits_says_so_and_exits_0(
    seeded: Beian, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.filings.service import FilingService
    from tracker.notify.service import NotifyService

    gateway = FakeSender(errors=[permanent(21211)])
    monkeypatch.setattr(
        FilingService,
        "notify",
        property(lambda self: NotifyService(self.store, self.settings, clock=self.clock, sender=gateway)),
    )
    assert seeded("notify", "recipients", "add", "13800138000", "--org", ORG).code == 0
    for event in ("submit", "pass_review", "pass_review"):
        assert seeded("advance", "ALG-0001", event).code == 0
    result = seeded("advance", "ALG-0001", "approve", "-f", "网信算备110108555010101260013号", "--json")
    assert result.code == 0, result.err  # the approval is recorded: the exit code says so
    data = result.json()
    assert (data["stage"], data["notifications_queued"], data["notifications_sent"]) == ("approved", 1, 0)
    assert data["notifications_failed"] == 1
    assert "warning: 1 SMS failed for good" in result.err
    assert "21211" in seeded("notify", "list", "--status", "failed").out


# -- kind 3: `beian apply` streams -----------------------------------------------------------------------


def _line(**fields: object) -> bytes:
    return (json.dumps(fields, ensure_ascii=False) + "\n").encode()


BAD_STREAMS = [
    ("random bytes", b"\x9c\xff\x00\x81garbage\xfe\n\xc3\x28\n", "not UTF-8"),
    ("UTF-16", _line(ref="ALG-0001", event="submit").decode().encode("utf-16"), "UTF-16"),
    ("one Latin-1 byte", b'{"ref": "ALG-0001", "event": "submit", "note": "caf\xe9"}\n', "not UTF-8"),
    ("lone surrogate", b'{"ref": "ALG-0001", "event": "submit", "note": "\\ud800"}\n', "not valid Unicode"),
    ("100,000 brackets", b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested"),
    (
        "5,000-digit number",
        b'{"ref": "ALG-0001", "event": "submit", "if_version": ' + b"9" * 5000 + b"}\n",
        "too large",
    ),
    ("1e999", b'{"ref": "ALG-0001", "event": "submit", "if_version": 1e999}\n', "too large"),
    ("NaN", b'{"ref": "ALG-0001", "event": "submit", "if_version": NaN}\n', "NaN"),
    ("duplicate keys", b'{"ref": "ALG-0001", "event": "submit", "event": "withdraw"}\n', "appears twice"),
    ("huge ref", b'{"ref": ' + HUGE.encode() + b', "event": "submit"}\n', "no filing"),
    ("superscript ref", _line(ref="²", event="submit"), "no filing"),
    ("at in year 1", _line(ref="ALG-0001", event="submit", at="0001-01-01"), "2000-01-01..2100-12-31"),
    ("at in 9999", _line(ref="ALG-0001", event="submit", at="9999-12-31T23:00:00-08:00"), "plausible window"),
    ("reason on submit", _line(ref="ALG-0001", event="submit", reason="why"), "records no reason"),
    ("if_version huge", _line(ref="ALG-0001", event="submit", if_version=2**40), "if_version"),
]


def test_apply_reports_each_bad_line_and_changes_nothing(seeded: Beian, db_url: str, tmp_path: Path) -> None:
    """Every stream in `BAD_STREAMS`: a report on stderr, nothing on stdout, nothing written."""
    wrong = []
    for name, content, says in BAD_STREAMS:
        source = tmp_path / "events.jsonl"
        source.write_bytes(content)
        before = dump_database(db_url)
        result = seeded("apply", str(source))
        if not (
            result.code in (2, 3)
            and says in result.err
            and result.out == ""
            and "Traceback" not in result.err
            and result.err.splitlines()[-1].startswith("0 applied")
            and dump_database(db_url) == before
        ):
            wrong.append((name, result.code, result.err[:300]))
    assert wrong == []


def test_apply_accepts_a_leading_bom(seeded: Beian, tmp_path: Path) -> None:
    source = tmp_path / "notepad.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + _line(ref="ＡＬＧ－０００１", event="提交", at="2025-11-03"))
    result = seeded("apply", str(source))
    assert result.code == 0, result.err
    assert result.out == "line 1: ALG-0001 submit → initial_review\n"


def test_apply_goes_on_after_a_bad_line_and_reports_every_line(seeded: Beian, tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_bytes(
        _line(ref="ALG-0001", event="submit", at="2025-11-03")
        + _line(ref="ALG-0001", event="pass_review", at="0001-01-01")
        + b"\xff\xfe\n"
        + _line(ref="ALG-0001", event="pass_review", at="2025-11-05")
    )
    result = seeded("apply", str(source), "--json")
    assert result.code == 2
    lines = [json.loads(text) for text in result.out.splitlines()]
    assert [(line["number"], line["ok"]) for line in lines] == [(1, True), (2, False), (3, False), (4, True)]
    errors = [text for text in result.err.splitlines() if text.startswith("beian: line")]
    assert [text.split(":")[1] for text in errors] == [" line 2", " line 3"]
    assert result.err.splitlines()[-1] == "2 applied, 2 failed"
    assert seeded("show", "ALG-0001", "--json").json()["stage"] == "second_review"


def test_apply_bounds_a_line_and_the_stream(seeded: Beian, tmp_path: Path) -> None:
    source = tmp_path / "long.jsonl"
    source.write_bytes(
        b'{"note": "' + b"x" * (1 << 20) + b'"}\n' + _line(ref="ALG-0001", event="submit", at="2025-11-03")
    )
    result = seeded("apply", str(source))
    assert result.code == 2 and "line 1: error: line longer than 1024 KiB" in result.err
    assert result.out == "line 2: ALG-0001 submit → initial_review\n"


def test_apply_dev_zero_ends_with_an_error(beian_sqlite: Beian, sqlite_url: str) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    before = dump_database(sqlite_url)
    result: Result = beian_sqlite("apply", "/dev/zero")
    assert result.code == 2
    assert "input larger than 64 MiB" in result.err
    assert dump_database(sqlite_url) == before


def test_apply_of_a_missing_file_is_usage(beian_sqlite: Beian, tmp_path: Path) -> None:
    assert "cannot read" in beian_sqlite("apply", str(tmp_path / "absent.jsonl")).fails_cleanly(2)
