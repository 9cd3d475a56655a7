"""Reading rules files strictly: TOML syntax errors and schema errors both name the file and the line.

tomllib reports the line of a syntax error only inside its message, and nothing at all for a value that parses
but makes no sense, so `LineIndex` maps every key path of the text to the line that defines it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from tracker.errors import RulesError

Where = tuple[str | int, ...]
T = TypeVar("T")

SOURCE_TAGS = ("official", "provider", "press", "practitioner", "inferred", "UNCONFIRMED", "project")
"""Reliability tags every fact must carry; "project" marks a choice of this tracker, not a claim about the law."""

_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_KEY = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_ASSIGN = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=")
_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*(.+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[].*?)\s*\]")


class _Value:
    """Follows one value over its lines, noting the line where each element of a top-level array starts."""

    def __init__(self, path: Where, lines: dict[Where, int]) -> None:
        self.path = path
        self.lines = lines
        self.depth = 0
        self.array = False
        self.index = -1
        self.expecting = False

    def _element(self, number: int) -> None:
        if self.array and self.depth == 1 and self.expecting:
            self.index += 1
            self.lines.setdefault((*self.path, self.index), number)
            self.expecting = False

    def feed(self, text: str, number: int) -> bool:
        """Scan one line of the value; True while the value continues on the next line."""
        quote, i = "", 0
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\" and quote == '"':
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch == "#":
                break
            elif ch in "[{":
                self._element(number)
                if self.depth == 0:
                    self.array = ch == "["
                    self.expecting = True
                self.depth += 1
            elif ch in "]}":
                self.depth -= 1
            elif ch == "," and self.depth == 1:
                self.expecting = True
            elif not ch.isspace():
                self._element(number)
                if ch in "\"'":
                    quote = ch
            i += 1
        return self.depth > 0


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_KEY, dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class LineIndex:
    """Which line defines each key path (array-of-tables entries are numbered from 0)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Where, int] = {}
        counts: dict[Where, int] = {}
        current: Where = ()
        value: _Value | None = None  # a value spanning several lines: its lines are neither keys nor headers
        for number, raw in enumerate(text.splitlines(), start=1):
            if value is not None:
                value = value if value.feed(raw, number) else None
                continue
            if array := _ARRAY_HEADER.match(raw):
                parts = _split_key(array[1])
                logical = (*self._resolve(parts[:-1], counts), *parts[-1:])
                index = counts.get(logical, 0)
                counts[logical] = index + 1
                current = (*logical, index)
                self._lines.setdefault(logical, number)
                self._lines[current] = number
            elif table := _TABLE_HEADER.match(raw):
                current = self._resolve(_split_key(table[1]), counts)
                self._lines.setdefault(current, number)
            elif assign := _ASSIGN.match(raw):
                path = (*current, *_split_key(assign[1]))
                self._lines.setdefault(path, number)
                value = _Value(path, self._lines)
                value = value if value.feed(raw[assign.end() :], number) else None

    @staticmethod
    def _resolve(parts: tuple[str, ...], counts: Mapping[Where, int]) -> Where:
        # inside [[a]], a header [a.b] belongs to the latest entry of a
        path: Where = ()
        for part in parts:
            path = (*path, part)
            if path in counts:
                path = (*path, counts[path] - 1)
        return path

    def line_of(self, where: Where) -> int | None:
        """The line of the longest known prefix of `where` (an inline value reports its key's line)."""
        for end in range(len(where), 0, -1):
            line = self._lines.get(where[:end])
            if line is not None:
                return line
        return None


def show(where: Where) -> str:
    """A key path as written in TOML: `materials[3].when.role`."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


class Doc:
    """One parsed TOML file, with checks that raise `RulesError` at the offending line."""

    def __init__(self, path: Path, data: dict[str, Any], index: LineIndex) -> None:
        self.path = path
        self.data = data
        self.index = index

    def fail(self, where: Where, detail: str) -> NoReturn:
        """Raise a RulesError for the key at `where`."""
        raise RulesError(self.path, self.index.line_of(where), detail)

    def table(
        self, value: Any, where: Where, *, required: Iterable[str] = (), optional: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Check that `value` is a table with exactly the allowed keys and every required one."""
        if not isinstance(value, dict):
            self.fail(where, f"{show(where)} must be a table, not {_type_name(value)}")
        req, opt = set(required), set(optional)
        for key in value:
            if key not in req | opt:
                allowed = ", ".join(sorted(req | opt))
                self.fail((*where, key), f"unknown key {key!r} in {show(where)} (allowed: {allowed})")
        for key in sorted(req):
            if key not in value:
                self.fail(where, f"{show(where)} lacks the required key {key!r}")
        return value

    def get(self, table: Mapping[str, Any], where: Where, key: str, kind: type[T]) -> T:
        """The value of the required `key`, checked against `kind` (a boolean is never accepted as a number)."""
        if key not in table:
            self.fail(where, f"{show(where)} lacks the required key {key!r}")
        return self._typed(table[key], (*where, key), kind)

    def opt(self, table: Mapping[str, Any], where: Where, key: str, kind: type[T], default: T) -> T:
        """The value of the optional `key`, or `default` when it is absent."""
        return self._typed(table[key], (*where, key), kind) if key in table else default

    def _typed(self, value: Any, where: Where, kind: type[T]) -> T:
        if not _is(value, kind):
            self.fail(where, f"{show(where)} must be {_kind_name(kind)}, not {_type_name(value)}")
        return value  # type: ignore[no-any-return]

    def choice(self, table: Mapping[str, Any], where: Where, key: str, choices: Iterable[str]) -> str:
        """A string value that must be one of `choices`."""
        value = self.get(table, where, key, str)
        allowed = list(choices)
        if value not in allowed:
            self.fail(
                (*where, key), f"{show((*where, key))} is {value!r}; expected one of {', '.join(allowed)}"
            )
        return value

    def strings(self, value: Any, where: Where) -> tuple[str, ...]:
        """A string or an array of strings, as a tuple."""
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if not isinstance(item, str):
                at = (*where, i) if isinstance(value, list) else where
                self.fail(
                    at, f"{show(where)} must be a string or an array of strings, not {_type_name(item)}"
                )
        return tuple(items)

    def day(self, value: Any, where: Where) -> date:
        """A TOML date (2025-09-01) or an ISO date string ("2025-09-01")."""
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(where, f"{show(where)} must be a date such as 2025-09-01, not {value!r}")

    def source(self, table: Mapping[str, Any], where: Where) -> tuple[str, str]:
        """The (source tag, citation) pair every fact carries."""
        tag = self.choice(table, where, "source", SOURCE_TAGS)
        cite = self.get(table, where, "cite", str)
        if not cite.strip():
            self.fail((*where, "cite"), f"{show((*where, 'cite'))} must not be empty")
        return tag, cite


def _is(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, kind)


def _kind_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "an array",
    }.get(kind, kind.__name__)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"


def read_toml(path: Path) -> Doc:
    """Parse one TOML file; a syntax error becomes a RulesError carrying tomllib's line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, None, f"cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise RulesError(path, None, f"not UTF-8 text: {exc.reason}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _AT_LINE.search(message)
        line = int(found[1]) if found else None
        detail = _AT_LINE.sub("", message).strip()
        raise RulesError(path, line, f"invalid TOML: {detail}") from None
    return Doc(path, data, LineIndex(text))
