"""Stored text never drives the terminal: every human-readable output shows control characters as escapes.

Titles, notes, reasons, `--by`, organisation and recipient names, material notes and paths go in raw through
the CLI; `list`, `show`, `history`, `org list`, `materials`, `notify recipients list`, `notify list`,
`notify preview`, `forecast`, `dates`, the `added …` lines and error lines come out with `\\x1b` where ESC
was. JSON keeps the exact text (JSON escapes by itself). The SMS body carries no control character.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.cli import Beian, Result
from tracker.domain import inputs
from tracker.domain.safe import UNSAFE, mask_credentials, sms_text, visible

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
"""What must never reach a terminal (LF and TAB aside)."""

HOSTILE = {
    "colour": "\x1b[31mred\x1b[0m",
    "clear screen": "\x1b[2J\x1b[H",
    "window title": "\x1b]0;pwned\x07",
    "bell": "ding\x07",
    "bare CR": "over\rwrite",
    "8-bit CSI": "x\x9b31m",
    "bidi override": "abc\u202edcba",
    "DEL and NEL": "a\x7fb\x85c",
}


def clean(result: Result) -> Result:
    """Assert no raw control character in stdout or stderr (other than line breaks)."""
    assert not RAW.search(result.out), repr(result.out)
    assert not RAW.search(result.err), repr(result.err)
    assert "Traceback" not in result.err
    return result


def ok(result: Result) -> Result:
    assert result.code == 0, (result.code, result.err)
    return clean(result)


def test_every_text_command_escapes_stored_control_characters(beian: Beian) -> None:
    payload = "|".join(HOSTILE.values())
    org = f"恶意{payload}有限公司"
    added_org = ok(beian("org", "add", org, "--credit-code", CODE))
    assert visible(inputs.clean(org)) in added_org.out  # names and titles lose invisible and bidi characters
    added = ok(beian("add", f"标题{payload}", "--org", CODE, "--description", payload))
    assert "标题" + visible(payload) in added.out
    ok(beian("add", "第二个", "--org", CODE))
    ok(beian("advance", "ALG-0002", "withdraw", "--note", payload, "--by", f"王{payload}"))
    ok(
        beian(
            "materials",
            "ALG-0001",
            "--done",
            "algo.self_assessment",
            "--file",
            f"/p/{payload}",
            "--note",
            payload,
        )
    )
    ok(beian("notify", "recipients", "add", "13800138000", "--org", CODE, "--name", f"王{payload}"))
    ok(beian("dates", "ALG-0001", "--launch", "2026-11-02"))
    shown = {
        "list": ok(beian("list")),
        "show": ok(beian("show", "ALG-0001")),
        "history": ok(beian("history", "ALG-0002")),
        "org list": ok(beian("org", "list")),
        "materials": ok(beian("materials", "ALG-0001")),
        "recipients": ok(beian("notify", "recipients", "list")),
        "preview": ok(beian("notify", "preview", "ALG-0001")),
        "forecast": ok(beian("forecast", "ALG-0001")),
        "dates": ok(beian("dates", "ALG-0001")),
        "notify list": ok(beian("notify", "list")),
        "events": ok(beian("events", "ALG-0001")),
    }
    # the escape is there for the reader to see (unless the cell was cut or the text is not shown there)
    assert visible(payload) in shown["show"].out
    assert visible(payload) in shown["history"].out
    # JSON keeps the exact text
    assert beian("show", "ALG-0001", "--json").json()["title"] == f"标题{payload}"
    assert beian("history", "ALG-0002", "--json").json()[-1]["note"] == payload


def test_the_sms_body_carries_no_control_character(beian: Beian) -> None:
    ok(beian("org", "add", "恶意\x1b[2J\r有限公司", "--credit-code", CODE))
    ok(beian("add", "标题\x1b]0;x\x07\u202e\n二行", "--org", CODE))
    ok(beian("notify", "recipients", "add", "13800138000", "--org", CODE))
    body = beian("notify", "preview", "ALG-0001", "--json").json()["body"]
    assert not UNSAFE.search(body.replace("\n", ""))
    assert "标题]0;x 二行" in body, "a line break inside a value becomes a space"
    assert "恶意[2J 有限公司" in body


@pytest.mark.parametrize(
    "args",
    [
        ("show", "X\x1b[2J"),
        ("notify", "recipients", "add", "13800138000", "--org", "\x1b]0;t\x07"),
        ("advance", "ALG-0001", "sub\x1b[2Jmit"),
        ("list", "--sort", "\x1b[31m"),
        ("org", "add", "名", "--credit-code", "\x1b[2J"),
    ],
)
def test_error_lines_escape_control_characters(beian: Beian, args: tuple[str, ...]) -> None:
    result = clean(beian(*args))
    assert result.code in (2, 3)
    line = result.fails_cleanly(result.code)
    assert "\\x1b" in line


def test_an_error_line_with_a_newline_stays_one_line(beian: Beian) -> None:
    result = clean(beian("show", "ALG-1\nbeian: error: fake"))
    result.fails_cleanly(3)


def test_tables_fit_the_terminal_width(beian: Beian, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(beian("org", "add", ORG + "很长很长很长的名字", "--credit-code", CODE))
    ok(beian("add", "一个相当长的标题，用来检查表格是否适合终端宽度" * 2, "--org", CODE))
    monkeypatch.setenv("COLUMNS", "60")
    for args in (("list",), ("show", "ALG-0001"), ("org", "list"), ("materials", "ALG-0001")):
        out = ok(beian(*args)).out
        from tracker.cli.text.common import width

        table_lines = [line for line in out.splitlines() if "  " in line]
        assert all(width(line) <= 60 for line in table_lines), (args, out)
        assert "…" in out
    monkeypatch.delenv("COLUMNS")
    assert "…" not in ok(beian("list")).out, "a pipe gets whole cells"


def test_visible_escapes_what_a_terminal_acts_on() -> None:
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("a\rb\tc\nd") == "a\\rb\\tc\\nd"
    assert visible("a\rb\tc\nd", lines=True) == "a\\rb\tc\nd"
    assert visible("\u202eabc\u2066") == "\\u202eabc\\u2066"
    assert visible("\x9b\x7f\x00") == "\\x9b\\x7f\\x00"
    assert visible("\udcff") == "\\udcff"
    keep = "北京 Écrivain 👩\u200d💻 ＡＩ"
    assert visible(keep) == keep


def test_sms_text_removes_control_characters() -> None:
    assert sms_text("a\x1b[2Jb\x07c\rd\u202ee\nf") == "a[2Jbc de\nf"


@pytest.mark.parametrize(
    ("shown", "masked"),
    [
        ("postgresql://beian:s3cret@db/beian", "postgresql://beian:***@db/beian"),
        ("postgresql+psycopg//postgres:PASSWORD@host/db", "postgresql+psycopg//postgres:***@host/db"),
        ("https://AC123:tok@api.twilio.com/x", "https://AC123:***@api.twilio.com/x"),
        ("host=db password=pw user=x", "host=db password=*** user=x"),
        ("Authorization: Basic QUMxMjM6dG9rZW4=", "Authorization: Basic ***"),
        ("no secret here", "no secret here"),
        ("postgres:PW@host/db", "postgres:***@host/db"),
        ("'postgresql://u:p@ss:PW@host:notaport/db'", "'postgresql://u:***@host:notaport/db'"),
        ("postgresql://u:a/b#c?PW@host/db", "postgresql://u:***@host/db"),
        ("postgresql://u:a//PW@host/db", "postgresql://u:***@host/db"),
        ("sqlite:///home/u@x/beian.db", "sqlite:///home/u@x/beian.db"),
        ("write to a@b.cn at 12:00", "write to a@b.cn at 12:00"),
    ],
)
def test_credentials_are_masked(shown: str, masked: str) -> None:
    assert mask_credentials(shown) == masked


def test_twilio_errors_lose_control_characters_and_echoed_credentials() -> None:
    from tracker.notify.twilio_sender import _clean

    text = "\x1b[31mUnable to create record:\x1b[0m bad \x07 url https://AC1:tok3n@proxy.local/ Basic QUMxOnRvazNu"
    cleaned = _clean(text, ("tok3n",))
    assert "tok3n" not in cleaned and "QUMxOnRvazNu" not in cleaned
    assert not RAW.search(cleaned)
    assert "AC1:***@proxy.local" in cleaned


def test_dashboard_cells_escape_control_characters() -> None:
    from tui.view.labels import fit

    cell = fit("a\x1b[2Jb", 20)
    assert "\x1b" not in cell and "\\x1b" in cell


def test_every_text_output_of_the_cli_goes_through_the_sanitiser() -> None:
    """One choke point: commands and text modules print with `echo`/`table` (which escape), never directly."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "tracker" / "cli"
    allowed = {root / "text" / "common.py", root / "main.py"}
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"click\.echo\(|(?<![\w.])print\(|sys\.stdout\.write\(", line) and "# raw: " not in line
    ]
    assert offenders == []


def test_apply_json_report_keeps_control_characters_as_json_escapes(beian: Beian, tmp_path: object) -> None:
    """`apply --json` writes each line's report through the JSON encoder only: a control character in the input
    comes back as a `\\u` escape that decodes to the character itself, never as a visible `\\x1b` text."""
    import json
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    source = tmp_path / "events.jsonl"
    ref = "ALG-\x1b[2J\x07\u202e\x9b1"
    source.write_text(json.dumps({"ref": ref, "event": "submit"}) + "\n", encoding="utf-8")
    result = beian("apply", str(source), "--json")
    assert result.code == 3 and "Traceback" not in result.err  # no such filing
    assert not RAW.search(result.out), repr(result.out)
    assert not RAW.search(result.err), repr(result.err)
    (line,) = result.out.splitlines()
    report = json.loads(line)
    assert report["ok"] is False
    assert report["ref"] == ref
