"""Changed since you last looked: build each filing's `Change` for one person from what they have not seen.

News is what someone else did after the person's mark (history rows and edits carry who made them; a row
recorded before people were recorded counts as someone else's), and a deadline that became due soon or overdue
since (time, not a person, made that). Opening a filing (`beian show`, the dashboard's detail) or
`beian seen` sets the mark. A filing the person never saw is marked `new` when someone else created it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import states
from states import Event, Kind, Stage
from tracker.domain.changes import Change, ChangeItem
from tracker.filings import repo_seen
from tracker.timeutil import beijing_date, to_utc

if TYPE_CHECKING:
    from tracker.rules.service import RulesService
    from tracker.store.db import Unit

DEADLINE_RANK = {"": 0, "due_soon": 1, "overdue": 2}
_DEADLINE_TEXT = {"due_soon": "a deadline is due soon", "overdue": "a deadline is overdue"}


def deadline_states(rules: RulesService, ids: Sequence[int] | None = None) -> dict[int, str]:
    """The deadline state of every filing (all, or those in `ids`) that has one: `overdue` or `due_soon` (any
    running deadline), read from the stored next due dates (`RulesService.deadline_states`)."""
    return rules.deadline_states(ids)


def _who(actor: str | None) -> str:
    return actor or "someone (not recorded)"


def _stage(stage: str) -> str:
    try:
        return states.label(Stage(stage), "both")
    except ValueError:
        return stage


def _transition_items(row: Any) -> list[ChangeItem]:
    _fid, _tid, event, from_stage, to_stage, reason, number, actor, effective = row
    at = to_utc(effective)
    day = beijing_date(at) if at is not None else None
    try:
        name = states.label(Event(event), "both", Kind.ALGORITHM)
    except ValueError:
        name = event
    items = [
        ChangeItem(
            "stage", f"{_stage(from_stage)} → {_stage(to_stage)} ({name}, {_who(actor)}, {day})", actor, at
        )
    ]
    if event == Event.RETURN_FOR_REVISION.value and reason:
        items.append(ChangeItem("return_reason", f"returned because: {reason}", actor, at))
    if number:
        items.append(ChangeItem("filing_number", f"filing number {number}", actor, at))
    return items


def changes(
    work: Unit, person: str, deadlines: dict[int, str], ids: Sequence[int] | None = None
) -> dict[int, Change]:
    """Every filing (of `ids`, or all) with news for `person`, by filing id."""
    marks = repo_seen.seen_marks(work, person, ids)
    items: dict[int, list[ChangeItem]] = {}
    for row in repo_seen.unseen_edits(work, person, ids):
        fid, _eid, actor, at, fields = row
        when = to_utc(at)
        if fields == "created":
            text = f"new: created by {_who(actor)}"
            items.setdefault(fid, []).append(ChangeItem("new", text, actor, when))
        else:
            text = f"edited {fields.replace(',', ', ')} ({_who(actor)})"
            items.setdefault(fid, []).append(ChangeItem("edit", text, actor, when))
    for row in repo_seen.unseen_transitions(work, person, ids):
        items.setdefault(row[0], []).extend(_transition_items(row))
    for fid, state in deadlines.items():
        if ids is not None and fid not in ids:
            continue
        seen_state = marks[fid][2] if fid in marks else ""
        if DEADLINE_RANK[state] > DEADLINE_RANK.get(seen_state, 0):
            items.setdefault(fid, []).append(ChangeItem("deadline", _DEADLINE_TEXT[state]))
    refs = repo_seen.refs(work, list(items))
    out: dict[int, Change] = {}
    for fid, found in items.items():
        if fid not in refs:
            continue
        found.sort(key=lambda i: (i.at is None, i.at or datetime.min.replace(tzinfo=None)))
        seen_at = marks[fid][3] if fid in marks else None
        out[fid] = Change(fid, refs[fid], person, tuple(found), seen_at)
    return out
