"""The `beian` command line, run in-process: help, the whole lifecycle as JSON, exit codes, apply, diagram, demo, init."""

from __future__ import annotations

import getpass
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

import states
from states import Kind
from tests.helpers.cli import Beian, Result, run_beian
from tracker.cli.main import _register_commands, cli

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
NUMBER = "网信算备110108555010101260013号"
HEAD = "0008_fill_sort_keys"


def tick_materials(url: str, ref: str) -> None:
    """Provide every checklist item, where the regulatory-rules layer exists (it refuses `submit` otherwise)."""
    from tracker.factory import open_store
    from tracker.filings.service import FilingService

    store = open_store(url)
    try:
        FilingService(store).rules.mark_all_provided(ref, actor="test")
    except ImportError:  # the rules layer is not installed at this revision
        pass
    finally:
        store.dispose()


def ok(result: Result) -> Result:
    """Assert success."""
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def setup_org(beian: Beian, url: str) -> None:
    """An organisation with an approved entity filing, through the CLI."""
    ok(beian("org", "add", ORG, "--credit-code", CODE, "--region", "110108", "--json"))
    entity = ok(beian("add", "主体备案", "--org", ORG, "--kind", "entity", "--json")).json()
    tick_materials(url, entity["ref"])
    for event in ("submit", "approve"):
        ok(beian("advance", entity["ref"], event, "--json"))


def add_algorithm(beian: Beian, url: str, title: str) -> str:
    """A new algorithm filing with its materials provided; returns its reference."""
    ref = str(ok(beian("add", title, "--org", ORG, "--json")).json()["ref"])
    tick_materials(url, ref)
    return ref


# -- help ------------------------------------------------------------------------------------------


