"""Materials checklists by kind and role, third-party models, generative filings and the 2025-09-01 cut-over."""

from __future__ import annotations

from datetime import date

import pytest

from states import AlgorithmType, Kind, Role
from tracker.rules import MaterialItem, RuleSet, find_material, missing, required_materials

SPRING_2026 = date(2026, 3, 2)


def keys(
    rules: RuleSet,
    kind: Kind,
    role: Role | None = None,
    algorithm_type: AlgorithmType | None = None,
    third_party: bool = False,
    on: date = SPRING_2026,
) -> set[str]:
    items = required_materials(
        rules,
        kind=kind,
        role=role,
        algorithm_type=algorithm_type,
        uses_third_party_model=third_party,
        submit_date=on,
    )
    return {i.key for i in items}


ALGO_COMMON = {
    "algo.basic_attributes",
    "algo.self_assessment",
    "algo.public_disclosure",
    "algo.detailed_attributes",
    "algo.model_and_data",
    "algo.strategy_and_risks",
}
THIRD_PARTY = {
    "third_party.upstream_filing_number",
    "third_party.registry_screenshot",
    "third_party.cooperation_agreement",
    "third_party.upstream_genai_number",
}


def test_entity_checklist(rules: RuleSet) -> None:
    got = keys(rules, Kind.ENTITY)
    assert got == {
        "entity.basic_info",
        "entity.business_licence",
        "entity.legal_representative",
        "entity.security_officer",
        "entity.commitment",
        "entity.responsibility",
        "entity.security_policies",
        "entity.icp_proof",
    }
    assert rules.material("entity.icp_proof").mandatory is False


def test_provider_needs_products_and_function_path(rules: RuleSet) -> None:
    got = keys(rules, Kind.ALGORITHM, Role.PROVIDER, AlgorithmType.RECOMMENDATION)
    assert got == ALGO_COMMON | {"algo.product_info", "algo.function_path"}


def test_tech_supporter_needs_service_mode_instead(rules: RuleSet) -> None:
    got = keys(rules, Kind.ALGORITHM, Role.TECH_SUPPORTER, AlgorithmType.RANKING)
    assert got == ALGO_COMMON | {"algo.tech_service_mode"}


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.TECH_SUPPORTER])
def test_third_party_model_adds_evidence(rules: RuleSet, role: Role) -> None:
    without = keys(rules, Kind.ALGORITHM, role, AlgorithmType.RETRIEVAL)
    with_model = keys(rules, Kind.ALGORITHM, role, AlgorithmType.RETRIEVAL, third_party=True)
    assert with_model - without == THIRD_PARTY
    assert rules.material("third_party.upstream_filing_number").check == "algo_filing_number"
    assert rules.material("third_party.upstream_genai_number").check == "genai_filing_number"
    assert rules.material("third_party.upstream_genai_number").mandatory is False


def test_generative_needs_complaint_entry_and_labelling_from_2025_09_01(rules: RuleSet) -> None:
    before = keys(rules, Kind.ALGORITHM, Role.PROVIDER, AlgorithmType.GENERATIVE, on=date(2025, 8, 31))
    on_day = keys(rules, Kind.ALGORITHM, Role.PROVIDER, AlgorithmType.GENERATIVE, on=date(2025, 9, 1))
    assert "common.complaint_entry" in before
    assert "algo.content_labelling" not in before
    assert on_day - before == {"algo.content_labelling"}


def test_non_generative_needs_neither(rules: RuleSet) -> None:
    got = keys(rules, Kind.ALGORITHM, Role.PROVIDER, AlgorithmType.SCHEDULING)
    assert "common.complaint_entry" not in got
    assert "algo.content_labelling" not in got


def test_genai_filing_checklist(rules: RuleSet) -> None:
    got = keys(rules, Kind.GENAI_FILING)
    assert "common.complaint_entry" in got
    assert {
        "genai.filing_form",
        "genai.security_assessment",
        "genai.service_agreement",
        "genai.annotation_rules",
        "genai.keyword_list",
        "genai.test_questions",
        "genai.test_account",
    } <= got
    assert not any(k.startswith(("algo.", "entity.", "reg.")) for k in got)


def test_genai_registration_checklist(rules: RuleSet) -> None:
    got = keys(rules, Kind.GENAI_REGISTRATION)
    assert got == {
        "common.complaint_entry",
        "reg.form",
        "reg.upstream_model_proof",
        "reg.service_agreement",
        "reg.content_security_policy",
        "reg.keyword_list",
        "reg.test_questions",
        "reg.test_channel",
    }


def test_missing_lists_mandatory_items_bilingually(rules: RuleSet) -> None:
    required = required_materials(
        rules,
        kind=Kind.ALGORITHM,
        role=Role.PROVIDER,
        algorithm_type=AlgorithmType.GENERATIVE,
        uses_third_party_model=True,
        submit_date=SPRING_2026,
    )
    provided = {i.key for i in required} - {"algo.self_assessment", "common.complaint_entry"}
    provided.discard("third_party.upstream_genai_number")  # optional: never reported
    assert missing(required, provided) == (
        "《算法安全自评估报告》 (algorithm security self-assessment report)",
        "投诉举报入口（公布处理流程和反馈时限） (complaint and report entry (with published process and feedback time))",
    )
    assert missing(required, {i.key for i in required if i.mandatory}) == ()


def test_everything_missing_for_a_fresh_entity(rules: RuleSet) -> None:
    required = required_materials(
        rules,
        kind=Kind.ENTITY,
        role=None,
        algorithm_type=None,
        uses_third_party_model=False,
        submit_date=SPRING_2026,
    )
    assert len(missing(required, set())) == len([i for i in required if i.mandatory]) == 7


@pytest.mark.parametrize(
    "name",
    [
        "algo.self_assessment",
        "《算法安全自评估报告》",
        "algorithm security self-assessment report",
        "算法安全自评估报告",
    ],
)
def test_find_material_by_key_or_label(rules: RuleSet, name: str) -> None:
    item: MaterialItem = find_material(rules, name)
    assert item.key == "algo.self_assessment"


def test_find_material_unknown(rules: RuleSet) -> None:
    with pytest.raises(KeyError):
        find_material(rules, "nonsense")
