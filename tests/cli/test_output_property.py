"""Property: whatever Unicode goes into a stored text field through the CLI (control characters, ESC sequences, bidi
marks, zero-width characters, full-width digits, lone surrogates, NUL), no human-readable output of any command
carries a raw control character, and nothing ends in a traceback.

Each example adds an organisation, a filing, a history row, a ticked material and a recipient holding the text,
then reads them back through every text command and one error line.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.cli import Result, run_beian
from tracker.filings.identity import credit_code_check_char

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PROFILE = settings(
    max_examples=10 if IN_CI else 20,
    deadline=None,
    derandomize=IN_CI,  # CI runs the same examples every time; locally each run explores new ones
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
"""Nothing a terminal acts on, no lone surrogate; LF and TAB only as layout (tables never contain TAB)."""

NASTY = (
    [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\x9b", "\x9d", "\u061c", "\u200b", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff", "\udcff", "\ud800", "１", "２", "Ａ", "\x1b[2J", "\x1b]0;title\x07", "\x1b[31m", "\r\n"]
)
TEXT = st.lists(
    st.one_of(st.sampled_from(NASTY), st.characters(codec="utf-8"), st.sampled_from("北京星河ÉA 1")),
    min_size=1,
    max_size=20,
).map("".join)


def _codes() -> itertools.count[int]:
    return itertools.count(1)


def credit_code(n: int) -> str:
    first = f"91110108MA{n:07d}"
    return first + credit_code_check_char(first)


def check(result: Result) -> Result:
    assert "Traceback" not in result.out + result.err, result.err
    assert result.code in (0, 1, 2, 3), (result.code, result.err)
    assert not RAW.search(result.out), repr(result.out)
    assert not RAW.search(result.err), repr(result.err)
    if result.code:
        assert len(result.err.splitlines()) >= 1 and result.err.splitlines()[-1].startswith("beian: error: ")
    return result


@pytest.fixture
def db(sqlite_url: str) -> str:
    return sqlite_url


def test_no_raw_control_character_reaches_the_terminal(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    counter = _codes()

    def beian(*args: str) -> Result:
        return check(run_beian(capsys, "--db", db, *args))

    @PROFILE
    @given(title=TEXT, org=TEXT, note=TEXT, by=TEXT, name=TEXT)
    def example(title: str, org: str, note: str, by: str, name: str) -> None:
        n = next(counter)
        code = credit_code(n)
        made_org = beian("org", "add", f"机构{n}{org}", "--credit-code", code).code == 0
        owner = code if made_org else "北京星河智算科技有限公司"
        if not made_org:
            beian("org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF")
        added = beian("add", f"题{title}", "--org", owner, "--description", note, "--json")
        ref = added.json()["ref"] if added.code == 0 else None
        if ref is not None:
            beian(
                "materials", ref, "--done", "algo.self_assessment", "--file", f"/docs/{note}", "--note", note
            )
            beian("notify", "recipients", "add", "13800138000", "--filing", ref, "--name", name)
            beian("notify", "preview", ref)
            beian("advance", ref, "withdraw", "--note", note, "--by", by, "--reason", name)
            for command in ("show", "history", "materials"):
                beian(command, ref)
        reads: tuple[tuple[str, ...], ...] = (
            ("list",),
            ("list", "--json"),
            ("org", "list"),
            ("notify", "recipients", "list"),
            ("show", title),
        )
        for args in reads:
            beian(*args)

    example()
