"""Shared text output of the commands, and its one choke point: every human-readable line goes through `echo`
or `table`, which show control characters as visible escapes (`tracker.domain.safe.visible`), so no title,
note, name or error message can drive the user's terminal. `dump_json` and `json_line` write JSON,
which the JSON encoder escapes by itself and which never goes through `visible`.
Tables are CJK-aware and fit the terminal's width.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import click

import states
from states import Kind, Lang, Stage
from tracker.domain.json import json_default
from tracker.domain.safe import json_text, visible

MIN_CELL = 6
"""Narrowest a shrunk table column gets, in terminal columns (room for a few characters and the ellipsis)."""


def echo(message: str = "", *, err: bool = False, lines: bool = False, nl: bool = True) -> None:
    """Print one human-readable line (stdout, or stderr with `err`), control characters shown as escapes.

    The message is one line: an LF inside it is shown as `\\n`. On stdout, a line wider than the terminal
    (`terminal_columns`) is wrapped at spaces (or between CJK characters), its continuation indented two
    columns further; nothing is cut. With `lines`, it is a block and keeps its line breaks as they are (an SMS
    body, a diagram, a digest). `nl=False` adds no final line break.
    """
    shown = visible(message, lines=lines)
    if not err and not lines:
        columns = terminal_columns()
        if columns is not None and width(shown) > columns:
            shown = "\n".join(wrap(shown, columns))
    click.echo(shown, err=err, nl=nl)


def wrap(line: str, columns: int) -> list[str]:
    """`line` cut into lines of at most `columns` terminal columns (CJK characters take two): at a space in the
    second half of the line when there is one, else between characters; continuation lines keep the line's indent plus two columns."""
    indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
    if columns <= len(indent) + MIN_CELL:
        return [line]
    out: list[str] = []
    rest = line
    while width(rest) > columns:
        cut, used, space = 0, 0, -1
        for i, ch in enumerate(rest):
            used += width(ch)
            if used > columns:
                break
            cut = i + 1
            if ch == " " and width(rest[:i]) >= columns // 2:
                space = i
        head, tail = (rest[:space], rest[space + 1 :]) if space > 0 else (rest[:cut], rest[cut:])
        out.append(head.rstrip())
        rest = indent + tail.lstrip(" ")
    out.append(rest)
    return out


def width(text: str) -> int:
    """Terminal columns taken by `text` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """Left-align `text` in `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def echo_lines(lines: Iterable[str], *, err: bool = False) -> None:
    """Print several human-readable lines, each one escaped like `echo`'s."""
    for line in lines:
        echo(line, err=err)


def clip(text: str, columns: int) -> str:
    """`text` cut to at most `columns` terminal columns, with `…` at the end when something was cut."""
    if width(text) <= columns:
        return text
    kept, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > columns - 1:
            break
        kept.append(ch)
        used += w
    return "".join(kept) + "…"


def terminal_columns(out: TextIO | None = None) -> int | None:
    """How wide the output may be: `COLUMNS` when set, else the terminal's width; None when writing to a pipe
    or a file (scripts get whole cells)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    out = out or sys.stdout
    try:
        return os.get_terminal_size(out.fileno()).columns if out.isatty() else None
    except (OSError, ValueError, AttributeError):
        return None


def fit_widths(widths: list[int], available: int, gap: int = 2) -> list[int]:
    """Column widths shrunk, widest first and never below `MIN_CELL` (or their own width), to fit `available`."""
    widths = list(widths)
    floor = [min(w, MIN_CELL) for w in widths]
    excess = sum(widths) + gap * (len(widths) - 1) - available
    while excess > 0:
        i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break
        widths[i] -= 1
        excess -= 1
    return widths


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], out: TextIO | None = None) -> None:
    """Print an aligned plain-text table: one line per row, control characters shown as escapes, cells cut with
    `…` so that the table fits the terminal (see `terminal_columns`)."""
    out = out or sys.stdout
    body = [[visible(str(c)) for c in r] for r in rows]
    head = [visible(h) for h in headers]
    widths = [width(h) for h in head]
    for r in body:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], width(cell))
    columns = terminal_columns(out)
    if columns is not None:
        widths = fit_widths(widths, columns)
    for r in [head, *body]:
        out.write("  ".join(pad(clip(c, widths[i]), widths[i]) for i, c in enumerate(r)).rstrip() + "\n")


def dump_json(data: Any, out: TextIO | None = None) -> None:
    """Write JSON (UTF-8, Chinese kept readable; C1 and bidi controls escaped too, see `json_text`)."""
    out = out or sys.stdout
    out.write(json_text(json.dumps(data, ensure_ascii=False, indent=2, default=json_default)))
    out.write("\n")


def json_line(data: Any, out: TextIO | None = None) -> None:
    """Write one compact JSON object on one line (a JSON Lines report), escaped by the JSON encoder alone:
    control characters become `\\uXXXX` escapes inside strings (see `json_text`), never the visible escapes of
    `echo`, so every line decodes to the values as they are."""
    out = out or sys.stdout
    out.write(json_text(json.dumps(data, ensure_ascii=False, default=json_default)))
    out.write("\n")


def stage_text(stage: Stage, kind: Kind, lang: Lang) -> str:
    """A stage name in the configured display language."""
    return states.label(stage, lang, kind)
