"""The README's promises that can drift: its state diagram, its two set-up commands, its command table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


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
