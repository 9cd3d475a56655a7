"""The dashboard plugs into `beian` without making every command pay for Textual."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tui_support import portfolio

from tracker.filings.service import FilingService
from tui.serve import served_command

pytestmark = pytest.mark.slow

PROBE = textwrap.dedent(
    """
    import json, sys
    from tracker.cli import main
    code = None
    try:
        main(json.loads(sys.argv[1]))
    except SystemExit as exc:
        code = exc.code
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump({"code": code, "modules": sorted(sys.modules)}, out)
    """
)


def run_cli(tmp_path: Path, argv: list[str]) -> tuple[object, set[str]]:
    """`beian ARGV` in a fresh interpreter: its exit code and every module it imported."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), done.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return data["code"], set(data["modules"])


@pytest.mark.parametrize(
    "argv", [["--help"], ["dashboard", "--help"], ["advance", "{ref}", "pass_review"]], ids=" ".join
)
def test_commands_other_than_the_dashboard_never_import_textual(
    argv: list[str], tmp_path: Path, service: FilingService, sqlite_url: str
) -> None:
    ref = portfolio(service)["review"]
    full = [arg.replace("{ref}", ref) for arg in argv]
    if full[0] == "advance":
        full = ["--db", sqlite_url, *full]
    code, modules = run_cli(tmp_path, full)
    assert code == 0
    heavy = sorted(m for m in modules if m.split(".")[0] in ("textual", "textual_serve"))
    assert not heavy, heavy[:5]
    assert not {"tui.app", "tui.screens", "tui.widgets"} & modules, "only the small tui.cli module is loaded"
    if "advance" in full:
        assert service.filing(ref).stage.value == "second_review"


def test_the_served_command_is_beian_dashboard_without_the_database_url() -> None:
    command = served_command(demo=True)
    assert command[1:] == ["-m", "tracker", "dashboard", "--demo"]
    assert all("://" not in part for part in command), "the URL travels in the environment, not in argv"
