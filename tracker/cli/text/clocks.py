"""Text output of the regulator's clock (`beian show`, `beian due`) and of `beian stats`."""

from __future__ import annotations

import io

import states
from states import Lang
from tracker.cli.text.common import table
from tracker.domain.clocks import CLOCK_STATES, GroupStats, PortfolioStats, RegulatorClock

STATE_ZH = {"running": "计时中", "stopped": "已暂停", "met": "已按时办结", "breached": "已超期"}
"""The clock states in Chinese, for the display languages."""


def state_text(state: str | None, lang: Lang) -> str:
    """`running`, `计时中` or `计时中 (running)`; `not started` before the first submission."""
    if state is None:
        return {"zh": "未开始", "en": "not started"}.get(lang, "未开始 (not started)")
    zh = STATE_ZH.get(state, state)
    return {"zh": zh, "en": state}.get(lang, f"{zh} ({state})")


def clock_lines(c: RegulatorClock, lang: Lang) -> list[tuple[str, str]]:
    """Label/value pairs for `beian show`: the clock's state, why, and where the working days went."""
    if c.state is None:
        return [("regulator clock", state_text(None, lang) + ": not submitted yet")]
    state = state_text(c.state, lang)
    if c.limit is not None:
        left = c.working_days_left
        assert left is not None
        tail = f"{left} left" if left >= 0 else f"{-left} over"
        state += f": {c.regulator_working_days} of {c.limit} working days ({tail})"
    else:
        state += f": {c.regulator_working_days} working days (no period binds this kind)"
    if c.restarts:
        verb = "restarted" if c.policy == "restart" else "resumed"
        state += f"; {verb} {c.restarts} time{'s' if c.restarts != 1 else ''}"
    pairs = [("regulator clock", state)]
    if c.why:
        pairs.append(("stopped because" if c.state == "stopped" else "clock", c.why))
    since = f"since {c.started}" + (f" until {c.ended}" if c.ended else "")
    pairs.append(
        (
            "working days",
            f"{c.elapsed_working_days} {since}: {c.regulator_working_days} with the regulator, "
            f"{c.filer_working_days} with the filer, {c.returns_working_days} lost to returns"
            + (" (provisional)" if c.provisional else ""),
        )
    )
    return pairs


def due_clock_note(c: RegulatorClock) -> str:
    """Why a regulator deadline is not running, for `beian due`: `ALG-0003: stopped: returned … (12 of 30 used)`."""
    used = f"{c.regulator_working_days} of {c.limit} working days used" if c.limit else ""
    return f"{c.ref}: {c.state}: {c.why}" + (f" ({used})" if used else "")


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def group_lines(g: GroupStats, lang: Lang) -> list[str]:
    """A group's summary line: filings, elapsed, per party, lost to returns, clocks."""
    clocks = ", ".join(f"{g.clocks.get(s, 0)} {state_text(s, lang)}" for s in CLOCK_STATES)
    return [
        f"{g.label}: {g.filings} filing{'s' if g.filings != 1 else ''}; {g.elapsed_working_days} working days "
        f"since submission: {g.regulator_working_days} with the regulator, {g.filer_working_days} with the "
        f"filer, {g.returns_working_days} voided by returns; lost to returns {g.lost_to_returns} "
        f"({_percent(g.returns_share)}); clocks: {clocks}"
    ]


def _group_block(g: GroupStats, lang: Lang) -> list[str]:
    """The summary line and the per-stage table of one group."""
    lines = group_lines(g, lang)
    if g.stages:
        out = io.StringIO()
        table(
            ["  stage", "visits", "median", "worst", "running"],
            [
                [
                    "  " + states.label(s.stage, lang),
                    str(s.visits),
                    f"{s.median:g}" if s.visits else "",
                    str(s.worst) if s.visits else "",
                    str(s.running or ""),
                ]
                for s in g.stages
            ],
            out,
        )
        lines += out.getvalue().rstrip("\n").split("\n")
    return lines


def stats_lines(s: PortfolioStats, lang: Lang) -> list[str]:
    """`beian stats`: the portfolio, then each organisation and each algorithm type."""
    restart = "restarts from zero" if s.policy == "restart" else "resumes"
    lines = [
        f"review time in working days (median and worst of finished visits), today {s.today} (Beijing); "
        f"the regulator's clock {restart} on resubmission",
        "",
        *_group_block(s.total, lang),
    ]
    for title, groups in (("per organisation", s.organisations), ("per algorithm type", s.algorithm_types)):
        if groups:
            lines += ["", f"== {title}"]
            for g in groups:
                lines += ["", *_group_block(g, lang)]
    return lines + [f"warning: {w}" for w in s.warnings]
