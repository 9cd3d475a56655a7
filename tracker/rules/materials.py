"""Materials checklists: which items a filing needs (DOMAIN §7.4, guards G2–G6), driven by `materials` rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from states import AlgorithmType, Kind, Role
from tracker.rules.model import MaterialItem, RuleSet

__all__ = ["MaterialItem", "find_material", "missing", "required_materials"]


def required_materials(
    rules: RuleSet,
    *,
    kind: Kind,
    role: Role | None,
    algorithm_type: AlgorithmType | None,
    uses_third_party_model: bool,
    submit_date: date,
) -> list[MaterialItem]:
    """The checklist for a filing with these facts, submitted on `submit_date`, in rules-file order.

    Only the items in force on `submit_date` (a Beijing date) count: each item's `effective_from` /
    `effective_until` in `data/rules/materials.toml`. A filing is checked against the rules of its (latest)
    submission, so a resubmission after a rule changed is checked against the new one. Example: the content
    labelling material, required from 2025-09-01 by 《人工智能生成合成内容标识办法》 art. 12 (DOMAIN §1.4, G6).
    """

    def applies(item: MaterialItem) -> bool:
        return item.effective.covers(submit_date) and (
            not item.when
            or any(
                c.holds(
                    kind=kind,
                    role=role,
                    algorithm_type=algorithm_type,
                    third_party=uses_third_party_model,
                )
                for c in item.when
            )
        )

    return [item for item in rules.materials if applies(item)]


def missing(required: Iterable[MaterialItem], provided_keys: set[str]) -> tuple[str, ...]:
    """Bilingual labels, "zh (en)", of the mandatory items whose key is not among `provided_keys`."""
    return tuple(item.label for item in required if item.mandatory and item.key not in provided_keys)


def find_material(rules: RuleSet, name: str) -> MaterialItem:
    """The item named by its key, Chinese or English label (case and surrounding space ignored); KeyError if none.

    Any version's label finds the item; the latest version of its key is returned.
    """
    wanted = name.strip().casefold()
    for item in rules.materials:
        if wanted in (item.key.casefold(), item.zh.casefold(), item.en.casefold(), item.label.casefold()):
            return rules.material(item.key)
    # a label's short form: the part before the first bracket, e.g. 《算法安全自评估报告》 or "annex 4"
    for item in rules.materials:
        shorts = (item.zh.split("（")[0].strip("《》").casefold(), item.en.split(" (")[0].casefold())
        if wanted.strip("《》") in shorts:
            return rules.material(item.key)
    raise KeyError(name)
