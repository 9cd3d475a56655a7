"""The reliability figures: tests record counts, the root conftest adds them up and prints one table.

A test records through the `figures` fixture (`tests/reliability/conftest.py`); the numbers travel on the
test report's `user_properties`, so they reach the controlling process under pytest-xdist too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KEY = "reliability-figures"

ROWS: tuple[tuple[str, str, str], ...] = (
    # (figure, how several records combine, what it means)
    ("kills survived, SQLite", "sum", "`beian apply` / `beian advance` processes SIGKILLed mid-run"),
    ("kills survived, PostgreSQL", "sum", "the same on PostgreSQL"),
    ("transitions checked", "sum", "history rows verified against stage, version and outbox"),
    ("acknowledged", "sum", "transitions a killed or finished process had reported as done"),
    ("lost", "sum", "acknowledged transitions missing afterwards (must be 0)"),
    ("duplicated", "sum", "transitions present twice (must be 0)"),
    (
        "inconsistent",
        "sum",
        "filings whose stage/version/history/outbox disagree, integrity errors (must be 0)",
    ),
    ("updates attempted", "sum", "racing `beian advance --if-version` runs, SQLite and PostgreSQL"),
    ("updates succeeded", "sum", "… that exited 0 (= history rows added)"),
    ("conflicts reported", "sum", "… that exited 4"),
    ("tracebacks", "sum", "runs whose stderr held a traceback or more than one line (must be 0)"),
    ("dispatcher kills", "sum", "`beian notify send` SIGKILLed while the fault proxy misbehaved"),
    ("SMS rows checked", "sum", "outbox rows counted against the requests Twilio (the mock) received"),
    ("SMS POSTs per row (max)", "max", "send requests that reached the mock for one row (its log agrees)"),
    ("SMS accepted per row (max)", "max", "copies a recipient got of one row"),
    ("SMS lost", "sum", "rows not `sent` once Twilio behaved again (must be 0)"),
    ("SMS duplicates in window", "sum", "extra copies inside the README's duplicate window (counted)"),
    ("SMS duplicates beyond", "sum", "extra copies outside that window (must be 0)"),
    ("faults injected", "sum", "faults the proxy or the tests injected (slow, refused, unreachable…)"),
    ("secrets planted", "sum", "secret values planted in settings, URLs and environment"),
    ("files searched", "sum", "outputs, logs, exports, reports and database files searched for them"),
    ("secrets found", "sum", "occurrences of a planted secret, encodings included (must be 0)"),
    ("permissions checked", "sum", "files and folders the product created, checked for owner-only modes"),
    ("not owner only", "sum", "… readable or writable by others (must be 0)"),
)


@dataclass
class Figures:
    """Counts recorded by the reliability tests, combined per figure (sum, or max), plus free-form notes."""

    values: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: int) -> None:
        """Combine `value` into figure `name`."""
        how = next((h for n, h, _ in ROWS if n == name), "sum")
        old = self.values.get(name)
        self.values[name] = value if old is None else (max(old, value) if how == "max" else old + value)

    def merge(self, record: Mapping[str, object]) -> None:
        """Fold in one test's record (figures and notes)."""
        for name, value in record.items():
            if name == "notes" and isinstance(value, list):
                self.notes.extend(str(v) for v in value)
            elif isinstance(value, int):
                self.add(name, value)

    def table(self) -> list[str]:
        """The figures table, one string per line."""
        width = max(len(n) for n, _, _ in ROWS)
        lines = [f"{'figure':<{width}}  {'value':>7}  meaning", f"{'-' * width}  {'-' * 7}  {'-' * 40}"]
        for name, _, meaning in ROWS:
            if name in self.values:
                lines.append(f"{name:<{width}}  {self.values[name]:>7}  {meaning}")
        for name in sorted(set(self.values) - {n for n, _, _ in ROWS}):
            lines.append(f"{name:<{width}}  {self.values[name]:>7}")
        return lines + [f"note: {n}" for n in self.notes]


def encode(record: Mapping[str, object]) -> str:
    """A test's record as it travels on the report."""
    return json.dumps(record, ensure_ascii=False)


def collect(properties: Iterable[tuple[str, object]], into: Figures) -> bool:
    """Fold every figures record among a report's user properties into `into`; True when there was one."""
    found = False
    for key, value in properties:
        if key == KEY and isinstance(value, str):
            into.merge(json.loads(value))
            found = True
    return found


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def long_mode() -> bool:
    """`pytest --long` or `BEIAN_RELIABILITY_LONG=1`: longer runs."""
    return _flag("BEIAN_RELIABILITY_LONG")


def scale() -> float:
    """`BEIAN_RELIABILITY_SCALE` (default 1): a factor on every count, for quick runs while working on a test.
    Ignored below 1 in CI, where the counts are the minimums the suite promises."""
    try:
        factor = float(os.environ.get("BEIAN_RELIABILITY_SCALE", "1"))
    except ValueError:
        factor = 1.0
    return max(factor, 1.0) if _flag("CI") else max(factor, 0.0)


def seed() -> int:
    """The suite's seed: `BEIAN_RELIABILITY_SEED`, else a fixed one, so a failure can be replayed."""
    return int(os.environ.get("BEIAN_RELIABILITY_SEED", "20261128"))


class Recorder:
    """Records figures for the table (see `tests.helpers.figures.ROWS` for the names)."""

    def __init__(self, node: Any) -> None:
        """`node`: the pytest item whose report carries the figures."""
        self.node = node

    def add(self, **values: int) -> None:
        """Add counts, e.g. `add(transitions_checked=3)` (underscores stand for spaces)."""
        self.node.user_properties.append((KEY, encode({k.replace("_", " "): v for k, v in values.items()})))

    def add_named(self, name: str, value: int) -> None:
        """Add a count to a figure whose name is not a Python identifier (as in the table)."""
        self.node.user_properties.append((KEY, encode({name: value})))

    def set_max(self, name: str, value: int) -> None:
        """Record a figure combined by maximum (its name as in the table)."""
        self.node.user_properties.append((KEY, encode({name: value})))

    def note(self, text: str) -> None:
        """A line printed under the table."""
        self.node.user_properties.append((KEY, encode({"notes": [text]})))


def scaled(ci: int, long: int) -> int:
    """A count for this run: `long` in long mode, else `ci` (CI and local runs are the same), times `scale()`."""
    return max(1, round((long if long_mode() else ci) * scale()))
