"""The four filing machines, defined as data shaped like transitions' MachineConfig.

State tags: "review" (the regulator is reviewing the filing itself; the Art. 25 clock runs),
"with_regulator" (waiting on the regulator), "with_filer" (waiting on the filer), "live" (approved and
in force), "notify_sms" (tell the filer by SMS on entry) and "final" (no way out).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from states.guards import (
    ENTITY_APPROVED,
    MATERIALS_COMPLETE,
    NOT_A_RETURNED_CHANGE,
    NUMBER_UNIQUE,
    NUMBER_VALID,
    Guard,
    ResumesAt,
    injected,
    reason_required,
)
from states.names import Event, Kind, Stage

E, S = Event, Stage

_TAGS: dict[Stage, tuple[str, ...]] = {
    S.DRAFT: ("with_filer",),
    S.RETURNED: ("with_filer",),
    S.APPROVED: ("live", "notify_sms"),
    S.CHANGE_REVIEW: ("live", "with_regulator"),
    S.CANCELLATION_REVIEW: ("live", "with_regulator"),
    **dict.fromkeys((S.REJECTED, S.WITHDRAWN, S.CANCELLED, S.REVOKED), ("final",)),
    **dict.fromkeys(
        (
            S.INITIAL_REVIEW,
            S.SECOND_REVIEW,
            S.OFFLINE_CHECK,
            S.FINAL_REVIEW,
            S.UNDER_REVIEW,
            S.PROVINCIAL_REVIEW,
            S.NATIONAL_REVIEW,
        ),
        ("review", "with_regulator"),
    ),
}

_REASON = {e: reason_required(e) for e in (E.RETURN_FOR_REVISION, E.REJECT, E.REVOKE)}


def _t(
    event: Event, source: Stage, dest: Stage, *guards: Guard, routes: tuple[ResumesAt, ...] = ()
) -> dict[str, Any]:
    # every transition also honours refusals injected for its event by the rules layer
    return {
        "trigger": event.value,
        "source": source.value,
        "dest": dest.value,
        "conditions": list(routes),
        "unless": [*guards, injected(event)],
    }


def _leave_review(stage: Stage) -> list[dict[str, Any]]:
    return [
        _t(E.RETURN_FOR_REVISION, stage, S.RETURNED, _REASON[E.RETURN_FOR_REVISION]),
        _t(E.REJECT, stage, S.REJECTED, _REASON[E.REJECT]),
        _t(E.WITHDRAW, stage, S.WITHDRAWN),
    ]


def _returned(origins: tuple[Stage, ...], first_review: Stage) -> list[dict[str, Any]]:
    # one conditional transition per stage a returned filing can go back to
    resubmits = [
        _t(E.RESUBMIT, S.RETURNED, origin, MATERIALS_COMPLETE, routes=(ResumesAt(origin, first_review),))
        for origin in origins
    ]
    return [*resubmits, _t(E.WITHDRAW, S.RETURNED, S.WITHDRAWN, NOT_A_RETURNED_CHANGE)]


def _after_approval() -> list[dict[str, Any]]:
    return [
        _t(E.REQUEST_CHANGE, S.APPROVED, S.CHANGE_REVIEW),
        _t(E.REQUEST_CANCELLATION, S.APPROVED, S.CANCELLATION_REVIEW),
        _t(E.REVOKE, S.APPROVED, S.REVOKED, _REASON[E.REVOKE]),
        _t(E.CANCEL_BY_REGULATOR, S.APPROVED, S.CANCELLED),
        _t(E.APPROVE_CHANGE, S.CHANGE_REVIEW, S.APPROVED),
        _t(E.RETURN_FOR_REVISION, S.CHANGE_REVIEW, S.RETURNED, _REASON[E.RETURN_FOR_REVISION]),
        _t(E.WITHDRAW_CHANGE, S.CHANGE_REVIEW, S.APPROVED),
        _t(E.CONFIRM_CANCELLATION, S.CANCELLATION_REVIEW, S.CANCELLED),
    ]


_LIVE_AND_AFTER = (
    S.APPROVED,
    S.CHANGE_REVIEW,
    S.CANCELLATION_REVIEW,
    S.REJECTED,
    S.WITHDRAWN,
    S.CANCELLED,
    S.REVOKED,
)


def _algorithm() -> tuple[tuple[Stage, ...], list[dict[str, Any]]]:
    reviews = (S.INITIAL_REVIEW, S.SECOND_REVIEW, S.OFFLINE_CHECK, S.FINAL_REVIEW)
    stages = (S.DRAFT, *reviews, S.RETURNED, *_LIVE_AND_AFTER)
    transitions = [
        _t(E.SUBMIT, S.DRAFT, S.INITIAL_REVIEW, ENTITY_APPROVED, MATERIALS_COMPLETE),
        _t(E.WITHDRAW, S.DRAFT, S.WITHDRAWN),
        _t(E.PASS_REVIEW, S.INITIAL_REVIEW, S.SECOND_REVIEW),
        *_leave_review(S.INITIAL_REVIEW),
        _t(E.PASS_REVIEW, S.SECOND_REVIEW, S.FINAL_REVIEW),
        _t(E.START_OFFLINE_CHECK, S.SECOND_REVIEW, S.OFFLINE_CHECK),
        *_leave_review(S.SECOND_REVIEW),
        _t(E.PASS_REVIEW, S.OFFLINE_CHECK, S.FINAL_REVIEW),
        *_leave_review(S.OFFLINE_CHECK),
        _t(E.APPROVE, S.FINAL_REVIEW, S.APPROVED, NUMBER_VALID, NUMBER_UNIQUE),
        *_leave_review(S.FINAL_REVIEW),
        *_returned((*reviews, S.CHANGE_REVIEW), S.INITIAL_REVIEW),
        *_after_approval(),
    ]
    return stages, transitions


def _genai(national: bool) -> tuple[tuple[Stage, ...], list[dict[str, Any]]]:
    reviews = (S.PROVINCIAL_REVIEW, S.NATIONAL_REVIEW) if national else (S.PROVINCIAL_REVIEW,)
    stages = (S.DRAFT, *reviews, S.RETURNED, *_LIVE_AND_AFTER)
    transitions = [
        _t(E.SUBMIT, S.DRAFT, S.PROVINCIAL_REVIEW, MATERIALS_COMPLETE),
        _t(E.WITHDRAW, S.DRAFT, S.WITHDRAWN),
    ]
    if national:
        transitions += [
            _t(E.PASS_REVIEW, S.PROVINCIAL_REVIEW, S.NATIONAL_REVIEW),
            *_leave_review(S.PROVINCIAL_REVIEW),
        ]
    transitions += [
        _t(E.APPROVE, reviews[-1], S.APPROVED, NUMBER_VALID, NUMBER_UNIQUE),
        *_leave_review(reviews[-1]),
        *_returned((*reviews, S.CHANGE_REVIEW), S.PROVINCIAL_REVIEW),
        *_after_approval(),
    ]
    return stages, transitions


def _entity() -> tuple[tuple[Stage, ...], list[dict[str, Any]]]:
    stages = (S.DRAFT, S.UNDER_REVIEW, S.RETURNED, S.APPROVED, S.WITHDRAWN)
    transitions = [
        _t(E.SUBMIT, S.DRAFT, S.UNDER_REVIEW, MATERIALS_COMPLETE),
        _t(E.WITHDRAW, S.DRAFT, S.WITHDRAWN),
        _t(E.APPROVE, S.UNDER_REVIEW, S.APPROVED),
        _t(E.RETURN_FOR_REVISION, S.UNDER_REVIEW, S.RETURNED, _REASON[E.RETURN_FOR_REVISION]),
        _t(E.WITHDRAW, S.UNDER_REVIEW, S.WITHDRAWN),
        # only one stage returns an entity filing, so resubmit needs no route condition
        _t(E.RESUBMIT, S.RETURNED, S.UNDER_REVIEW, MATERIALS_COMPLETE),
        _t(E.WITHDRAW, S.RETURNED, S.WITHDRAWN),
    ]
    return stages, transitions


def _state_tags(kind: Kind, stage: Stage) -> tuple[str, ...]:
    if kind is Kind.ENTITY and stage is S.APPROVED:
        return ("live", "notify_sms", "final")  # the simple entity machine ends at approval
    return _TAGS[stage]


def machine_config(kind: Kind) -> dict[str, Any]:
    """A fresh MachineConfig-shaped dict for `kind`; states carry `tags`, so build it with a tag-aware state class."""
    builders = {
        Kind.ALGORITHM: _algorithm,
        Kind.ENTITY: _entity,
        Kind.GENAI_FILING: lambda: _genai(national=True),
        Kind.GENAI_REGISTRATION: lambda: _genai(national=False),
    }
    stages, transitions = builders[kind]()
    states = []
    for stage in stages:
        tags = _state_tags(kind, stage)
        states.append({"name": stage.value, "tags": list(tags), "final": "final" in tags})
    return {
        "name": kind.value,
        "states": states,
        "transitions": transitions,
        "initial": S.DRAFT.value,
        "auto_transitions": False,
        "model_override": True,
        "send_event": False,
        "queued": False,
    }


class _Index:
    __slots__ = ("stages", "events", "tags", "exits", "initial")

    def __init__(
        self,
        stages: tuple[Stage, ...],
        events: tuple[Event, ...],
        tags: dict[Stage, frozenset[str]],
        exits: dict[Stage, tuple[Event, ...]],
        initial: Stage,
    ) -> None:
        self.stages = stages
        self.events = events
        self.tags = tags
        self.exits = exits
        self.initial = initial


@cache
def index(kind: Kind) -> _Index:
    """Lookup tables derived once from the machine config."""
    config = machine_config(kind)
    stages = tuple(Stage(s["name"]) for s in config["states"])
    exits: dict[Stage, list[Event]] = {s: [] for s in stages}
    for t in config["transitions"]:
        if Event(t["trigger"]) not in exits[Stage(t["source"])]:
            exits[Stage(t["source"])].append(Event(t["trigger"]))
    return _Index(
        stages=stages,
        events=tuple(dict.fromkeys(Event(t["trigger"]) for t in config["transitions"])),
        tags={Stage(s["name"]): frozenset(s["tags"]) for s in config["states"]},
        exits={s: tuple(e) for s, e in exits.items()},
        initial=Stage(config["initial"]),
    )


def stages_of(kind: Kind) -> list[Stage]:
    """The stages of `kind`'s machine, in definition order."""
    return list(index(kind).stages)


def events_of(kind: Kind) -> list[Event]:
    """The events of `kind`'s machine, in definition order."""
    return list(index(kind).events)


def initial_stage(kind: Kind) -> Stage:
    """The stage a new filing of `kind` starts in."""
    return index(kind).initial


def is_final(kind: Kind, stage: Stage) -> bool:
    """Whether `stage` is a final stage of `kind`'s machine."""
    return has_tag(kind, stage, "final")


def has_tag(kind: Kind, stage: Stage, tag: str) -> bool:
    """Whether `stage` carries `tag` in `kind`'s machine (False for a stage the machine lacks)."""
    return tag in index(kind).tags.get(stage, frozenset())
