"""Replaying an imported history on the machine, with the CLI's guards; outcomes cached per distinct step."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import states
from states import AlgorithmType, Event, GuardContext, Kind, Stage, UnknownName
from tracker.exchange.records import HISTORY_SOURCE, HistoryEntry
from tracker.exchange.values import EARLIEST, LATEST, parse_moment

if TYPE_CHECKING:
    from tracker.exchange.checks import RowCheck

_parse_event = lru_cache(maxsize=512)(states.parse_event)


def _replay(
    kind: Kind,
    stage: Stage,
    returned_from: Stage | None,
    algorithm_type: AlgorithmType,
    event: Event,
    reason_given: bool,
    number: str | None,
) -> tuple[Stage | None, tuple[str, ...]]:
    """Where the machine takes `event` from `stage` (with the CLI's guards), or None and the refusals.

    Outcomes are cached by everything the guards look at, so replaying 100,000 histories evaluates each
    distinct step once; an approval's number is checked on its own (its format and type digits).
    """
    if event is Event.APPROVE and kind is not Kind.ENTITY:
        problem = states.check_filing_number(kind, number, algorithm_type)
        if problem:
            return None, (problem,)
        number = "valid"
    # keyed by the enums' plain values: hashing an enum member runs Python code, a str's hash is cached
    key = (
        kind._value_,
        stage._value_,
        returned_from._value_ if returned_from else None,
        algorithm_type._value_,
        event._value_,
        reason_given,
        number is not None,
    )
    found = _OUTCOMES.get(key)
    if found is None:
        found = _OUTCOMES[key] = _outcome(
            kind, stage, returned_from, algorithm_type, event, reason_given, number is not None
        )
    return found


_OUTCOMES: dict[tuple[str | bool | None, ...], tuple[Stage | None, tuple[str, ...]]] = {}
"""Outcomes by step; bounded by the machines (kinds × stages × types × events × two flags)."""


def _outcome(
    kind: Kind,
    stage: Stage,
    returned_from: Stage | None,
    algorithm_type: AlgorithmType,
    event: Event,
    reason_given: bool,
    has_number: bool,
) -> tuple[Stage | None, tuple[str, ...]]:
    numbers = {
        Kind.ALGORITHM: "网信算备110108823483901230031号",
        Kind.GENAI_FILING: "Beijing-YunQue-20230821",
    }
    sample = None
    if has_number:
        sample = numbers.get(kind, "Guangdong-Plaud-20251229S0027")
        if kind is Kind.ALGORITHM:
            sample = f"网信算备1101088234839{algorithm_type.code}230031号"
    context = GuardContext(
        kind=kind,
        stage=stage,
        returned_from=returned_from,
        algorithm_type=algorithm_type,
        entity_approved=True,
        filing_number=sample,
        reason="given" if reason_given else None,
    )
    outcome = states.evaluate(context, event)
    return (outcome.dest if outcome.allowed else None), tuple(outcome.refusals)


def _opt(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:20_000] or None


_moment = lru_cache(maxsize=65_536)(parse_moment)
"""`parse_moment` of text, remembered: a portfolio's histories share many of their times."""
_FIRST = datetime.combine(EARLIEST, time(0), tzinfo=UTC)
_AFTER_LAST = datetime.combine(LATEST, time(0), tzinfo=UTC) + timedelta(days=1)


def history_number(history: tuple[HistoryEntry, ...]) -> str | None:
    """The filing number the history's latest approval recorded."""
    for entry in reversed(history):
        if entry.filing_number:
            return entry.filing_number
    return None


def read_history(
    check: RowCheck, kind: Kind, algorithm_type: AlgorithmType | None
) -> tuple[HistoryEntry, ...]:
    cell = check.cell("history")
    if cell is None or cell.value in (None, "", []) or cell.formula:
        return ()
    value = cell.value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            check.fail("history", value, f"is not a JSON list of events ({exc})")
            return ()
    if not isinstance(value, list):
        check.fail("history", cell.value, "expected a list of events")
        return ()
    if len(value) > 500:
        check.fail("history", f"{len(value)} events", "more than 500 events on one filing")
        return ()
    stage = states.initial_stage(kind)
    returned_from: Stage | None = None
    previous: datetime | None = None
    entries: list[HistoryEntry] = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict) or "event" not in item:
            check.fail(
                "history",
                json.dumps(item, ensure_ascii=False),
                f"event {index}: expected an object with an event",
            )
            return ()
        get = item.get
        try:
            event = _parse_event(str(item["event"]))
        except UnknownName as exc:
            check.fail("history", str(item["event"]), f"event {index}: {exc}")
            return ()
        when = get("effective_at") or get("at") or ""
        at = _moment(when) if isinstance(when, str) else parse_moment(when)
        if at is None:
            check.fail("history", str(get("effective_at", "")), f"event {index}: no valid effective_at time")
            return ()
        if not _FIRST <= at < _AFTER_LAST:
            check.fail("history", at.isoformat(), f"event {index}: outside {EARLIEST.year}–{LATEST.year}")
            return ()
        if previous is not None and at < previous:
            check.fail(
                "history",
                at.isoformat(),
                f"event {index} ({event.value}) is before the previous event ({previous.isoformat()}): "
                "history goes backwards",
            )
            return ()
        reason = get("reason")
        if reason is not None:  # absent fields skip the call: 400,000 events, most without them
            reason = _opt(reason)
        number = get("filing_number")
        if number is not None:
            number = _opt(number)
        if event is Event.APPROVE and number and kind is not Kind.ENTITY:
            try:
                number = states.extract_filing_number(number, kind).number
            except states.FilingNumberError as exc:
                check.fail("history", number, f"event {index}: {exc}")
                return ()
        algo = algorithm_type or _type_from_number(number) or AlgorithmType.GENERATIVE
        dest, refusals = _replay(
            kind, stage, returned_from, algo, event, bool(reason and reason.strip()), number
        )
        if dest is None:
            check.fail("history", event.value, f"event {index}: {'; '.join(refusals)}")
            return ()
        recorded = get("recorded_at")
        actor = get("actor") or get("by")
        source = get("source")
        note = get("note")
        entries.append(
            HistoryEntry(
                event,
                stage,
                dest,
                at,
                parse_moment(recorded) if recorded else None,
                None if actor is None else _opt(actor),
                HISTORY_SOURCE if source is None else (_opt(source) or HISTORY_SOURCE)[:16],
                None if note is None else _opt(note),
                reason,
                number if event is Event.APPROVE else None,
            )
        )
        if event is Event.RETURN_FOR_REVISION:
            returned_from = stage
        stage, previous = dest, at
    return tuple(entries)


def history_end(check: RowCheck, history: tuple[HistoryEntry, ...], stage: Stage | None) -> Stage:
    end = history[-1].to_stage
    if stage is not None and stage is not end:
        check.fail(
            "stage", stage.value, f"the history ends in {states.label(end)}, not {states.label(stage)}"
        )
    return end


def _type_from_number(number: str | None) -> AlgorithmType | None:
    match = states.ALGO_FILING_NO.match(number or "")
    return AlgorithmType.from_code(match["type"]) if match else None