def _command_paths() -> list[tuple[str, ...]]:
    _register_commands()
    paths: list[tuple[str, ...]] = [()]

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            paths.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(cli, ())
    return paths


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "beian")
def test_every_command_has_help_showing_its_docstring(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    command = _command(path)
    assert command.help and command.help.strip(), f"{' '.join(path)} has no docstring"
    result = run_beian(capsys, *path, "--help")
    assert result.code == 0, result.err
    assert result.err == ""
    first_line = command.help.strip().splitlines()[0]
    assert " ".join(first_line.split()) in " ".join(result.out.split())


def test_the_core_commands_are_all_registered() -> None:
    _register_commands()
    assert {
        "init",
        "demo",
        "org",
        "add",
        "list",
        "show",
        "events",
        "advance",
        "history",
        "apply",
        "diagram",
    } <= set(cli.commands)


# -- the whole lifecycle, as JSON ------------------------------------------------------------------


def _advance(beian: Beian, ref: str, event: str, *options: str) -> dict[str, Any]:
    """Advance through the CLI and check the JSON of the move; returns it."""
    before = ok(beian("show", ref, "--json")).json()
    moved = ok(beian("advance", ref, event, *options, "--json")).json()
    assert moved["version"] == before["version"] + 1, event
    assert moved["transition"]["event"] == event
    assert moved["transition"]["to"] == moved["stage"]
    assert moved["transition"]["source"] == "cli"
    return dict(moved)


def test_full_scenario_from_the_cli_with_json(beian: Beian, db_url: str) -> None:
    org = ok(beian("org", "add", ORG, "--credit-code", CODE, "--region", "110108", "--json")).json()
    assert (org["name"], org["credit_code"], org["region"]) == (ORG, CODE, "110108")
    assert isinstance(org["id"], int)

    entity = ok(beian("add", "星河主体备案", "--org", ORG, "--kind", "entity", "--json")).json()
    assert (entity["kind"], entity["stage"], entity["role"], entity["algorithm_type"]) == (
        "entity",
        "draft",
        None,
        None,
    )
    tick_materials(db_url, entity["ref"])
    assert _advance(beian, entity["ref"], "submit")["stage"] == "under_review"
    assert _advance(beian, entity["ref"], "approve")["stage"] == "approved"

    added = ok(beian("add", "星河对话算法", "--org", ORG, "--json")).json()
    ref = added["ref"]
    assert ref == "ALG-0001" and added["stage"] == "draft"
    tick_materials(db_url, ref)
    version = ok(beian("show", ref, "--json")).json()["version"]

    done: list[tuple[str, str]] = []

    def step(event: str, *options: str) -> str:
        stage = str(_advance(beian, ref, event, *options)["stage"])
        done.append((event, stage))
        return stage

    assert step("submit") == "initial_review"
    assert step("pass_review") == "second_review"
    assert step("return_for_revision", "--reason", "材料不全") == "returned"
    # a resubmitted filing re-enters where it was returned from (or, if so configured, the first review)
    assert step("resubmit") in ("second_review", "initial_review")
    while done[-1][1] != "final_review":
        step("pass_review")
    assert step("approve", "--filing-number", "网信算备 110108555010101260013 号") == "approved"
    assert step("request_change") == "change_review"
    assert step("approve_change") == "approved"
    assert step("request_cancellation") == "cancellation_review"
    assert step("confirm_cancellation") == "cancelled"

    shown = ok(beian("show", ref, "--json")).json()
    expected = {
        "id": added["id"],
        "ref": "ALG-0001",
        "kind": "algorithm",
        "title": "星河对话算法",
        "organisation": ORG,
        "algorithm_type": "generative",
        "role": "provider",
        "stage": "cancelled",
        "stage_zh": "已注销",
        "filing_number": NUMBER,  # spaces removed
        "returns": 1,
        "version": version + len(done),
    }
    assert {k: shown[k] for k in expected} == expected

    listed = ok(beian("list", "--json")).json()
    assert isinstance(listed, list)
    assert [f["ref"] for f in listed] == ["ALG-0001", "ENT-0001"]
    # `show` adds the regulator's clock to the object `list` gives
    assert listed[0] == {k: shown[k] for k in listed[0]}
    entity_shown = ok(beian("show", entity["ref"], "--json")).json()
    assert listed[1] == {k: entity_shown[k] for k in listed[1]}
    assert set(shown) - set(listed[0]) >= {"regulator_clock", "regulator_working_days"}

    history = ok(beian("history", ref, "--json")).json()
    assert [(t["event"], t["to"]) for t in history] == done
    assert [t["from"] for t in history] == ["draft", *(t["to"] for t in history[:-1])]
    assert history[2]["reason"] == "材料不全"
    approval = next(t for t in history if t["event"] == "approve")
    assert approval["filing_number"] == NUMBER
    assert all(t["source"] == "cli" and t["effective_at"].endswith("Z") for t in history)


def test_history_records_the_stage_each_event_left(beian_sqlite: Beian, sqlite_url: str) -> None:
    setup_org(beian_sqlite, sqlite_url)
    ref = add_algorithm(beian_sqlite, sqlite_url, "星河对话算法")
    ok(beian_sqlite("advance", ref, "submit"))
    ok(beian_sqlite("advance", ref, "pass_review"))
    history = ok(beian_sqlite("history", ref, "--json")).json()
    assert [(t["from"], t["to"]) for t in history] == [
        ("draft", "initial_review"),
        ("initial_review", "second_review"),
    ]


def test_text_output_speaks_both_languages(beian_sqlite: Beian, sqlite_url: str) -> None:
    setup_org(beian_sqlite, sqlite_url)
    ref = add_algorithm(beian_sqlite, sqlite_url, "星河对话算法")
    moved = ok(beian_sqlite("advance", ref, "提交"))
    assert "资质初审" in moved.out and "initial review" in moved.out
    listing = ok(beian_sqlite("list")).out
    assert ref in listing and "资质初审" in listing
    assert "审核通过" in ok(beian_sqlite("events", ref)).out


# -- exit codes from real bad input ----------------------------------------------------------------


@pytest.fixture
def portfolio(beian_sqlite: Beian, sqlite_url: str) -> str:
    """ALG-0001 in final review; ALG-0002 approved with NUMBER."""
    setup_org(beian_sqlite, sqlite_url)
    for title in ("一号算法", "二号算法"):
        ref = add_algorithm(beian_sqlite, sqlite_url, title)
        for event in ("submit", "pass_review", "pass_review"):
            ok(beian_sqlite("advance", ref, event))
    ok(beian_sqlite("advance", "ALG-0002", "approve", "--filing-number", NUMBER))
    return sqlite_url


def snapshot(beian: Beian) -> tuple[Any, ...]:
    """What a failed command must not change."""
    first = ok(beian("show", "ALG-0001", "--json")).json()
    second = ok(beian("show", "ALG-0002", "--json")).json()
    return (
        first["version"],
        first["stage"],
        first["filing_number"],
        len(ok(beian("history", "ALG-0001", "--json")).json()),
        second["version"],
        len(ok(beian("org", "list", "--json")).json()),
    )


BAD_INPUT = [
    ("unknown reference", ["advance", "ALG-0099", "withdraw"], 3, "ALG-0099"),
    ("event not allowed in the stage", ["advance", "ALG-0001", "submit"], 1, "not possible"),
    ("chinese event with a typo", ["advance", "ALG-0001", "审核通g"], 2, "审核通过"),
    ("approve without number", ["advance", "ALG-0001", "approve"], 1, "filing number"),
    (
        "approve with malformed number",
        ["advance", "ALG-0001", "approve", "-f", "网信算备11000000000001号"],
        1,
        "网信算备",
    ),
    ("approve with a duplicate number", ["advance", "ALG-0001", "approve", "-f", NUMBER], 1, "ALG-0002"),
    ("--at unparsable", ["advance", "ALG-0001", "withdraw", "--at", "last tuesday"], 2, "last tuesday"),
    (
        "--at before the previous event",
        ["advance", "ALG-0001", "withdraw", "--at", "2001-01-01"],
        1,
        "before its previous event",
    ),
    ("stale --if-version", ["advance", "ALG-0001", "withdraw", "--if-version", "1"], 4, "version"),
    (
        "invalid credit code",
        ["org", "add", "坏码公司", "--credit-code", "91110108MA01A2B3C0"],
        2,
        "统一社会信用代码",
    ),
    ("unknown kind", ["add", "x", "--org", ORG, "--kind", "algorythm"], 2, "algorithm"),
    ("unknown option", ["advance", "ALG-0001", "withdraw", "--frobnicate"], 2, "frobnicate"),
]


@pytest.mark.parametrize(("args", "code", "says"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_its_exit_code_one_line_and_changes_nothing(
    portfolio: str, beian_sqlite: Beian, args: list[str], code: int, says: str
) -> None:
    before = snapshot(beian_sqlite)
    result = beian_sqlite(*args)
    line = result.fails_cleanly(code)
    assert says in line
    assert result.out == ""
    assert snapshot(beian_sqlite) == before


def test_missing_folder_is_a_storage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for db in (str(tmp_path / "nowhere" / "beian.db"), f"sqlite:///{tmp_path}/nowhere/beian.db"):
        line = run_beian(capsys, "--db", db, "list").fails_cleanly(5)
        assert "nowhere" in line
    assert not (tmp_path / "nowhere").exists()


def test_a_file_that_is_not_a_database_is_a_storage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes, not a database\n" * 50, encoding="utf-8")
    for args in (["list"], ["advance", "ALG-0001", "submit"], ["init"]):
        line = run_beian(capsys, "--db", str(notes), *args).fails_cleanly(5)
        assert "not a" in line
    assert notes.read_text(encoding="utf-8") == "meeting notes, not a database\n" * 50


def test_a_locked_sqlite_file_is_a_storage_error(
    portfolio: str, beian_sqlite: Beian, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(beian_sqlite)
    monkeypatch.setenv("BEIAN_LOCK_TIMEOUT", "0.2")
    holder = sqlite3.connect(portfolio.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        line = beian_sqlite("advance", "ALG-0001", "withdraw").fails_cleanly(5)
        assert "locked" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(beian_sqlite) == before


def test_an_unreachable_postgresql_is_a_storage_error(capsys: pytest.CaptureFixture[str]) -> None:
    line = run_beian(capsys, "--db", "postgresql://postgres@127.0.0.1:1/test", "list").fails_cleanly(5)
    assert "127.0.0.1" in line


# -- apply -----------------------------------------------------------------------------------------


def _jsonl(*items: Any) -> str:
    return "".join(
        (item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)) + "\n" for item in items
    )


STREAM = _jsonl(
    {"ref": "ALG-0001", "event": "submit", "note": "第一批"},
    {"ref": "ALG-0404", "event": "submit"},
    '{"ref": "ALG-0001", "event": ',
    "",
    {"ref": "ALG-0001", "event": "审核通过", "by": "pm"},
)


@pytest.fixture
def draft(beian_sqlite: Beian, sqlite_url: str) -> str:
    """ALG-0001 in draft with its materials provided."""
    setup_org(beian_sqlite, sqlite_url)
    return add_algorithm(beian_sqlite, sqlite_url, "星河对话算法")


def test_apply_keeps_good_lines_and_reports_bad_ones_by_line(
    draft: str, beian_sqlite: Beian, tmp_path: Path
) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(STREAM, encoding="utf-8")
    result = beian_sqlite("apply", str(source))
    assert result.code == 3  # the first failure: line 2, an unknown reference
    assert result.out.splitlines() == [
        "line 1: ALG-0001 submit → initial_review",
        "line 5: ALG-0001 pass_review → second_review",
    ]
    assert "line 2: error:" in result.err and "ALG-0404" in result.err
    assert "line 3: error: not JSON" in result.err
    assert result.err.splitlines()[-1] == "2 applied, 2 failed"
    assert "Traceback" not in result.out + result.err
    history = ok(beian_sqlite("history", draft, "--json")).json()
    assert [(t["event"], t["source"], t["note"], t["actor"]) for t in history] == [
        (
            "submit",
            "apply",
            "第一批",
            getpass.getuser(),
        ),  # a line naming nobody records the person running it
        ("pass_review", "apply", None, "pm"),
    ]


def test_apply_json_report(draft: str, beian_sqlite: Beian, tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text(STREAM, encoding="utf-8")
    result = beian_sqlite("apply", str(source), "--json")
    assert result.code == 3
    lines = [json.loads(text) for text in result.out.splitlines()]  # one object per line, as committed
    assert result.err.splitlines()[-1] == "2 applied, 2 failed"
    by_line = {line["number"]: line for line in lines}
    assert set(by_line) == {1, 2, 3, 5}
    assert by_line[1]["ok"] and by_line[1]["stage"] == "initial_review"
    assert by_line[2]["exit_code"] == 3 and not by_line[2]["ok"]
    assert by_line[3]["exit_code"] == 2
    assert by_line[5]["ok"] and by_line[5]["event"] == "pass_review"


def test_apply_all_or_nothing_applies_none(draft: str, beian_sqlite: Beian, tmp_path: Path) -> None:
    unparsable = tmp_path / "unparsable.jsonl"
    unparsable.write_text(STREAM, encoding="utf-8")
    result = beian_sqlite("apply", "--all-or-nothing", str(unparsable))
    assert result.code == 2
    assert "nothing applied" in result.err

    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text(
        _jsonl({"ref": draft, "event": "submit"}, {"ref": "ALG-0404", "event": "submit"}), encoding="utf-8"
    )
    result = beian_sqlite("apply", "--all-or-nothing", str(unknown), "--json")
    assert result.code == 3
    lines = sorted((json.loads(text) for text in result.out.splitlines()), key=lambda line: line["number"])
    assert not any(line["ok"] for line in lines)
    assert [line.get("skipped", False) for line in lines] == [True, False]

    assert ok(beian_sqlite("history", draft, "--json")).json() == []
    assert ok(beian_sqlite("show", draft, "--json")).json()["stage"] == "draft"


def test_apply_reports_fields_of_the_wrong_type_as_usage_errors(
    draft: str, beian_sqlite: Beian, tmp_path: Path
) -> None:
    source = tmp_path / "typed.jsonl"
    source.write_text(
        _jsonl(
            {"ref": draft, "event": "submit", "note": 7},
            {"ref": draft, "event": "submit", "reason": ["材料"]},
            {"ref": draft, "event": "submit", "if_version": True},
            {"ref": draft, "event": "submit", "reopen": {"a": 1}},
            [draft, "submit"],
            {"ref": draft, "event": "submit", "colour": "red"},
            {"ref": draft},
        ),
        encoding="utf-8",
    )
    result = beian_sqlite("apply", str(source), "--json")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    lines = [json.loads(text) for text in result.out.splitlines()]
    assert result.err.splitlines()[-1] == "0 applied, 7 failed"
    assert [line["exit_code"] for line in lines] == [2] * 7
    assert ok(beian_sqlite("history", draft, "--json")).json() == []


def test_apply_reads_standard_input(draft: str, beian_sqlite: Beian, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys,
        "stdin",
        io.StringIO(_jsonl({"ref": draft, "event": "submit"}, {"ref": draft, "event": "pass_review"})),
    )
    result = ok(beian_sqlite("apply", "-"))
    assert "2 applied, 0 failed" in result.err
    assert ok(beian_sqlite("show", draft, "--json")).json()["stage"] == "second_review"


# -- diagram, demo, init ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "kind"),
    [((), Kind.ALGORITHM), (("--kind", "entity"), Kind.ENTITY), (("--kind", "主体备案"), Kind.ENTITY)],
)
def test_diagram_shows_every_transition(
    option: tuple[str, ...], kind: Kind, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_beian(capsys, "diagram", *option)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for t in states.machine_config(kind)["transitions"]:
        assert any(line.strip().startswith(f"{t['source']} --> {t['dest']}:") for line in lines), t
    assert ("under_review" in result.out) is (kind is Kind.ENTITY)
    assert ("initial_review" in result.out) is (kind is Kind.ALGORITHM)


def test_demo_fills_an_empty_database_once(beian_sqlite: Beian) -> None:
    first = ok(beian_sqlite("demo", "--json")).json()
    assert first["seeded"] is True and first["filings"] > 0
    filings = ok(beian_sqlite("list", "--json")).json()
    assert len(filings) == first["filings"]
    assert len({f["stage"] for f in filings}) > 3  # a portfolio at many stages, not a row of drafts
    assert ok(beian_sqlite("demo", "--json")).json() == {"seeded": False, "filings": 0}
    assert "nothing added" in ok(beian_sqlite("demo")).out
    assert ok(beian_sqlite("list", "--json")).json() == filings


def test_demo_leaves_a_database_with_data_alone(beian_sqlite: Beian) -> None:
    ok(beian_sqlite("org", "add", ORG, "--credit-code", CODE))
    assert ok(beian_sqlite("demo", "--json")).json() == {"seeded": False, "filings": 0}
    assert ok(beian_sqlite("list", "--json")).json() == []


def test_init_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.db"
    first = run_beian(capsys, "--db", str(path), "init")
    assert first.code == 0, first.err
    assert "created" in first.out and HEAD in first.out
    second = run_beian(capsys, "--db", str(path), "init")
    assert second.code == 0 and "up to date" in second.out
    again = run_beian(capsys, "--db", f"sqlite:///{path}", "init", "--json")
    assert again.code == 0
    assert again.json() == {"database": str(path), "from_revision": HEAD, "revision": HEAD, "backup": None}
    assert run_beian(capsys, "--db", str(path), "list", "--json").json() == []


def test_init_json_on_a_new_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fresh.db"
    result = run_beian(capsys, "--db", str(path), "init", "--json")
    assert result.code == 0, result.err
    assert result.json() == {"database": str(path), "from_revision": None, "revision": HEAD, "backup": None}


def test_a_missing_database_file_asks_for_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = run_beian(capsys, "--db", str(tmp_path / "absent.db"), "list").fails_cleanly(5)
    assert "beian init" in line
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", [["list"], ["list", "--json"], ["history", "ENT-0001"], ["diagram"]], ids=" ".join
)
def test_a_reader_that_stops_early_is_not_an_error(
    beian_sqlite: Beian, sqlite_url: str, args: list[str]
) -> None:
    """`beian list | head -1`: exit 0 and nothing on stderr, even under `set -o pipefail`."""
    setup_org(beian_sqlite, sqlite_url)
    command = [sys.executable, "-m", "tracker", "--db", sqlite_url, *args]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None
    reader.stdout.close()  # the reader is gone before the first line is written
    _, err = reader.communicate()
    assert (reader.returncode, err.decode()) == (0, "")
