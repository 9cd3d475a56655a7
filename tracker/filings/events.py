"""The unit of work of one event: check it against the machine and the guards, then write the new stage, its
history row, the materials it reopens, its outbox rows and the revision bump in one transaction.

`FilingService.advance`, `advance_many` and `events` delegate here. The hot path (every CLI update and every
`beian apply` line) runs Core statements: three round trips (load, update, insert) plus the revision bump;
ORM rows are built only for the hooks that need them (materials, outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import states
from states import Event, GuardContext, Kind, Outcome, Stage, UnknownName
from tracker.config import Settings
from tracker.domain import AdvanceResult, Filing, inputs, limits
from tracker.errors import Conflict, TrackerError, TransitionRefused, UsageError
from tracker.filings import repo
from tracker.store.revision import bump_revision
from tracker.timeutil import Clock, beijing_date, to_db

if TYPE_CHECKING:
    from tracker.store.db import Store, Work

_CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future an effective time may lie (clocks of two machines disagree a little)."""


@dataclass(frozen=True, slots=True)
class EventRequest:
    """One event to apply, as `advance` takes it (also a line of `beian apply`)."""

    ref: str | int
    event: Event | str
    note: str | None = None
    reason: str | None = None
    filing_number: str | None = None
    at: datetime | None = None
    """When it took effect (aware; default now)."""
    actor: str | None = None
    source: str = "cli"
    if_version: int | None = None
    reopen: tuple[str, ...] = ()


def as_event(value: Event | str) -> Event:
    """Accept an Event or its English or Chinese name; an unknown name is a `UsageError`."""
    if isinstance(value, Event):
        return value
    text = inputs.clean(str(value), "event")
    if len(text) > 60:
        raise UsageError(f"unknown event {inputs.echo(value)}", hint="`beian events REF` lists them")
    try:
        return states.parse_event(text)
    except UnknownName as exc:
        raise UsageError(str(exc)) from None


def check_version(filing: Mapping[str, Any], if_version: int | None) -> None:
    """Raise `Conflict` unless the loaded filing is still at `if_version` (None: any version)."""
    if if_version is not None and filing["version"] != if_version:
        raise Conflict(
            f"{filing['ref']} is at version {filing['version']}, not {if_version}: someone changed it meanwhile",
            hint="look at it again and retry",
        )


def options(store: Store, settings: Settings, clock: Clock, ref: str | int) -> list[Outcome]:
    """Every event leaving the filing's stage, allowed or refused with reasons. Raises `NotFound`."""
    with store.work() as work:
        context = _context(work, settings, clock, repo.load_filing(work, ref), None, explain_all=True)
        return states.options(context)


def record(
    store: Store, settings: Settings, clock: Clock, requests: list[EventRequest], *, atomic: bool = False
) -> list[AdvanceResult]:
    """Apply events in order, each in its own transaction (or all in one with `atomic`).

    Raises `UsageError`, `NotFound`, `TransitionRefused`, `Conflict` or `StorageError`; without `atomic` the
    earlier events stay committed. With `atomic`, the error carries `index`, the position of the failing request.
    """
    results: list[AdvanceResult] = []
    if atomic:
        number = requests[0].filing_number if len(requests) == 1 else None
        with repo.number_clash(number), store.work() as work:
            for request in requests:
                try:
                    results.append(_advance_in(work, settings, clock, request))
                except TrackerError as exc:
                    exc.index = len(results)  # type: ignore[attr-defined]
                    raise
        return [_with_warnings(store, r) for r in results]
    for request in requests:
        with repo.number_clash(request.filing_number), store.work() as work:
            results.append(_advance_in(work, settings, clock, request))
    return [_with_warnings(store, r) for r in results]


REASON_EVENTS = frozenset(
    {
        Event.RETURN_FOR_REVISION,
        Event.REJECT,
        Event.REVOKE,
        Event.WITHDRAW,
        Event.WITHDRAW_CHANGE,
        Event.REQUEST_CHANGE,
        Event.REQUEST_CANCELLATION,
        Event.CANCEL_BY_REGULATOR,
    }
)
"""Events that record a reason (原因): required by return_for_revision, reject and revoke, optional for the rest."""
NUMBER_EVENTS = frozenset({Event.APPROVE})
"""Events that record a filing number (备案编号)."""
REOPEN_EVENTS = frozenset({Event.RETURN_FOR_REVISION})
"""Events that reopen materials (`--reopen`)."""


