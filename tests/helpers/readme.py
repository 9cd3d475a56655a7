"""The README's example commands: the indented `beian …` lines of a section, as a shell would split them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the `## title` section, up to the next `## ` heading."""
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def command_lines(text: str) -> list[str]:
    """The indented `beian …` lines of `text` (an example block), without the indentation."""
    return [line[4:] for line in text.splitlines() if line.startswith("    beian ")]


def section_commands(title: str) -> list[list[str]]:
    """The commands of one section, in order, as a shell would split them, comments dropped."""
    return [shlex.split(line, comments=True) for line in command_lines(section(title))]


def every_command() -> list[tuple[int, list[str]]]:
    """Every `beian …` line of the README's examples (indented, or after a `$ ` prompt), with its line number."""
    found = []
    for number, line in enumerate(README.splitlines(), start=1):
        match = re.match(r"^ {4,}(?:\$ )?(beian\b.*)$", line)
        if match:
            found.append((number, shlex.split(match.group(1), comments=True)))
    return found
