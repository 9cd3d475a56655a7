"""The README's promises that can drift: its state diagram, its two set-up commands, its command table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.cli import run_beian
from tests.helpers.readme import README, ROOT, section_commands


def test_the_diagram_is_the_machine(capsys: pytest.CaptureFixture[str]) -> None:
    from tracker.cli import main

    with pytest.raises(SystemExit) as done:
        main(["diagram", "--lang", "en"])
    assert done.value.code == 0
    generated = capsys.readouterr().out
    assert f"```mermaid\n{generated}```" in README


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^    (pip install uv && uv run .+)$", README, flags=re.MULTILINE)
    assert commands[:2] == [
        "pip install uv && uv run beian dashboard --demo",
        "pip install uv && uv run pytest",
    ]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_every_command_is_documented() -> None:
    from tracker.cli.main import _register_commands, cli

    _register_commands()
    for name in cli.commands:
        assert f"`beian {name}" in README or f"beian {name} " in README, name


def tour_commands() -> list[list[str]]:
    """The commands of the README's tour, as a shell would split them, comments dropped."""
    return section_commands("A tour")


def test_the_tour_runs_as_written_on_a_fresh_database(
    capsys: pytest.CaptureFixture[str], isolated_settings: Path
) -> None:
    commands = tour_commands()
    assert len(commands) >= 15 and commands[0] == ["beian", "init"]
    ran = 0
    for argv in commands:
        if argv[1] == "dashboard":  # interactive; tests/tui covers it
            continue
        result = run_beian(capsys, *argv[1:])
        assert result.code == 0, (argv, result.err)
        assert "Traceback" not in result.err
        ran += 1
    assert ran == len(commands) - 1
    # the tour used the default database in the (isolated) user data folder
    assert (isolated_settings / "data" / "beian.db").is_file()
    final = run_beian(capsys, "show", "ALG-0001", "--json").json()
    assert final["stage"] == "approved" and final["returns"] == 1
