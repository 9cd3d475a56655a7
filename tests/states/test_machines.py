"""Every (stage, event) pair of every machine, checked against the specification written out here."""

from __future__ import annotations

import pytest
from transitions.core import Machine
from transitions.extensions.states import Tags, add_state_features

from states import (
    AlgorithmType,
    Event,
    GuardContext,
    Kind,
    Stage,
    evaluate,
    events_of,
    has_tag,
    initial_stage,
    is_final,
    machine_config,
    options,
    stages_of,
)

# source, event, destination; "*" means "the stage that returned the filing" (checked in test_states_guards)
_REVIEW_EXITS = "return_for_revision returned | reject rejected | withdraw withdrawn"
_AFTER_APPROVAL = """
approved            request_change          change_review
approved            request_cancellation    cancellation_review
approved            revoke                  revoked
approved            cancel_by_regulator     cancelled
change_review       approve_change          approved
change_review       return_for_revision     returned
change_review       withdraw_change         approved
cancellation_review confirm_cancellation    cancelled
returned            resubmit                *
returned            withdraw                withdrawn
"""

SPEC_TEXT = {
    Kind.ALGORITHM: """
draft           submit              initial_review
draft           withdraw            withdrawn
initial_review  pass_review         second_review
second_review   pass_review         final_review
second_review   start_offline_check offline_check
offline_check   pass_review         final_review
final_review    approve             approved
"""
    + _AFTER_APPROVAL,
    Kind.GENAI_FILING: """
draft             submit        provincial_review
draft             withdraw      withdrawn
provincial_review pass_review   national_review
national_review   approve       approved
"""
    + _AFTER_APPROVAL,
    Kind.GENAI_REGISTRATION: """
draft             submit        provincial_review
draft             withdraw      withdrawn
provincial_review approve       approved
"""
    + _AFTER_APPROVAL,
    Kind.ENTITY: """
draft         submit              under_review
draft         withdraw            withdrawn
under_review  approve             approved
under_review  return_for_revision returned
under_review  withdraw            withdrawn
returned      resubmit            under_review
returned      withdraw            withdrawn
""",
}
REVIEWS = {
    Kind.ALGORITHM: ["initial_review", "second_review", "offline_check", "final_review"],
    Kind.GENAI_FILING: ["provincial_review", "national_review"],
    Kind.GENAI_REGISTRATION: ["provincial_review"],
    Kind.ENTITY: [],
}
STAGES = {
    Kind.ALGORITHM: "draft initial_review second_review offline_check final_review returned approved change_review "
    "cancellation_review rejected withdrawn cancelled revoked",
    Kind.GENAI_FILING: "draft provincial_review national_review returned approved change_review cancellation_review "
    "rejected withdrawn cancelled revoked",
    Kind.GENAI_REGISTRATION: "draft provincial_review returned approved change_review cancellation_review "
    "rejected withdrawn cancelled revoked",
    Kind.ENTITY: "draft under_review returned approved withdrawn",
}
FINALS = {
    Kind.ALGORITHM: {"rejected", "withdrawn", "cancelled", "revoked"},
    Kind.GENAI_FILING: {"rejected", "withdrawn", "cancelled", "revoked"},
    Kind.GENAI_REGISTRATION: {"rejected", "withdrawn", "cancelled", "revoked"},
    Kind.ENTITY: {"approved", "withdrawn"},
}
VALID_NUMBER = {
    Kind.ALGORITHM: "网信算备110108823483901230031号",
    Kind.GENAI_FILING: "Beijing-DeepseekChat-202404280016",
    Kind.GENAI_REGISTRATION: "上线编号 Beijing-0001",
    Kind.ENTITY: None,
}


def spec(kind: Kind) -> dict[tuple[str, str], str]:
    """The expected (source, event) -> destination table of one kind."""
    table: dict[tuple[str, str], str] = {}
    for line in SPEC_TEXT[kind].split("\n"):
        if not line.strip():
            continue
        source, event, dest = line.split()
        table[source, event] = dest
    for review in REVIEWS[kind]:
        for pair in _REVIEW_EXITS.split("|"):
            event, dest = pair.split()
            table[review, event] = dest
    return table


