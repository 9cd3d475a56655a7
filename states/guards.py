"""Guards: pure checks that return None when a transition may happen, or the reason it may not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from states.names import AlgorithmType, Event, Kind, Stage, label
from states.numbers import check_filing_number, normalise_filing_number


@dataclass(frozen=True)
class GuardContext:
    """Everything the guards may look at; built by the caller for one evaluation."""

    kind: Kind
    stage: Stage
    returned_from: Stage | None = None
    algorithm_type: AlgorithmType | None = None
    entity_approved: bool = False
    filing_number: str | None = None
    filing_number_in_use: bool = False
    reason: str | None = None
    missing_materials: tuple[str, ...] = ()
    restart_on_resubmit: bool = False
    extra_refusals: Mapping[Event, tuple[str, ...]] = field(default_factory=dict)


GuardFn = Callable[[GuardContext], str | None]


class Guard:
    """A named guard for a transition's `unless` list: calling it answers "does it refuse?"."""

    # plain classes rather than dataclasses keep `import states` fast
    __slots__ = ("name", "check")

    def __init__(self, name: str, check: GuardFn) -> None:
        self.name = name
        self.check = check

    def reasons(self, ctx: GuardContext) -> tuple[str, ...]:
        """The refusal reasons for `ctx` (empty when the guard passes)."""
        reason = self.check(ctx)
        return () if reason is None else (reason,)

    def __call__(self, ctx: GuardContext) -> bool:
        # transitions blocks a transition when an `unless` callable returns True
        return bool(self.reasons(ctx))

    def __repr__(self) -> str:
        return f"Guard({self.name})"


class InjectedRefusals(Guard):
    """Refusals supplied from outside (ctx.extra_refusals) for one event, e.g. by regulatory rules."""

    __slots__ = ("event",)

    def __init__(self, event: Event) -> None:
        super().__init__("injected", lambda ctx: None)
        self.event = event

    def reasons(self, ctx: GuardContext) -> tuple[str, ...]:
        """The injected reasons for this guard's event."""
        return tuple(ctx.extra_refusals.get(self.event, ()))


class ResumesAt:
    """Routing condition for resubmit: true when the returned filing goes back to `dest`."""

    __slots__ = ("dest", "first_review")

    def __init__(self, dest: Stage, first_review: Stage) -> None:
        self.dest = dest
        self.first_review = first_review

    def __call__(self, ctx: GuardContext) -> bool:
        return resume_stage(ctx, self.first_review) == self.dest

    def __repr__(self) -> str:
        return f"ResumesAt({self.dest.value})"


def resume_stage(ctx: GuardContext, first_review: Stage) -> Stage | None:
    """Where a resubmitted filing re-enters review: the returning stage, or the first review if restarting."""
    if ctx.returned_from is None:
        return None
    # a change request is a review of a live filing, so it never restarts the initial review
    if ctx.restart_on_resubmit and ctx.returned_from is not Stage.CHANGE_REVIEW:
        return first_review
    return ctx.returned_from


def no_route_reason(ctx: GuardContext, event: Event, dests: list[Stage]) -> str:
    """Why none of the conditional transitions of `event` applies (only resubmit has several)."""
    names = ", ".join(label(d, "both", ctx.kind) for d in dests)
    if ctx.returned_from is None:
        return (
            f"{label(event)} needs to know which stage returned the filing (returned_from is not recorded); "
            f"it can go back to {names}"
        )
    return f"{label(event)} cannot go back to {label(ctx.returned_from, 'both', ctx.kind)}; it can go back to {names}"


def _entity_approved(ctx: GuardContext) -> str | None:
    if ctx.entity_approved:
        return None
    return "the organisation's entity filing (主体备案) is not approved yet; it must be approved before submitting (G1)"


def _materials_complete(ctx: GuardContext) -> str | None:
    if not ctx.missing_materials:
        return None
    return "materials missing (缺少材料): " + ", ".join(ctx.missing_materials)


def _number_valid(ctx: GuardContext) -> str | None:
    return check_filing_number(ctx.kind, ctx.filing_number, ctx.algorithm_type)


def _number_unique(ctx: GuardContext) -> str | None:
    if not ctx.filing_number_in_use:
        return None
    number = normalise_filing_number(ctx.filing_number or "")
    return f"the number {number} is already recorded on another filing (编号重复); each number belongs to one filing"


def _not_a_returned_change(ctx: GuardContext) -> str | None:
    if ctx.returned_from is not Stage.CHANGE_REVIEW:
        return None
    return (
        "this filing is already approved (已备案) and only its change was returned: "
        "resubmit and then withdraw the change (撤回变更), or request cancellation (申请注销) to end it"
    )


def reason_required(event: Event) -> Guard:
    """A guard that refuses `event` without a non-blank reason."""

    def check(ctx: GuardContext) -> str | None:
        if ctx.reason and ctx.reason.strip():
            return None
        return f"{label(event)} needs a reason (原因), which is recorded and shown to the filer"

    return Guard("reason_given", check)


ENTITY_APPROVED = Guard("entity_approved", _entity_approved)
MATERIALS_COMPLETE = Guard("materials_complete", _materials_complete)
NUMBER_VALID = Guard("number_valid", _number_valid)
NUMBER_UNIQUE = Guard("number_unique", _number_unique)
NOT_A_RETURNED_CHANGE = Guard("not_a_returned_change", _not_a_returned_change)


def injected(event: Event) -> InjectedRefusals:
    """The guard that applies ctx.extra_refusals[event]."""
    return InjectedRefusals(event)
