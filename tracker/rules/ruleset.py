"""Load and validate the rules files (`data/rules/*.toml`) into a `RuleSet`.

Each file holds a `version` string (the same in every file of a set) and any of the sections `settings`,
`materials`, `deadlines` and `forecast`; a section lives in exactly one file. Every fact carries `source`
(one of SOURCE_TAGS) and `cite`. Anything unknown or mistyped is refused with the file and line.

Rules in force by date: a materials item, a deadline or a setting may carry `effective_from` and/or
`effective_until` (inclusive Beijing dates), and then must say where those dates come from with
`effective_source` (a tag) and `effective_cite`. One key (material key, deadline id, setting name) may appear
several times with periods that do not overlap; a setting written as `[[settings.NAME]]` must have exactly
one value on every date (its versions follow each other without gap).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from states import AlgorithmType, Kind, Role, Stage, stages_of
from tracker.errors import RulesError
from tracker.rules._toml import Doc, Where, read_toml, show
from tracker.rules._versions import EFFECTIVE_KEYS, no_overlap, read_effective, read_settings
from tracker.rules.model import (
    ClockPolicy,
    Condition,
    DeadlineRule,
    Effective,
    MaterialItem,
    Prior,
    ReentryPolicy,
    RuleSet,
    Source,
)

__all__ = ["RulesError", "load_rules"]

E = TypeVar("E", bound=StrEnum)

SECTIONS = ("settings", "materials", "deadlines", "forecast")
TRIGGERS = ("launch_date", "change_date", "termination_date", "materials_complete_date", "submitted")
_ITEM_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def load_rules(rules_dir: Path | None = None) -> RuleSet:
    """Read every `*.toml` in `rules_dir` (default: the shipped `data/rules/`) into one validated RuleSet.

    Raises RulesError (a ConfigError, exit code of tracker.errors) naming the file and line of the first
    problem: bad TOML, an unknown key, a wrong type, a date of effect without its source, overlapping versions.
    """
    if rules_dir is None:
        from tracker.locations import data_dir  # resolved at call time: nothing is read on import

        rules_dir = data_dir() / "rules"
    files = sorted(rules_dir.glob("*.toml")) if rules_dir.is_dir() else []
    if not files:
        raise RulesError(rules_dir, None, "no rules files (*.toml) found in this folder")
    docs = [read_toml(path) for path in files]
    version = _version(docs)
    found: dict[str, Doc] = {}
    for doc in docs:
        for key in doc.data:
            if key == "version":
                continue
            if key not in SECTIONS:
                doc.fail((key,), f"unknown section {key!r} (allowed: version, {', '.join(SECTIONS)})")
            if key in found:
                doc.fail((key,), f"section {key!r} is already defined in {found[key].path.name}")
            found[key] = doc
    for name in SECTIONS:
        if name not in found:
            raise RulesError(rules_dir, None, f"no rules file defines the section {name!r}")
    settings, sources, versions = read_settings(found["settings"])
    paths, priors, basis = _forecast(found["forecast"])
    return RuleSet(
        version=version,
        files=tuple(files),
        resubmit_reenters=cast(ReentryPolicy, settings["resubmit_reenters"]),
        due_soon_days=int(settings["due_soon_days"]),
        offline_check_rate=float(settings["offline_check_rate"]),
        history_min_samples=int(settings["history_min_samples"]),
        regulator_clock_on_resubmit=cast(ClockPolicy, settings["regulator_clock_on_resubmit"]),
        materials=_materials(found["materials"]),
        deadlines=_deadlines(found["deadlines"]),
        priors=priors,
        review_paths=paths,
        prior_basis=basis,
        setting_sources=sources,
        settings=versions,
    )


def _version(docs: list[Doc]) -> str:
    first: tuple[Doc, str] | None = None
    for doc in docs:
        version = doc.get(doc.data, (), "version", str)
        if first is None:
            first = (doc, version)
        elif version != first[1]:
            doc.fail(
                ("version",),
                f"version {version!r} differs from {first[0].path.name}'s {first[1]!r}; a rules set has one version",
            )
    assert first is not None
    return first[1]


def _enum(doc: Doc, enum: type[E], value: Any, where: Where, what: str) -> E:
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in enum)
    doc.fail(where, f"{show(where)}: unknown {what} {value!r} (allowed: {allowed})")


def _enums(doc: Doc, enum: type[E], value: Any, where: Where, what: str) -> frozenset[E]:
    names = doc.strings(value, where)
    if not names:
        doc.fail(where, f"{show(where)} must name at least one {what}")
    return frozenset(_enum(doc, enum, name, where, what) for name in names)


def _condition(doc: Doc, value: Any, where: Where) -> Condition:
    if isinstance(value, dict):
        for moved in ("from", "before"):
            if moved in value:
                doc.fail(
                    (*where, moved),
                    f"{show(where)}: `{moved}` is no longer a condition; give the item "
                    "effective_from / effective_until (with effective_source and effective_cite)",
                )
    table = doc.table(value, where, optional=("kind", "role", "algorithm_type", "third_party"))
    if not table:
        doc.fail(where, f"{show(where)} is empty; leave `when` out for an item that always applies")
    return Condition(
        kinds=_enums(doc, Kind, table["kind"], (*where, "kind"), "kind") if "kind" in table else None,
        roles=_enums(doc, Role, table["role"], (*where, "role"), "role") if "role" in table else None,
        algorithm_types=(
            _enums(doc, AlgorithmType, table["algorithm_type"], (*where, "algorithm_type"), "algorithm type")
            if "algorithm_type" in table
            else None
        ),
        third_party=doc.get(table, where, "third_party", bool) if "third_party" in table else None,
    )


def _materials(doc: Doc) -> tuple[MaterialItem, ...]:
    items = doc.data["materials"]
    if not isinstance(items, list) or not items:
        doc.fail(("materials",), "materials must be a non-empty array of tables ([[materials]])")
    seen: dict[str, list[Effective]] = {}
    out: list[MaterialItem] = []
    for i, raw in enumerate(items):
        at: Where = ("materials", i)
        table = doc.table(
            raw,
            at,
            required=("key", "zh", "en", "source", "cite"),
            optional=("mandatory", "when", "note", "check", *EFFECTIVE_KEYS),
        )
        key = doc.get(table, at, "key", str)
        if not _ITEM_KEY.match(key):
            doc.fail((*at, "key"), f"material key {key!r} must look like group.name (lower case, dotted)")
        effective = read_effective(doc, table, at)
        no_overlap(doc, "material key", key, effective, seen.get(key, []), (*at, "key"))
        seen.setdefault(key, []).append(effective)
        when = table.get("when")
        conditions: list[Condition] = []
        if isinstance(when, list):
            if not when:
                doc.fail(
                    (*at, "when"),
                    f"{key}: `when` is an empty array; leave it out for an item that always applies",
                )
            conditions = [_condition(doc, c, (*at, "when", j)) for j, c in enumerate(when)]
        elif when is not None:
            conditions = [_condition(doc, when, (*at, "when"))]
        check = doc.opt(table, at, "check", str, "")
        if check and check not in ("algo_filing_number", "genai_filing_number"):
            doc.fail(
                (*at, "check"), f"{key}: check {check!r} must be algo_filing_number or genai_filing_number"
            )
        out.append(
            MaterialItem(
                key=key,
                zh=doc.get(table, at, "zh", str),
                en=doc.get(table, at, "en", str),
                mandatory=doc.opt(table, at, "mandatory", bool, True),
                source=Source(*doc.source(table, at)),
                when=tuple(conditions),
                note=doc.opt(table, at, "note", str, "") or None,
                check=cast(Any, check or None),
                effective=effective,
            )
        )
    return tuple(out)


def _stages_for(doc: Doc, kinds: Iterable[Kind], value: Any, where: Where) -> tuple[Stage, ...]:
    stages = tuple(_enum(doc, Stage, name, where, "stage") for name in doc.strings(value, where))
    for kind in kinds:
        for stage in stages:
            if stage not in stages_of(kind):
                doc.fail(
                    where,
                    f"{show(where)}: {_article(kind.value)} {kind.value} filing has no stage {stage.value!r}",
                )
    return stages


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _deadlines(doc: Doc) -> tuple[DeadlineRule, ...]:
    items = doc.data["deadlines"]
    if not isinstance(items, list) or not items:
        doc.fail(("deadlines",), "deadlines must be a non-empty array of tables ([[deadlines]])")
    out: list[DeadlineRule] = []
    for i, raw in enumerate(items):
        at: Where = ("deadlines", i)
        table = doc.table(
            raw,
            at,
            required=(
                "id",
                "zh",
                "en",
                "working_days",
                "trigger",
                "kinds",
                "stages",
                "regulator_sla",
                "basis",
            )
            + ("source", "cite"),
            optional=("public_opinion_only", *EFFECTIVE_KEYS),
        )
        ident = doc.get(table, at, "id", str)
        effective = read_effective(doc, table, at)
        no_overlap(
            doc, "deadline id", ident, effective, [d.effective for d in out if d.id == ident], (*at, "id")
        )
        days = doc.get(table, at, "working_days", int)
        if days <= 0:
            doc.fail((*at, "working_days"), f"{ident}: working_days must be positive, not {days}")
        triggers = doc.strings(table["trigger"], (*at, "trigger"))
        for name in triggers:
            if name not in TRIGGERS:
                doc.fail(
                    (*at, "trigger"), f"{ident}: unknown trigger {name!r} (allowed: {', '.join(TRIGGERS)})"
                )
        kinds = _enums(doc, Kind, table["kinds"], (*at, "kinds"), "kind")
        out.append(
            DeadlineRule(
                id=ident,
                zh=doc.get(table, at, "zh", str),
                en=doc.get(table, at, "en", str),
                working_days=days,
                triggers=triggers,
                kinds=kinds,
                stages=frozenset(_stages_for(doc, kinds, table["stages"], (*at, "stages"))),
                regulator_sla=doc.get(table, at, "regulator_sla", bool),
                public_opinion_only=doc.opt(table, at, "public_opinion_only", bool, False),
                basis=doc.get(table, at, "basis", str),
                source=Source(*doc.source(table, at)),
                effective=effective,
            )
        )
    return tuple(out)


def _forecast(doc: Doc) -> tuple[dict[Kind, tuple[Stage, ...]], dict[tuple[Kind, Stage], Prior], str]:
    where: Where = ("forecast",)
    table = doc.table(doc.data["forecast"], where, required=("prior_basis", "review_paths", "priors"))
    basis = doc.get(table, where, "prior_basis", str)
    raw_paths = doc.table(table["review_paths"], (*where, "review_paths"), optional=[k.value for k in Kind])
    paths: dict[Kind, tuple[Stage, ...]] = {}
    for name, value in raw_paths.items():
        kind = Kind(name)
        at = (*where, "review_paths", name)
        paths[kind] = _stages_for(doc, [kind], value, at)
        if not paths[kind]:
            doc.fail(at, f"{show(at)} must list at least one review stage")
    items = table["priors"]
    if not isinstance(items, list):
        doc.fail((*where, "priors"), "forecast.priors must be an array of tables ([[forecast.priors]])")
    priors: dict[tuple[Kind, Stage], Prior] = {}
    for i, raw in enumerate(items):
        at = (*where, "priors", i)
        entry = doc.table(raw, at, required=("kind", "stage", "median", "p80", "source", "cite"))
        kind = _enum(doc, Kind, entry["kind"], (*at, "kind"), "kind")
        stage = _stages_for(doc, [kind], entry["stage"], (*at, "stage"))[0]
        median = doc.get(entry, at, "median", float)
        p80 = doc.get(entry, at, "p80", float)
        if not 0 < median <= p80:
            doc.fail(
                (*at, "median"), f"{kind.value}/{stage.value}: need 0 < median <= p80, got {median} and {p80}"
            )
        if (kind, stage) in priors:
            doc.fail(at, f"a prior for {kind.value}/{stage.value} is defined twice")
        priors[(kind, stage)] = Prior(kind, stage, float(median), float(p80), Source(*doc.source(entry, at)))
    for kind, stages in paths.items():
        for stage in stages:
            if (kind, stage) not in priors:
                doc.fail((*where, "review_paths", kind.value), f"no prior for {kind.value}/{stage.value}")
    return paths, priors, basis
