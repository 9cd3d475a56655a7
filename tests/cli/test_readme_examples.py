"""The README's examples outside the tour, run as written on the database the README says the reader has, and
every example command line checked against the CLI's commands and options."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from tests.helpers.cli import Result, run_beian
from tests.helpers.exchange import DATA
from tests.helpers.readme import every_command, section_commands
from tests.helpers.smtp import PASSWORD, USER, smtp_server
from tests.helpers.twilio import TwilioMock

Run = Callable[..., Result]


@pytest.fixture
def reader(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The reader's machine after the tour: the default database, a home folder, a working folder."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)

    def beian(*args: str) -> Result:
        result = run_beian(capsys, *args)
        assert "Traceback" not in result.out + result.err, (args, result.err)
        return result

    for argv in section_commands("A tour"):
        if argv[1] != "dashboard":
            done = beian(*argv[1:])
            assert done.code == 0, (argv, done.err)
    return beian


def run_section(
    beian: Run,
    title: str,
    codes: dict[int, int] | None = None,
    after: dict[int, Callable[[Result], None]] | None = None,
) -> list[Result]:
    """Run a section's commands in order, as a shell would (`~` expanded); each exits 0 unless `codes` (index →
    exit code) says otherwise, and `after` (index → check) looks at the state a command left."""
    results = []
    commands = section_commands(title)
    assert commands, title
    for index, argv in enumerate(commands):
        if argv[1:3] == ["notify", "run"]:  # runs until Ctrl+C; tests/notify cover the dispatcher
            continue
        args = [os.path.expanduser(arg) if arg.startswith("~") else arg for arg in argv[1:]]
        result = beian(*args)
        expected = (codes or {}).get(index, 0)
        assert result.code == expected, (argv, result.code, result.out, result.err)
        results.append(result)
        if after and index in after:
            after[index](result)
    return results


def refs(beian: Run) -> list[str]:
    return sorted(row["ref"] for row in beian("list", "--json").json())


# -- Import, export, report, calendar ---------------------------------------------------------------------------


def _ledger(path: Path) -> None:
    """备案台账.xlsx: a portfolio spreadsheet with good rows and rows with problems."""
    import openpyxl

    with (DATA / "bad_rows.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)


def _deep_synthesis_list(path: Path) -> None:
    """深度合成算法备案清单.csv as the CAC publishes it: a title line, its headers, the tour's filing among its rows."""
    rows = [
        ["境内深度合成服务算法备案清单（2025年6月）"],
        ["序号", "算法名称", "角色", "主体名称", "应用产品", "主要用途", "备案编号", "备注"],
        [
            "1",
            "星河写作助手生成合成算法",
            "服务提供者",
            "北京星河智算科技有限公司",
            "星河写作助手",
            "根据用户输入的主题生成文章",
            "网信算备110108555010101250013号",
            "",
        ],
        [
            "2",
            "青禾语音合成算法",
            "服务技术支持者",
            "上海青禾数据服务有限公司",
            "无",
            "为企业端用户提供文本转语音能力",
            "网信算备310115606600101250035号",
            "服务于企业端用户",
        ],
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_import_export_report_and_calendar_run_as_written(reader: Run) -> None:
    _ledger(Path("备案台账.xlsx"))
    _deep_synthesis_list(Path("深度合成算法备案清单.csv"))
    before = refs(reader)

    def unchanged(_: Result) -> None:
        assert refs(reader) == before

    def only_shown(result: Result) -> None:
        assert "--apply" in result.err and "青禾语音合成算法" in result.out
        assert "青禾语音合成算法" not in reader("list").out

    results = run_section(
        reader,
        "Import, export, report, calendar",
        codes={0: 2, 1: 2},  # the ledger has rows with problems: reported, and the import refused
        after={0: unchanged, 1: unchanged, 3: only_shown},
    )
    assert "ALG-0009" in results[0].out or "二审中了" in results[0].out  # the problems, row by row
    assert Path("待修正.csv").is_file()
    after = refs(reader)
    assert "ALG-0002" in after and len(after) > len(before)
    assert "青禾语音合成算法" in reader("list").out
    for name in ("备案.xlsx", "周报.html", "备案期限.ics"):
        assert Path(name).stat().st_size > 0, name


# -- SMS when a filing number arrives ----------------------------------------------------------------------------


@pytest.mark.twilio
def test_sms_when_a_filing_number_arrives_runs_as_written(
    reader: Run, twilio_mock: TwilioMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in twilio_mock.env().items():
        monkeypatch.setenv(key, value)
    org = "北京星河智算科技有限公司"
    for title in ("星河绘图生成合成算法", "星河对话生成合成算法"):
        added = reader("add", title, "--org", org, "--type", "generative", "--role", "provider", "--json")
        assert added.code == 0, added.err
    assert reader("materials", "ALG-0003", "--done", "all").code == 0
    for event in ("submit", "pass_review", "pass_review"):
        assert reader("advance", "ALG-0003", event).code == 0
    posts = twilio_mock.message_posts()
    results = run_section(reader, "SMS when a filing number arrives")
    assert "UCS-2" in results[2].out or "GSM-7" in results[2].out
    assert twilio_mock.message_posts() == posts + 2  # the organisation's recipient and the filing's
    listed = reader("notify", "list", "--json").json()
    assert sorted(row["status"] for row in listed) == ["sent", "sent"]


# -- Who changed what since you last looked ----------------------------------------------------------------------


def test_who_changed_what_runs_as_written(reader: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEIAN_USER", "王经理")  # the section's `export`
    results = run_section(reader, "Who changed what since you last looked")
    assert "ALG-0001" in results[0].out  # the tour was someone else's work
    assert "ALG-0001" not in reader("list", "--changed").out
    assert any(row["ref"] == "ALG-0001" for row in results[3].json())  # 李工 has not looked either


# -- Digests by e-mail and SMS -----------------------------------------------------------------------------------


@pytest.mark.twilio
def test_digests_run_as_written(
    reader: Run, twilio_mock: TwilioMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in twilio_mock.env().items():
        monkeypatch.setenv(key, value)
    posts = twilio_mock.message_posts()
    with smtp_server() as (box, port):
        for name, value in {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_TLS": "none",
            "SMTP_USERNAME": USER,
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_FROM": "beian@example.com",
        }.items():
            monkeypatch.setenv(f"BEIAN_{name}", value)
        run_section(reader, "Digests by e-mail and SMS")
    assert Path("week.md").is_file()
    assert sorted(rcpt for _, rcpts, _ in box.received for rcpt in rcpts)[:2] == [
        "cto@example.com",
        "pm@example.com",
    ]
    assert twilio_mock.message_posts() > posts


# -- Configuration -----------------------------------------------------------------------------------------------


def test_backup_and_restore_run_as_written(reader: Run) -> None:
    (Path.home() / "backups").mkdir()  # the section's `mkdir -p ~/backups`
    results = run_section(reader, "Configuration")
    backup = Path.home() / "backups" / "beian-2026-11-28.db"
    assert backup.is_file() and results[1].code == 0
    assert (backup.stat().st_mode & 0o777) == 0o600
    # what was added after the backup is gone once it is restored
    assert reader("add", "备份之后的算法", "--org", "北京星河智算科技有限公司").code == 0
    assert "ALG-0002" in refs(reader)
    assert reader("restore", str(backup), "--force").code == 0
    assert refs(reader) == ["ALG-0001", "ENT-0001"]


# -- every example parses ----------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> None:
    """Parse `beian ARGS` down to the last subcommand with click's own parser; a wrong option raises."""
    from tracker.cli.main import _register_commands, cli

    _register_commands()
    command: click.Command = cli
    args = argv[1:]
    ctx = command.make_context("beian", list(args), resilient_parsing=False)
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, name
        command = sub
        ctx = command.make_context(name or "", rest, parent=ctx, resilient_parsing=False)


@pytest.mark.parametrize(("line", "argv"), every_command(), ids=[str(n) for n, _ in every_command()])
def test_every_example_command_line_parses(line: int, argv: list[str]) -> None:
    try:
        _parse(argv)
    except click.ClickException as exc:
        pytest.fail(f"README line {line}: {' '.join(argv)}: {exc.format_message()}")