def check_request(request: EventRequest, ev: Event) -> tuple[str | None, str | None, str | None]:
    """Refuse what does not apply to the event; returns the cleaned (reason, note, actor).

    A reason, note or actor made only of invisible characters counts as none. Raises `UsageError` for a
    reason on an event that records none (`submit`, `pass_review`, …), a filing number on any event but
    `approve`, materials to reopen on any event but `return_for_revision`, a lone surrogate, and an effective
    time outside `inputs.DATE_WINDOW`.
    """
    reason = inputs.optional_text(request.reason, "reason")
    note = inputs.optional_text(request.note, "note")
    actor = inputs.optional_text(request.actor, "actor")
    name = f"{ev.value} ({states.zh(ev)})"
    if request.reason and ev not in REASON_EVENTS:
        raise UsageError(f"{name} records no reason", hint="use --note for a remark, or leave --reason out")
    if (
        request.filing_number is not None
        and inputs.optional_text(request.filing_number)
        and ev not in NUMBER_EVENTS
    ):
        raise UsageError(f"{name} records no filing number", hint="a filing number is given with approve")
    if request.reopen and ev not in REOPEN_EVENTS:
        raise UsageError(f"{name} reopens no materials", hint="--reopen goes with return_for_revision")
    if request.at is not None:
        inputs.check_when(request.at, "effective time")
    return reason, note, actor


def _advance_in(work: Work, settings: Settings, clock: Clock, request: EventRequest) -> AdvanceResult:
    ev = as_event(request.event)
    reason, note, actor = check_request(request, ev)
    limits.check_text("note", note, limits.NOTE)
    limits.check_text("reason", reason, limits.NOTE)
    limits.check_text("who (--by)", actor, limits.ACTOR)
    now = clock()
    effective = request.at or now
    if effective > now + _CLOCK_SKEW:
        raise UsageError(f"effective time {effective.isoformat()} is in the future")
    filing = repo.load_filing(work, request.ref)
    number, number_notes = _issued_number(Kind(filing["kind"]), request.filing_number)
    check_version(filing, request.if_version)
    previous = filing["last_effective"]
    if previous is not None and effective < previous:
        raise TransitionRefused(
            f"cannot {ev.value} ({states.zh(ev, Kind(filing['kind']))}) {filing['ref']}: the effective time "
            f"{effective.isoformat()} is before its previous event ({previous.isoformat()})",
            reasons=("effective time before the previous event",),
            hint="events are recorded in the order they happened; give a later --at",
        )
    context = replace(
        _context(work, settings, clock, filing, ev, on=effective), filing_number=number, reason=reason
    )
    if ev is Event.APPROVE and number:
        holder = repo.number_in_use(work, number, filing["id"])
        if holder:  # name the other filing rather than only saying the number is taken
            refusal = (f"filing number {number} is already used by {holder}",)
            context = replace(context, extra_refusals={**context.extra_refusals, Event.APPROVE: refusal})
    outcome = states.evaluate(context, ev)
    if not outcome.allowed:
        raise TransitionRefused(
            f"cannot {ev.value} ({states.zh(ev, context.kind)}) {filing['ref']}: {'; '.join(outcome.refusals)}",
            reasons=outcome.refusals,
        )
    assert outcome.dest is not None
    values: dict[str, Any] = {
        "stage": outcome.dest.value,
        "updated_at": to_db(now),
        "stage_entered_at": to_db(effective),
    }
    if ev is Event.RETURN_FOR_REVISION:
        values["returned_from"] = filing["stage"]
        values["returns"] = filing["returns"] + 1
    if ev is Event.APPROVE and number:
        values["filing_number"] = number
    repo.update_filing_checked(work, filing["id"], filing["version"], values)
    transition: dict[str, Any] = {
        "filing_id": filing["id"],
        "event": ev.value,
        "from_stage": filing["stage"],
        "to_stage": outcome.dest.value,
        "effective_at": to_db(effective),
        "recorded_at": to_db(now),
        "actor": actor,
        "source": request.source,
        "note": note,
        "reason": reason,
        "filing_number": number if ev is Event.APPROVE else None,
    }
    transition["id"] = repo.insert_transition(work, transition)
    after = {**filing, **values, "version": filing["version"] + 1}
    queued = _after_transition(work, settings, after, transition, request.reopen)
    bump_revision(work)
    notes = number_notes if ev is Event.APPROVE else ()
    return AdvanceResult(
        repo.filing_from_mapping(after), repo.transition_from_mapping(transition), notes, queued
    )


