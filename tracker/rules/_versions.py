"""Reading rule versions: periods of effect (`effective_from` / `effective_until` with their source) and the
settings section, whose settings may change value on a date.

A date of effect is a fact like any other: it carries `effective_source` (one of SOURCE_TAGS) and
`effective_cite`. Versions of one key may not overlap; a setting has exactly one value on every date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tracker.rules._toml import SOURCE_TAGS, Doc, Where, show
from tracker.rules.model import ALWAYS, Effective, Setting, Source

__all__ = ["EFFECTIVE_KEYS", "SETTINGS", "no_overlap", "read_effective", "read_settings"]

EFFECTIVE_KEYS = ("effective_from", "effective_until", "effective_source", "effective_cite")
"""The optional keys that date a materials item, a deadline or a setting version."""
SETTINGS = (
    "resubmit_reenters",
    "due_soon_days",
    "offline_check_rate",
    "history_min_samples",
    "regulator_clock_on_resubmit",
)
"""Every setting of the `settings` section; all are required."""


def read_effective(doc: Doc, table: dict[str, Any], where: Where) -> Effective:
    """The period of effect of one rule: `effective_from` / `effective_until` with the dates' own source."""
    start = (
        doc.day(table["effective_from"], (*where, "effective_from")) if "effective_from" in table else None
    )
    until = (
        doc.day(table["effective_until"], (*where, "effective_until")) if "effective_until" in table else None
    )
    sourced = [k for k in ("effective_source", "effective_cite") if k in table]
    if start is None and until is None:
        if sourced:
            doc.fail(
                (*where, sourced[0]),
                f"{show(where)}: {sourced[0]} without effective_from or effective_until",
            )
        return ALWAYS
    if start is not None and until is not None and until < start:
        doc.fail(
            (*where, "effective_until"),
            f"{show(where)}: effective_until {until} is before effective_from {start}",
        )
    for key in ("effective_source", "effective_cite"):
        if key not in table:
            doc.fail(
                where,
                f"{show(where)} has a date of effect but no {key}: say where the date comes from",
            )
    tag = doc.choice(table, where, "effective_source", SOURCE_TAGS)
    cite = doc.get(table, where, "effective_cite", str)
    if not cite.strip():
        doc.fail((*where, "effective_cite"), f"{show((*where, 'effective_cite'))} must not be empty")
    return Effective(start, until, Source(tag, cite))


def no_overlap(
    doc: Doc, what: str, name: str, effective: Effective, earlier: list[Effective], at: Where
) -> None:
    """Refuse a second version of `name` in force on a day an earlier version already covers."""
    for other in earlier:
        if effective.overlaps(other):
            doc.fail(
                at,
                f"{what} {name!r} is defined twice for the same days ({other} and {effective}); "
                "give each version effective_from / effective_until periods that do not overlap",
            )


def read_settings(doc: Doc) -> tuple[dict[str, Any], dict[str, Source], tuple[Setting, ...]]:
    where: Where = ("settings",)
    table = doc.table(doc.data["settings"], where, required=SETTINGS)
    checks: dict[str, tuple[type, Callable[[Any], str | None]]] = {
        "resubmit_reenters": (
            str,
            lambda v: (
                None
                if v in ("returned_from", "initial_review")
                else "must be returned_from or initial_review"
            ),
        ),
        "due_soon_days": (int, lambda v: None if v >= 0 else "must not be negative"),
        "offline_check_rate": (float, lambda v: None if 0 <= v <= 1 else "must be between 0 and 1"),
        "history_min_samples": (int, lambda v: None if v >= 1 else "must be at least 1"),
        "regulator_clock_on_resubmit": (
            str,
            lambda v: None if v in ("restart", "resume") else "must be restart or resume",
        ),
    }
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    versions: list[Setting] = []
    for name, (kind, check) in checks.items():
        at = (*where, name)
        raw = table[name]
        entries = [(raw, at)] if not isinstance(raw, list) else [(e, (*at, i)) for i, e in enumerate(raw)]
        if not entries:
            doc.fail(at, f"{show(at)} must have at least one version")
        mine: list[Setting] = []
        for entry_raw, entry_at in entries:
            entry = doc.table(
                entry_raw, entry_at, required=("value", "source", "cite"), optional=EFFECTIVE_KEYS
            )
            value: Any = doc.get(entry, entry_at, "value", kind)
            problem = check(value)
            if problem:
                doc.fail((*entry_at, "value"), f"{show((*entry_at, 'value'))} is {value!r}; it {problem}")
            effective = read_effective(doc, entry, entry_at)
            no_overlap(doc, "setting", name, effective, [v.effective for v in mine], entry_at)
            mine.append(Setting(name, value, Source(*doc.source(entry, entry_at)), effective))
        _continuous(doc, name, mine, [a for _, a in entries])
        mine.sort(key=lambda v: v.effective.start or date.min)
        latest = mine[-1]
        values[name] = latest.value
        sources[name] = latest.source
        versions.extend(mine)
    return values, sources, tuple(versions)


def _continuous(doc: Doc, name: str, versions: list[Setting], places: list[Where]) -> None:
    """A setting has exactly one value on every date: its versions follow each other without a gap."""
    order = sorted(range(len(versions)), key=lambda i: versions[i].effective.start or date.min)
    first, last = versions[order[0]].effective, versions[order[-1]].effective
    if first.start is not None:
        doc.fail(
            places[order[0]],
            f"setting {name!r} has no value before {first.start}: its earliest version needs no effective_from",
        )
    if last.until is not None:
        doc.fail(
            places[order[-1]],
            f"setting {name!r} has no value after {last.until}: its latest version needs no effective_until",
        )
    for before, after in zip(order, order[1:], strict=False):
        gap_from = versions[before].effective.ends
        if versions[after].effective.start != gap_from:
            doc.fail(
                places[after],
                f"setting {name!r}: this version starts on {versions[after].effective.start}, "
                f"but the one before ends on {versions[before].effective.until}; versions must follow each other",
            )
