"""Text output of the event commands: `beian events`, `beian advance`, `beian history`."""

from __future__ import annotations

import states
from states import Kind, Lang, Outcome
from tracker.cli.text.common import stage_text
from tracker.domain import Transition
from tracker.timeutil import show


def outcome_line(o: Outcome, kind: Kind, lang: Lang) -> str:
    """`  ok       submit → initial review`, or `  refused  submit: reasons`."""
    target = stage_text(o.dest, kind, lang) if o.dest else ""
    if o.allowed:
        return f"  ok       {states.label(o.event, lang, kind)} → {target}"
    return f"  refused  {states.label(o.event, lang, kind)}: {'; '.join(o.refusals)}"


def move_text(t: Transition, kind: Kind, lang: Lang) -> str:
    """`from stage → to stage` in the display language."""
    return f"{stage_text(t.from_stage, kind, lang)} → {stage_text(t.to_stage, kind, lang)}"


HISTORY_HEADERS = ["effective", "event", "from → to", "by", "note / reason"]


def history_row(t: Transition, kind: Kind, lang: Lang) -> list[str]:
    """One line of `beian history` (times in local time)."""
    return [
        show(t.effective_at),
        states.label(t.event, lang, kind),
        move_text(t, kind, lang),
        t.actor or "(not recorded)",
        " | ".join(x for x in (t.reason, t.note, t.filing_number) if x),
    ]
