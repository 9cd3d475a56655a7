"""Demo data: `data/seed/demo.toml` replayed through the service, so every row is a real transition."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import states
from states import Event, Kind
from tracker import locations
from tracker.domain import FilingDraft, FilingQuery
from tracker.errors import ConfigError
from tracker.filings.service import FilingService


def seed_path() -> Path:
    """The shipped demo portfolio."""
    return locations.data_dir() / "seed" / "demo.toml"


def load_seed(path: Path | None = None) -> dict[str, Any]:
    """Read the seed file; a broken one is a one-line error naming the file."""
    path = path or seed_path()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read demo data {path}: {exc}") from None


def seed_demo(service: FilingService, path: Path | None = None) -> int:
    """Fill an empty database with the demo portfolio; returns filings added (0 when it had data)."""
    if service.organisations() or service.count(FilingQuery()):
        return 0
    seed = load_seed(path)
    added = 0
    for org in seed.get("organisations", []):
        service.add_organisation(org["name"], org["credit_code"], org.get("region"))
        entity = service.add_filing(
            FilingDraft(organisation=org["name"], title=f"{org['name']} 主体备案", kind=Kind.ENTITY)
        )
        added += 1
        _replay(service, entity.ref, org.get("entity_start"), org.get("entity", []))
    for item in seed.get("filings", []):
        draft = FilingDraft(
            organisation=item["org"],
            title=item["title"],
            kind=states.parse_kind(item.get("kind", "algorithm")),
            role=states.parse_role(item["role"]) if item.get("role") else None,
            algorithm_type=states.parse_algorithm_type(item["type"]) if item.get("type") else None,
            upstream_model=item.get("upstream_model"),
            upstream_filing_number=item.get("upstream_filing_number"),
            launch_date=_day(item.get("launch_date")),
        )
        filing = service.add_filing(draft)
        added += 1
        _replay(service, filing.ref, item.get("start"), item.get("steps", []))
        dates: dict[str, Any] = {k: _day(item[k]) for k in ("change_date", "termination_date") if item.get(k)}
        if dates:
            service.update_filing(filing.ref, **dates)
    return added


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _replay(service: FilingService, ref: str, start: Any, steps: list[list[Any]]) -> None:
    """Apply the scripted events at their historical times (09:30 Beijing time plus the given days)."""
    if not steps:
        return
    when = datetime.combine(_day(start) or date.today(), time(1, 30), tzinfo=UTC)  # 09:30 in Beijing
    now = service.clock()
    for step in steps:
        event = states.parse_event(step[0])
        when = min(when + timedelta(days=int(step[1])), now)
        extra = step[2] if len(step) > 2 else None
        if event in (Event.SUBMIT, Event.RESUBMIT):
            _complete_materials(service, ref)
        service.advance(
            ref,
            event,
            at=when,
            actor="demo",
            source="demo",
            reason=extra
            if event in (Event.RETURN_FOR_REVISION, Event.REJECT, Event.REVOKE, Event.CANCEL_BY_REGULATOR)
            else None,
            filing_number=extra if event is Event.APPROVE else None,
        )


def _complete_materials(service: FilingService, ref: str) -> None:
    """Tick every checklist item so the scripted submit passes (the rules layer refuses otherwise)."""
    service.rules.mark_all_provided(ref, actor="demo")
