"""Rules facts about one stored filing, used inside a caller's transaction: its checklist, what a submit
lacks (`guard_facts`), items a return reopens (`reopen_materials`). Queries are in `tracker.rules.repo`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import states
from states import AlgorithmType, Event, GuardContext, Kind, Role, Stage
from tracker.config import Settings
from tracker.domain import Deadline, DeadlineView
from tracker.errors import UsageError
from tracker.rules import repo as q
from tracker.rules.materials import find_material, required_materials
from tracker.rules.model import MaterialItem, RuleSet
from tracker.rules.ruleset import load_rules
from tracker.timeutil import beijing_date, now_utc

if TYPE_CHECKING:
    from tracker.store.db import Session
    from tracker.store.tables import FilingRow

_RULES: dict[tuple[str, tuple[tuple[str, int, int], ...]], RuleSet] = {}
OPEN_STAGES = (Stage.DRAFT, Stage.RETURNED)  # stages whose next step is a (re)submission


def rules_for(rules_dir: Path | None) -> RuleSet:
    """The rules in `rules_dir` (default: the shipped ones), read once per process and again after an edit."""
    from tracker.locations import data_dir

    folder = rules_dir if rules_dir is not None else data_dir() / "rules"
    try:
        stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.toml")))
    except OSError:
        stamp = ()
    key = (str(folder), stamp)
    found = _RULES.get(key)
    if found is None:
        found = load_rules(folder)
        if len(_RULES) > 8:  # edited rules leave stale entries behind; keep the cache small
            _RULES.clear()
        _RULES[key] = found
    return found


def checklist(rules: RuleSet, filing: Any, on: date) -> list[MaterialItem]:
    """The items a filing (a row or a plain row) needs if submitted `on`, in rules order."""
    return required_materials(
        rules,
        kind=Kind(filing.kind),
        role=Role(filing.role) if filing.role else None,
        algorithm_type=AlgorithmType(filing.algorithm_type) if filing.algorithm_type else None,
        uses_third_party_model=bool(filing.upstream_model or filing.upstream_filing_number),
        submit_date=on,
    )


def short_label(item: MaterialItem) -> str:
    """`《算法安全自评估报告》 (algorithm security self-assessment report) [algo.self_assessment]`."""
    return f"{item.zh.split('（')[0]} ({item.en.split(' (')[0]}) [{item.key}]"


def _today(on: date | None) -> date:
    return on if on is not None else beijing_date(now_utc())


def guard_facts(
    session: Session,
    row: FilingRow,
    context: GuardContext,
    *,
    settings: Settings | None = None,
    materials: bool = True,
    on: date | None = None,
) -> GuardContext:
    """Add the rules' facts to a guard context: the resubmit policy, and missing mandatory materials.

    Materials are looked up (one query) only when asked and only where a (re)submit leaves the stage;
    `on` is the submission day (default today in Beijing): the rules in force that day (`RuleSet.at`) decide
    date-bound items such as G6 and the resubmit policy.
    """
    rules = rules_for(settings.rules_dir if settings else None).at(_today(on))
    context = replace(context, restart_on_resubmit=rules.restart_on_resubmit)
    if not materials or context.stage not in OPEN_STAGES or row.id is None:
        return context
    mandatory = [item for item in checklist(rules, row, _today(on)) if item.mandatory]
    if not mandatory:
        return context
    provided = q.provided_keys(session, row.id)
    missing = tuple(short_label(item) for item in mandatory if item.key not in provided)
    return replace(context, missing_materials=missing)


def resolve_item(rules: RuleSet, items: Sequence[MaterialItem], name: str, ref: str) -> MaterialItem:
    """The checklist item named by key, Chinese or English label; a usage error if it is not on `items`."""
    try:
        item = find_material(rules, name)
    except KeyError:
        raise UsageError(f"no material {name!r}", hint=f"`beian materials {ref}` lists the items") from None
    found = next((i for i in items if i.key == item.key), None)
    if found is None:
        raise UsageError(
            f"{item.key} ({item.zh.split('（')[0]}) is not on the checklist of {ref}",
            hint=f"`beian materials {ref}` lists its items",
        )
    return found


def reopen_materials(
    session: Session,
    row: FilingRow,
    keys: Sequence[str],
    *,
    now: datetime,
    settings: Settings | None = None,
) -> int:
    """Open the named items again after a return for revision (provided=False, reopened+1); returns how many."""
    assert row.id is not None
    if q.last_event(session, row.id) != Event.RETURN_FOR_REVISION.value:
        raise UsageError("--reopen names materials to fix, so it goes with return_for_revision only")
    rules = rules_for(settings.rules_dir if settings else None)
    items = checklist(rules, row, beijing_date(now))
    stored = q.material_rows(session, row.id)
    chosen = list(dict.fromkeys(resolve_item(rules, items, name, row.ref).key for name in keys))
    rows = [q.material_row(stored, row.id, key) for key in chosen]
    for material in rows:
        material.provided = False
        material.reopened += 1
    q.save_materials(session, rows)
    return len(chosen)


def check_number(item: MaterialItem, value: str | None) -> str:
    """The filing number for an item with a `check`, read from pasted text; a usage error naming the format otherwise."""
    if not states.normalise_filing_number(value or ""):
        raise UsageError(f"{item.key} needs the number itself: give it with --note")
    assert value is not None
    kind = Kind.ALGORITHM if item.check == "algo_filing_number" else Kind.GENAI_FILING
    try:
        number = states.extract_filing_number(value, kind).number
    except states.FilingNumberError as exc:
        raise UsageError(f"{item.key}: {exc}") from None
    # the upstream model's type digits may differ from ours, so only the type code range is checked
    if kind is Kind.ALGORITHM and not states.ALGO_FILING_NO.match(number):
        raise UsageError(states.check_filing_number(Kind.ALGORITHM, number, None) or number)
    return number


def to_view(filing_id: int, ref: str, d: Deadline) -> DeadlineView:
    """A computed deadline as the domain object the CLI and dashboard show."""
    return DeadlineView(filing_id=filing_id, ref=ref, **{f.name: getattr(d, f.name) for f in fields(d)})


def urgency(d: DeadlineView) -> tuple[int, bool, date, str]:
    """Sort key: fewest working days left first (overdue first), the filer's duties before the regulator's."""
    return (d.working_days_left, d.regulator_sla, d.due_date, d.ref)
