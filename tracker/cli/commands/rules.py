"""Commands for the regulatory rules: materials checklists, trigger dates, running deadlines and forecasts."""

from __future__ import annotations

import os
from typing import Any

import click

import states
from tracker.cli.context import CliContext, CountType, json_option, pass_cli
from tracker.cli.text.clocks import due_clock_note
from tracker.cli.text.common import dump_json, echo, echo_lines, stage_text, table
from tracker.cli.text.rules import (
    TRIGGERS,
    bilingual,
    change_lines,
    days_text,
    deadline_line,
    due_text,
    material_state,
    rules_lines,
)
from tracker.domain import Filing, MaterialStatus, inputs
from tracker.domain.json import deadline_json, forecast_json, material_json, rules_json
from tracker.domain.json_reports import clock_json
from tracker.errors import TrackerError, UsageError


def _heading(f: Filing, lang: states.Lang) -> str:
    return f"{f.ref} {f.title} · {stage_text(f.stage, f.kind, lang)}"


def _warn(warnings: list[str] | tuple[str, ...]) -> None:
    for warning in dict.fromkeys(warnings):
        echo(f"warning: {warning}", err=True)


@click.command()
@click.argument("ref")
@click.option(
    "--done",
    "done",
    multiple=True,
    metavar="ITEM",
    help="Tick an item (key, Chinese or English name); repeatable. `all`: every item not yet provided.",
)
@click.option("--undo", "undo", multiple=True, metavar="ITEM", help="Untick an item; repeatable.")
@click.option("--file", "path", metavar="PATH", help="With one --done: where the document is kept.")
@click.option(
    "--note",
    help="With one --done: a note, or the filing number an item asks for (e.g. the upstream 网信算备…号).",
)
@click.option("--by", "actor", help="Who checked it; default $USER.")
@json_option
@pass_cli
def materials(
    obj: CliContext,
    ref: str,
    done: tuple[str, ...],
    undo: tuple[str, ...],
    path: str | None,
    note: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """The materials checklist of filing REF (材料清单): what is provided, and what still blocks submission."""
    if (path is not None or note is not None) and len(done) != 1:
        raise UsageError("--file and --note go with exactly one --done ITEM")
    both = sorted({inputs.fold(i).strip() for i in done} & {inputs.fold(i).strip() for i in undo})
    if both:
        raise UsageError(f"{', '.join(both)}: given to both --done and --undo; choose one")
    service = obj.service()
    rules = service.rules
    who = actor or os.environ.get("USER") or None
    lang = obj.settings.language
    changed: list[MaterialStatus] = []
    if any(i.strip().lower() == "all" for i in done):
        if path is not None or note is not None:
            raise UsageError("--file and --note go with exactly one --done ITEM, not --done all")
        done = tuple(i for i in done if i.strip().lower() != "all")
        ticked = rules.mark_all_provided(ref, actor=who)
        if not as_json:
            echo(f"{service.filing(ref).ref}: ticked {ticked} item(s) not yet provided")
    for item, tick in [(i, True) for i in done] + [(i, False) for i in undo]:
        try:
            changed.append(rules.mark(ref, item, done=tick, path=path, note=note, actor=who))
        except TrackerError:
            if not as_json:  # each item is its own write: say which ones went through before failing
                _echo_changes(ref, changed, lang)
            raise
    f = service.filing(ref)
    items = rules.materials(ref)
    missing = [m for m in items if m.mandatory and not m.provided]
    if as_json:
        dump_json(
            {
                "ref": f.ref,
                "stage": f.stage.value,
                "stage_zh": states.zh(f.stage, f.kind),
                "rules_version": rules.rules.version,
                "complete": not missing,
                "missing": [m.key for m in missing],
                "changed": [m.key for m in changed],
                "items": [material_json(m) for m in items],
            }
        )
        return
    _echo_changes(f.ref, changed, lang)
    if not changed:
        _checklist_table(f, items, lang, rules.rules.version)
    open_stage = f.stage in (states.Stage.DRAFT, states.Stage.RETURNED)
    if missing:
        event = states.Event.RESUBMIT if f.stage is states.Stage.RETURNED else states.Event.SUBMIT
        n = len(missing)
        items_word = "1 mandatory item" if n == 1 else f"{n} mandatory items"
        if open_stage:
            count = f"{items_word} {'blocks' if n == 1 else 'block'} {states.label(event, lang, f.kind)}"
        else:
            count = f"{items_word} missing"
        echo(f"{count}: {', '.join(m.key for m in missing)}")
        if not changed:
            echo(f"tick one: beian materials {f.ref} --done ITEM [--file PATH] [--note TEXT]")
    elif items:
        echo(
            "every mandatory item is provided"
            + (f"; next: beian advance {f.ref} submit" if f.stage is states.Stage.DRAFT else "")
        )


def _echo_changes(ref: str, changed: list[MaterialStatus], lang: states.Lang) -> None:
    for m in changed:
        what = "ticked" if m.provided else "unticked"
        echo(f"{ref}: {what} {m.key} {bilingual(m.zh, m.en, lang, short=True)}")


def _checklist_table(f: Filing, items: list[MaterialStatus], lang: states.Lang, version: str) -> None:
    echo(_heading(f, lang))
    if not items:
        echo("no checklist applies to this filing")
        return
    mandatory = [m for m in items if m.mandatory]
    provided = sum(m.provided for m in mandatory)
    echo(f"{provided} of {len(mandatory)} mandatory items provided (rules {version})")
    table(
        ["", "item", "material", "status"],
        [
            [
                "[x]" if m.provided else ("[!]" if m.reopened else "[ ]"),
                m.key,
                bilingual(m.zh, m.en, lang, short=True),
                material_state(m),
            ]
            for m in items
        ],
    )


_CLEARABLE = {"launch": "launch_date", "change": "change_date", "termination": "termination_date"}


@click.command()
@click.argument("ref")
@click.option(
    "--launch", help="Service launch date YYYY-MM-DD (上线日期): starts D1, file within 10 working days."
)
@click.option("--change", help="Date the filed information changed (变更日期): starts D2.")
@click.option("--termination", help="Date the service ended (终止服务日期): starts D3.")
@click.option(
    "--clear",
    multiple=True,
    type=click.Choice(sorted(_CLEARABLE)),
    help="Forget a recorded date; repeatable.",
)
@click.option(
    "--public-opinion/--no-public-opinion",
    default=None,
    help="Whether the service has 舆论属性或者社会动员能力 (D1–D3 bind only such services).",
)
@json_option
@pass_cli
def dates(
    obj: CliContext,
    ref: str,
    launch: str | None,
    change: str | None,
    termination: str | None,
    clear: tuple[str, ...],
    public_opinion: bool | None,
    as_json: bool,
) -> None:
    """Record or show the trigger dates of filing REF, and the statutory deadlines they start."""
    fields: dict[str, Any] = {_CLEARABLE[name]: None for name in clear}
    for name, value in (("launch", launch), ("change", change), ("termination", termination)):
        if value is not None:
            if name in clear:
                raise UsageError(f"--{name} and --clear {name} contradict each other")
            fields[_CLEARABLE[name]] = inputs.parse_day(value, f"--{name} date")
    if public_opinion is not None:
        fields["public_opinion"] = public_opinion
    service = obj.service()
    f = service.update_filing(ref, **fields) if fields else service.filing(ref)
    running = service.rules.deadlines(ref)
    lang = obj.settings.language
    if as_json:
        dump_json(
            {
                "ref": f.ref,
                "launch_date": f.launch_date,
                "change_date": f.change_date,
                "termination_date": f.termination_date,
                "public_opinion": f.public_opinion,
                "deadlines": [deadline_json(d) for d in running],
            }
        )
        return
    echo(_heading(f, lang))
    rows = [
        [bilingual(*TRIGGERS[name], lang), getattr(f, name).isoformat() if getattr(f, name) else "—"]
        for name in _CLEARABLE.values()
    ]
    rows.append(
        [
            bilingual("舆论属性", "public opinion", lang),
            "yes" if f.public_opinion else "no: D1–D3 do not apply",
        ]
    )
    table(["date", "value"], rows)
    if not running:
        echo("no deadline is running")
    for d in running:
        echo("  " + deadline_line(d, lang))
    _warn([w for d in running for w in d.warnings] + service.rules.stored_problems)


@click.command()
@click.option(
    "--within",
    type=CountType("--within", low=0, high=100_000),
    metavar="N",
    help="Only deadlines with at most N working days left (overdue ones always show).",
)
@click.option("--no-regulator", is_flag=True, help="Leave out periods that bind the regulator (D4, Art. 25).")
@click.option(
    "--notify",
    is_flag=True,
    help="Queue an SMS to `overdue` subscribers for each overdue deadline of yours (once per deadline), and send it.",
)
@json_option
@pass_cli
def due(obj: CliContext, within: int | None, no_regulator: bool, notify: bool, as_json: bool) -> None:
    """Running statutory deadlines across filings, fewest working days left first (overdue first)."""
    rules = obj.service().rules
    if notify:
        queued = rules.notify_overdue()
        if queued:
            report = obj.service().notify.dispatch_pending()
            echo(f"overdue alerts: {queued} queued; {report.summary}", err=True)
    pairs = rules.due(within, regulator=not no_regulator)
    warnings = [w for _, d in pairs for w in d.warnings] + rules.stored_problems
    clocks = rules.regulator_clocks() if not no_regulator else {}
    stopped = [c for c in clocks.values() if c.state == "stopped" and c.limit is not None and c.ended is None]
    if as_json:
        dump_json(
            {
                "today": rules.today(),
                "within": within,
                "deadlines": [
                    deadline_json(d, f)
                    | (clock_json(clocks[f.id]) if d.regulator_sla and f.id in clocks else {})
                    for f, d in pairs
                ],
                "stopped_clocks": [
                    {"filing_id": c.filing_id, "ref": c.ref, **clock_json(c)} for c in stopped
                ],
                "warnings": list(dict.fromkeys(warnings)),
            }
        )
        return
    lang = obj.settings.language
    if stopped:
        stopped_note = ["regulator clocks stopped (not running, so not listed as due):"]
        stopped_note += [f"  {due_clock_note(c)}" for c in sorted(stopped, key=lambda c: c.ref)]
    else:
        stopped_note = []
    if not pairs:
        echo("no running deadlines" + (f" within {within} working days" if within is not None else ""))
        echo(
            "record trigger dates with `beian dates REF --launch YYYY-MM-DD`; submitted filings count from submission"
        )
        if stopped_note:
            echo_lines(stopped_note)
        return
    table(
        ["working days left", "due", "deadline", "ref", "organisation", "title", "from"],
        [
            [
                days_text(d),
                due_text(d),
                f"{d.id} {bilingual(d.zh, d.en, lang)}",
                f.ref,
                f.organisation,
                f.title,
                f"{bilingual(*TRIGGERS[d.trigger], lang)} {d.trigger_date.isoformat()}",
            ]
            for f, d in pairs
        ],
    )
    overdue = sum(d.overdue for _, d in pairs)
    echo(f"{len(pairs)} running, {overdue} overdue; today is {rules.today().isoformat()} (Beijing)")
    if stopped_note:
        echo_lines(stopped_note)
    _warn(warnings)


@click.command("forecast")
@click.argument("ref")
@json_option
@pass_cli
def forecast_(obj: CliContext, ref: str, as_json: bool) -> None:
    """Expected approval date of filing REF as a range (median and 80th percentile), with its basis."""
    service = obj.service()
    view = service.rules.forecast(ref)
    if as_json:
        dump_json(forecast_json(view))
        return
    f = service.filing(ref)
    lang = obj.settings.language
    echo(_heading(f, lang))
    if view.median_date is None or view.p80_date is None or view.target is None:
        echo(view.warnings[0] if view.warnings else "no forecast: nothing is ahead of this stage")
        _warn(view.warnings[1:])
        return
    target = stage_text(view.target, f.kind, lang)
    echo(
        f"expected {target}: {view.median_date.isoformat()} (median) to {view.p80_date.isoformat()} (80% likely by then)"
    )
    echo(f"  {view.median_days:.0f} working days from today (median), {view.p80_days:.0f} (80th percentile)")
    echo(f"basis: {view.basis} (rules {view.rules_version})")
    table(
        ["stage", "median", "80th pct", "basis"],
        [
            [
                stage_text(s.stage, f.kind, lang),
                f"{s.median_days:.1f}".removesuffix(".0"),
                f"{s.p80_days:.1f}".removesuffix(".0"),
                f"{s.basis} ({s.samples} recorded)"
                + (f", {s.probability:.0%} likely" if s.probability < 1 else "")
                + (f", {s.elapsed_days} spent" if s.elapsed_days else ""),
            ]
            for s in view.stages
        ],
    )
    if view.per_return is not None:
        r = view.per_return
        returned = states.label(states.Event.RETURN_FOR_REVISION, lang, f.kind)
        echo(f"each {returned} adds about {r.median_days:.0f} working days (80th pct {r.p80_days:.0f})")
    _warn(view.warnings)


COMMANDS = [materials, dates, due, forecast_]


@click.command("rules")
@click.option(
    "--at", "at", metavar="DATE", help="The day to list the rules of (YYYY-MM-DD, Beijing); default today."
)
@click.option(
    "--since",
    metavar="DATE",
    help="Instead of the list, what changed after DATE up to --at: rules added, removed or changed.",
)
@json_option
@pass_cli
def rules_(obj: CliContext, at: str | None, since: str | None, as_json: bool) -> None:
    """The rules in force on a date (规则), or what changed between two dates: materials, deadlines, settings.

    Each rule shows when it applies (effective_from / effective_until in data/rules/) and the source of that
    date; the heading says whether the year's holiday schedule is published or provisional.
    """
    service = obj.service().rules
    day = inputs.parse_day(at, "--at date") if at is not None else None
    first = inputs.parse_day(since, "--since date") if since is not None else None
    view = service.in_force(day)
    changes = service.rule_changes(first, view.day) if first is not None else ()
    if as_json:
        dump_json(rules_json(view, first, changes))
        return
    lang = obj.settings.language
    lines = rules_lines(view, lang) if first is None else change_lines(changes, first, view.day, lang)
    echo_lines(lines)
    if view.calendar_warning:
        _warn([view.calendar_warning])
