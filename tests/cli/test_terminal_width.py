"""Human-readable output fits a narrow terminal (`COLUMNS=60`): tables shrink their cells, longer lines wrap;
nothing a line holds is lost. And `--db` goes before or after the command, for every command."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.helpers.cli import Beian, run_beian
from tests.helpers.seed import CODE, ORG

LONG_ORG = ORG + "很长很长很长很长的分公司名称"
LONG_TITLE = "一个相当长的标题，用来检查表格是否适合终端宽度" * 2
LONG_TEXT = "自评估报告缺少签字，请补充负责人签字并加盖公章后重新提交" * 2


def cells(line: str) -> int:
    """Display cells of `line` in a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def ok(beian: Beian, *args: str) -> str:
    result = beian(*args)
    assert result.code == 0, (args, result.err)
    assert "Traceback" not in result.err
    return result.out


@pytest.fixture
def portfolio(beian: Beian) -> Beian:
    """Long names, titles, notes and reasons everywhere: a filing returned with a reason, a running launch
    deadline, an SMS in the outbox."""
    ok(beian, "org", "add", LONG_ORG, "--credit-code", CODE, "--region", "110108")
    ok(beian, "add", "主体备案" + LONG_TITLE, "--org", CODE, "--kind", "entity")
    ok(beian, "materials", "ENT-0001", "--done", "all")
    ok(
        beian,
        "advance",
        "ENT-0001",
        "submit",
        "--at",
        "2025-03-03",
        "--note",
        LONG_TEXT,
        "--by",
        "张三丰" * 6,
    )
    ok(beian, "advance", "ENT-0001", "approve", "--at", "2025-03-17")
    ok(beian, "add", LONG_TITLE, "--org", CODE, "--launch-date", "2025-06-01")
    ok(beian, "materials", "ALG-0001", "--done", "all")
    ok(beian, "materials", "ALG-0001", "--done", "algo.self_assessment", "--note", LONG_TEXT)
    ok(beian, "notify", "recipients", "add", "13800138000", "--org", CODE)
    ok(beian, "advance", "ALG-0001", "submit", "--at", "2025-03-20")
    ok(beian, "advance", "ALG-0001", "return_for_revision", "--reason", LONG_TEXT, "--no-send")
    ok(beian, "dates", "ALG-0001", "--change", "2025-07-01")
    return beian


NARROW = [
    ("list",),
    ("org", "list"),
    ("history", "ALG-0001"),
    ("history", "ENT-0001"),
    ("materials", "ALG-0001"),
    ("notify", "list"),
    ("notify", "recipients", "list"),
    ("due",),
    ("forecast", "ALG-0001"),
    ("dates", "ALG-0001"),
    ("show", "ALG-0001"),
    ("events", "ALG-0001"),
]


def test_human_readable_output_fits_sixty_columns(portfolio: Beian, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    for args in NARROW:
        out = ok(portfolio, *args)
        assert out.strip(), args
        wide = [line for line in out.splitlines() if cells(line) > 60]
        assert wide == [], (args, out)


def test_a_long_line_wraps_and_keeps_every_character(
    portfolio: Beian, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    narrow = ok(portfolio, "due")
    monkeypatch.delenv("COLUMNS")
    whole = ok(portfolio, "due")
    assert "".join(narrow.split()) == "".join(whole.split())  # wrapped at spaces or between characters


def test_the_wrapper_counts_cjk_as_two_columns() -> None:
    from tracker.cli.text.common import wrap

    lines = wrap("ALG-0001 " + "汉" * 40 + " tail words here", 30)
    assert all(cells(line) <= 30 for line in lines)
    assert "".join(line.strip() for line in lines).replace(" ", "") == (
        "ALG-0001" + "汉" * 40 + "tailwordshere"
    )
    assert wrap("short", 30) == ["short"]


# -- --db after the command ------------------------------------------------------------------------------


def test_every_command_takes_db_after_its_name() -> None:
    import click

    from tracker.cli.main import _register_commands, cli

    _register_commands()
    missing: list[str] = []

    def visit(command: click.Command, path: str) -> None:
        if not any("--db" in getattr(p, "opts", ()) for p in command.params):
            missing.append(path)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                visit(sub, f"{path} {name}")

    for name, command in cli.commands.items():
        visit(command, name)
    assert missing == []


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("list", "--json"),
        ("show", "ALG-0001"),
        ("history", "ALG-0001"),
        ("org", "list"),
        ("materials", "ALG-0001"),
        ("notify", "recipients", "list"),
        ("due",),
    ],
    ids=" ".join,
)
def test_db_after_the_command_reads_that_database(
    args: tuple[str, ...], sqlite_url: str, capsys: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    from tests.helpers.seed import seed

    seed(sqlite_url)
    before = run_beian(capsys, "--db", sqlite_url, *args)
    after = run_beian(capsys, *args, "--db", sqlite_url)
    assert before.code == after.code == 0, (before.err, after.err)
    assert after.out == before.out


def test_db_after_advance_writes_that_database(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    from tests.helpers.seed import seed

    seed(sqlite_url)
    other = tmp_path / "other.db"
    assert run_beian(capsys, "--db", str(other), "init").code == 0
    done = run_beian(capsys, "--db", str(other), "advance", "ALG-0001", "submit", "--db", sqlite_url)
    assert done.code == 0, done.err  # the one given last wins
    shown = run_beian(capsys, "show", "ALG-0001", "--json", "--db", sqlite_url).json()
    assert shown["stage"] == "initial_review"
    missing = run_beian(capsys, "list", "--db", str(tmp_path / "absent.db"))
    assert missing.code == 5 and "absent.db" in missing.err