def permissive(kind: Kind, stage: Stage) -> GuardContext:
    """A context in which every guard passes."""
    return GuardContext(
        kind=kind,
        stage=stage,
        returned_from=Stage((REVIEWS[kind] or ["under_review"])[0]),
        algorithm_type=AlgorithmType.GENERATIVE,
        entity_approved=True,
        filing_number=VALID_NUMBER[kind],
        reason="材料不全 (materials incomplete)",
    )


PAIRS = [(kind, stage, event) for kind in Kind for stage in STAGES[kind].split() for event in Event]


@pytest.mark.parametrize(("kind", "stage", "event"), PAIRS, ids=lambda v: str(v))
def test_every_stage_event_pair(kind: Kind, stage: str, event: Event) -> None:
    expected = spec(kind).get((stage, event.value))
    outcome = evaluate(permissive(kind, Stage(stage)), event)
    assert outcome.event is event and outcome.source == stage
    if expected is None:
        assert not outcome.allowed and outcome.dest is None
        assert outcome.refusals and "is not possible in stage" in outcome.refusals[0]
    else:
        want = REVIEWS[kind][0] if expected == "*" else expected
        assert outcome.allowed, outcome.refusals
        assert outcome.dest == want


@pytest.mark.parametrize("kind", list(Kind))
def test_config_has_exactly_the_specified_transitions(kind: Kind) -> None:
    config = machine_config(kind)
    pairs = {(t["source"], t["trigger"]) for t in config["transitions"]}
    assert pairs == set(spec(kind))
    for t in config["transitions"]:
        if spec(kind)[t["source"], t["trigger"]] != "*":
            assert t["dest"] == spec(kind)[t["source"], t["trigger"]]
    assert config["auto_transitions"] is False


@pytest.mark.parametrize("kind", list(Kind))
def test_stages_finals_and_initial(kind: Kind) -> None:
    assert [s.value for s in stages_of(kind)] == STAGES[kind].split()
    assert initial_stage(kind) is Stage.DRAFT
    assert {s.value for s in stages_of(kind) if is_final(kind, s)} == FINALS[kind]
    assert {s.value for s in stages_of(kind) if has_tag(kind, s, "review")} == set(REVIEWS[kind]) | (
        {"under_review"} if kind is Kind.ENTITY else set()
    )
    assert has_tag(kind, Stage.APPROVED, "notify_sms") and has_tag(kind, Stage.APPROVED, "live")
    assert set(events_of(kind)) == {Event(e) for _, e in spec(kind)}


def test_tags_outside_a_machine_are_false() -> None:
    assert not has_tag(Kind.ENTITY, Stage.OFFLINE_CHECK, "review")
    assert not is_final(Kind.ALGORITHM, Stage.APPROVED)
    assert has_tag(Kind.ALGORITHM, Stage.CHANGE_REVIEW, "live")
    assert has_tag(Kind.ALGORITHM, Stage.RETURNED, "with_filer")


def test_options_list_exits_in_definition_order() -> None:
    ctx = GuardContext(Kind.ALGORITHM, Stage.SECOND_REVIEW)
    outcomes = options(ctx)
    assert [o.event.value for o in outcomes] == [
        "pass_review",
        "start_offline_check",
        "return_for_revision",
        "reject",
        "withdraw",
    ]
    # without a reason the return and the rejection are refused, but still offered with their destination
    assert [o.allowed for o in outcomes] == [True, True, False, False, True]
    assert outcomes[2].dest is Stage.RETURNED
    assert options(GuardContext(Kind.ALGORITHM, Stage.REVOKED)) == []


def test_config_runs_on_transitions_own_tags_feature() -> None:
    """The config is plain MachineConfig data: transitions' Tags state feature can build and run it."""

    @add_state_features(Tags)
    class TaggedMachine(Machine):
        pass

    class Filing:
        state: str

    filing = Filing()
    machine = TaggedMachine(model=filing, **machine_config(Kind.ENTITY))
    ctx = permissive(Kind.ENTITY, Stage.DRAFT)
    assert machine.events["submit"].trigger(filing, ctx)
    assert filing.state == "under_review"
    under_review = machine.get_state("under_review")
    assert isinstance(under_review, Tags) and "review" in vars(under_review)["tags"]
    assert not machine.events["approve"].trigger(
        filing, GuardContext(Kind.ENTITY, Stage.UNDER_REVIEW, extra_refusals={Event.APPROVE: ("no",)})
    )
    assert filing.state == "under_review"
