"""Shared text output of the commands: aligned tables (CJK-aware), JSON printing and stage names."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import states
from states import Kind, Lang, Stage
from tracker.domain.json import json_default


def width(text: str) -> int:
    """Terminal columns taken by `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """Left-align `text` in `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], out: TextIO | None = None) -> None:
    """Print an aligned plain-text table."""
    out = out or sys.stdout
    body = [list(map(str, r)) for r in rows]
    widths = [width(h) for h in headers]
    for r in body:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], width(cell))
    out.write("  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip() + "\n")
    for r in body:
        out.write("  ".join(pad(c, widths[i]) for i, c in enumerate(r)).rstrip() + "\n")


def dump_json(data: Any, out: TextIO | None = None) -> None:
    """Write JSON (UTF-8, Chinese kept readable)."""
    out = out or sys.stdout
    out.write(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))
    out.write("\n")


def stage_text(stage: Stage, kind: Kind, lang: Lang) -> str:
    """A stage name in the configured display language."""
    return states.label(stage, lang, kind)