def _context(
    work: Work,
    settings: Settings,
    clock: Clock,
    filing: Mapping[str, Any],
    event: Event | None,
    *,
    explain_all: bool = False,
    on: datetime | None = None,
) -> GuardContext:
    """Facts the guards need, computed only for the events that need them.

    `on` is when the event takes effect (default now): a (re)submission is checked against the rules in force
    on that Beijing day (`RuleSet.at`), e.g. the labelling material only from 2025-09-01.
    """
    needs_entity = explain_all or event is Event.SUBMIT
    needs_materials = explain_all or event in (Event.SUBMIT, Event.RESUBMIT)
    context = GuardContext(
        kind=Kind(filing["kind"]),
        stage=Stage(filing["stage"]),
        returned_from=Stage(filing["returned_from"]) if filing["returned_from"] else None,
        algorithm_type=states.AlgorithmType(filing["algorithm_type"]) if filing["algorithm_type"] else None,
        entity_approved=repo.entity_approved(work, filing["organisation_id"]) if needs_entity else False,
    )
    if needs_materials:
        from tracker.rules.service import guard_facts

        context = guard_facts(
            work.session,
            repo.filing_row(filing),
            context,
            settings=settings,
            materials=True,
            on=beijing_date(on or clock()),
        )
    return context


def _after_transition(
    work: Work,
    settings: Settings,
    filing: Mapping[str, Any],
    transition: Mapping[str, Any],
    reopen: tuple[str, ...],
) -> int:
    """Work that commits with the transition: reopened materials and outbox rows. Returns outbox rows added.

    `filing` holds the filing as the transition left it (stage, filing number).
    """
    from tracker.notify.outbox import NOTIFIABLE_EVENTS, enqueue_for_transition

    notify = transition["event"] in NOTIFIABLE_EVENTS
    if not reopen and not notify:
        return 0
    row = repo.filing_row(filing)
    if reopen:
        from tracker.rules.service import reopen_materials

        reopen_materials(work.session, row, reopen, now=transition["recorded_at"], settings=settings)
    if not notify:
        return 0
    return enqueue_for_transition(
        work.session,
        filing=row,
        organisation_name=filing["organisation_name"],
        transition=repo.transition_row(transition),
        now=transition["recorded_at"],
        language_default=settings.sms_language,
    )


def _with_warnings(store: Store, result: AdvanceResult) -> AdvanceResult:
    if result.transition.event is not Event.APPROVE:
        return result
    found = _warnings(store, result.filing, result.transition.effective_at)
    return replace(result, warnings=(*result.warnings, *found))


def _issued_number(kind: Kind, typed: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The number to store for an approval, read from pasted text, and what reading it ignored or doubted.

    Text that holds no usable number is passed on as typed, so that the approval guard refuses it and quotes it.
    """
    if not typed or kind is Kind.ENTITY:
        return (states.normalise_filing_number(typed) or None) if typed else None, ()
    try:
        found = states.extract_filing_number(typed, kind)
    except states.FilingNumberError:
        return typed, ()
    return found.number, tuple(f"filing number: {note}" for note in (*found.notes, *found.warnings))


def _warnings(store: Store, filing: Filing, effective: datetime) -> list[str]:
    """Inferred checks (DOMAIN G8, G9): worth a warning, never a refusal."""
    if not filing.filing_number:
        return []
    warnings = list(states.filing_number_warnings(filing.filing_number, effective.year))
    from tracker.filings.identity import region_warning

    with store.unit() as session:
        region = repo.find_organisation(session, filing.organisation_id).region
    problem = region_warning(filing.filing_number, region)
    if problem:
        warnings.append(problem)
    return warnings
