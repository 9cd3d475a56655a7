"""Evaluate events against a filing: where it would go, or why it may not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from states.guards import GuardContext, no_route_reason
from states.machines import index, machine_config
from states.names import Event, Kind, Stage, label

if TYPE_CHECKING:
    from transitions.core import Machine, Transition


@dataclass(frozen=True)
class Outcome:
    """The answer for one event: its destination, or the reasons it is refused."""

    event: Event
    source: Stage
    dest: Stage | None
    refusals: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        """Whether the event may happen now."""
        return self.dest is not None and not self.refusals


class _Probe:
    """A throwaway model: the machine only reads and writes its `state`."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


_MACHINES: dict[Kind, Machine] = {}


def _machine(kind: Kind) -> Machine:
    machine = _MACHINES.get(kind)
    if machine is None:
        from states import _transitions  # defer importing transitions until a machine is needed

        # a race here only builds an identical machine twice; the models are never shared
        machine = _MACHINES[kind] = _transitions.build(machine_config(kind))
    return machine


def evaluate(ctx: GuardContext, event: Event) -> Outcome:
    """Whether `event` may happen to a filing described by `ctx`, and where it leads."""
    stage = ctx.stage
    transitions_event = _machine(ctx.kind).events.get(event.value)
    # .get, not [], because Event.transitions is a defaultdict
    candidates = transitions_event.transitions.get(stage.value) if transitions_event is not None else None
    if transitions_event is None or not candidates:
        return Outcome(event, stage, None, (_not_possible(ctx.kind, stage, event),))
    probe = _Probe(stage.value)
    if transitions_event.trigger(probe, ctx):
        return Outcome(event, stage, Stage(probe.state), ())
    return _explain(ctx, event, candidates)


def options(ctx: GuardContext) -> list[Outcome]:
    """Every event leaving ctx.stage in this kind's machine, allowed or refused, in definition order."""
    return [evaluate(ctx, event) for event in index(ctx.kind).exits.get(ctx.stage, ())]


def _explain(ctx: GuardContext, event: Event, candidates: list[Transition]) -> Outcome:
    # the machine refused: find the transition that applies and ask each of its guards why
    for transition in candidates:
        if all(_holds(cond.func, ctx) for cond in transition.conditions if cond.target):
            refusals = tuple(
                reason
                for cond in transition.conditions
                if not cond.target
                for reason in _reasons(cond.func, ctx)
            )
            dest = Stage(str(transition.dest))
            return Outcome(event, ctx.stage, dest, refusals or ("refused by the machine",))
    dests = [Stage(str(t.dest)) for t in candidates]
    return Outcome(event, ctx.stage, None, (no_route_reason(ctx, event, dests),))


def _holds(func: Any, ctx: GuardContext) -> bool:
    return bool(func(ctx))


def _reasons(func: Any, ctx: GuardContext) -> tuple[str, ...]:
    reasons = getattr(func, "reasons", None)
    if reasons is not None:
        return tuple(reasons(ctx))
    return (f"refused by {getattr(func, '__name__', func)!s}",) if func(ctx) else ()


def _not_possible(kind: Kind, stage: Stage, event: Event) -> str:
    ix = index(kind)
    if stage not in ix.stages:
        return f"stage {label(stage, 'both', kind)} does not exist for {label(kind)} filings"
    exits = ix.exits.get(stage, ())
    possible = ", ".join(label(e, "both", kind) for e in exits) if exits else "none (final stage)"
    return (
        f"event {event.value} ({label(event, 'zh', kind)}) is not possible in stage "
        f"{stage.value} ({label(stage, 'zh', kind)}); possible: {possible}"
    )
