"""The documented JSON shapes of the regulator's clock, `beian stats`, "changed since you last looked" and
digests (`--json`); a stable API like `tracker.domain.json`, whose conventions they follow (times ISO 8601 UTC
with `Z` through `json_default`, dates `YYYY-MM-DD`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import states
from tracker.domain.changes import Change
from tracker.domain.clocks import CLOCK_STATES, GroupStats, PortfolioStats, RegulatorClock
from tracker.domain.digest import MOVED, Digest, DigestDelivery, DigestSchedule


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def clock_json(c: RegulatorClock) -> dict[str, Any]:
    """The regulator's clock keys added to `beian show --json` (working days; dates are Beijing days).

    `regulator_working_days + filer_working_days + returns_working_days == elapsed_working_days`.
    """
    return {
        "elapsed_working_days": c.elapsed_working_days,
        "regulator_working_days": c.regulator_working_days,
        "filer_working_days": c.filer_working_days,
        "returns_working_days": c.returns_working_days,
        "regulator_clock": c.state,
        "regulator_clock_why": c.why,
        "regulator_clock_limit": c.limit,
        "regulator_clock_left": c.working_days_left,
        "regulator_clock_started": _day(c.started),
        "regulator_clock_ended": _day(c.ended),
        "regulator_clock_restarts": c.restarts,
        "regulator_clock_on_resubmit": c.policy,
        "regulator_clock_provisional": c.provisional,
        "regulator_clock_basis": c.basis,
    }


def _group_json(g: GroupStats) -> dict[str, Any]:
    return {
        "key": g.key,
        "label": g.label,
        "filings": g.filings,
        "elapsed_working_days": g.elapsed_working_days,
        "regulator_working_days": g.regulator_working_days,
        "filer_working_days": g.filer_working_days,
        "returns_working_days": g.returns_working_days,
        "lost_to_returns_working_days": g.lost_to_returns,
        "returns_share": round(g.returns_share, 4),
        "clocks": {state: g.clocks.get(state, 0) for state in CLOCK_STATES},
        "stages": [
            {
                "stage": s.stage.value,
                "stage_zh": states.zh(s.stage),
                "visits": s.visits,
                "median_working_days": s.median,
                "worst_working_days": s.worst,
                "running": s.running,
            }
            for s in g.stages
        ],
    }


def stats_json(s: PortfolioStats) -> dict[str, Any]:
    """The stable JSON object of `beian stats`: the portfolio, per organisation, per algorithm type."""
    return {
        "today": s.today.isoformat(),
        "regulator_clock_on_resubmit": s.policy,
        "total": _group_json(s.total),
        "organisations": [_group_json(g) for g in s.organisations],
        "algorithm_types": [_group_json(g) for g in s.algorithm_types],
        "warnings": list(s.warnings),
    }


def change_json(c: Change) -> dict[str, Any]:
    """What changed on a filing since the person last looked (`beian list --changed --json` adds these keys)."""
    return {
        "changed_for": c.person,
        "seen_at": c.seen_at,
        "changes": [{"kind": i.kind, "text": i.text, "by": i.by, "at": i.at} for i in c.items],
    }


def digest_json(d: Digest) -> dict[str, Any]:
    """The stable JSON object of `beian digest --json`."""
    return {
        "since": d.since,
        "until": d.until,
        "today": d.today.isoformat(),
        "scope": d.scope,
        "within_working_days": d.within,
        **{what: [asdict(e) for e in d.of(what)] for what in MOVED},
        "due": [asdict(x) for x in d.due],
        "overdue": [asdict(x) for x in d.overdue],
        "stalled": [asdict(s) for s in d.stalled],
    }


def delivery_json(x: DigestDelivery, new: bool | None = None) -> dict[str, Any]:
    """The stable JSON object of a digest e-mail in the outbox (never any credential)."""
    return asdict(x) | ({"queued_now": new} if new is not None else {})


def schedule_json(x: DigestSchedule) -> dict[str, Any]:
    """The stable JSON object of a digest schedule."""
    return asdict(x)
