"""The core commands: init, demo, organisations, filings, events, history, diagram, apply."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, get_args

import click

import states
from states import UnknownName
from tracker.cli import CliContext, json_option, pass_cli
from tracker.domain import SortKey
from tracker.errors import TrackerError, UsageError
from tracker.render import (
    dump_json,
    filing_json,
    filing_lines,
    organisation_json,
    outcome_json,
    stage_text,
    table,
    transition_json,
)
from tracker.timeutil import parse_day, parse_when, show


def _parse(parser: Any, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parser(value)
    except UnknownName as exc:
        raise UsageError(str(exc)) from None


@click.command()
@json_option
@pass_cli
def init(obj: CliContext, as_json: bool) -> None:
    """Create the database schema, or upgrade it in place. Safe to run again."""
    from tracker.factory import describe_target, ensure_schema, resolve_url
    from tracker.store.engine import Store, make_engine

    url, embedded = resolve_url(obj.db, obj.settings)
    if embedded:
        from tracker import locations

        locations.user_data_dir().mkdir(parents=True, exist_ok=True)
    store = Store(make_engine(url, lock_timeout=obj.settings.lock_timeout, create_file=True))
    before, after = ensure_schema(store)
    target = describe_target(obj.db, obj.settings)
    if as_json:
        dump_json({"database": target, "from_revision": before, "revision": after})
    elif before == after:
        click.echo(f"{target}: schema is up to date (revision {after})")
    elif before is None:
        click.echo(f"{target}: schema created (revision {after})")
    else:
        click.echo(f"{target}: schema upgraded from {before} to {after}")


@click.command()
@json_option
@pass_cli
def demo(obj: CliContext, as_json: bool) -> None:
    """Fill an empty database with realistic demo filings. A database with data is left alone."""
    from tracker.demo import seed_demo

    service = obj.service(create=True)
    added = seed_demo(service)
    if as_json:
        dump_json({"seeded": added > 0, "filings": added})
    elif added:
        click.echo(f"added {added} demo filings; try `beian list`")
    else:
        click.echo("the database already has data; nothing added")


@click.group()
def org() -> None:
    """Organisations (主体) that file."""


@org.command("add")
@click.argument("name")
@click.option(
    "--credit-code", "-c", required=True, help="Unified social credit code (统一社会信用代码), 18 characters."
)
@click.option("--region", help="6-digit administrative code of the registered address, e.g. 110108.")
@json_option
@pass_cli
def org_add(obj: CliContext, name: str, credit_code: str, region: str | None, as_json: bool) -> None:
    """Add an organisation."""
    o = obj.service().add_organisation(name, credit_code, region)
    if as_json:
        dump_json(organisation_json(o))
    else:
        click.echo(f"added organisation {o.id}: {o.name} ({o.credit_code})")


@org.command("list")
@json_option
@pass_cli
def org_list(obj: CliContext, as_json: bool) -> None:
    """List organisations."""
    orgs = obj.service().organisations()
    if as_json:
        dump_json([organisation_json(o) for o in orgs])
        return
    table(
        ["id", "name", "credit code", "region"],
        [[str(o.id), o.name, o.credit_code or "", o.region or ""] for o in orgs],
    )


@click.command()
@click.argument("title")
@click.option("--org", "-o", "organisation", required=True, help="Organisation id, name or credit code.")
@click.option(
    "--kind",
    "-k",
    default="algorithm",
    show_default=True,
    help="algorithm | entity | genai_filing | genai_registration (or 算法备案, 主体备案, …).",
)
@click.option("--role", help="provider (服务提供者) | tech_supporter (服务技术支持者). Default provider.")
@click.option(
    "--type",
    "algorithm_type",
    help="Algorithm type: generative (生成合成类, 01), recommendation, ranking, retrieval, scheduling.",
)
@click.option("--upstream-model", help="Third-party model the product is built on, if any.")
@click.option("--upstream-filing-number", help="That model's algorithm filing number (网信算备…号).")
@click.option(
    "--launch-date", help="Service launch date YYYY-MM-DD (starts the 10-working-day filing deadline)."
)
@click.option(
    "--no-public-opinion", is_flag=True, help="The service has no public-opinion attributes (舆论属性)."
)
@click.option("--description", help="Free text.")
@json_option
@pass_cli
def add(
    obj: CliContext,
    title: str,
    organisation: str,
    kind: str,
    role: str | None,
    algorithm_type: str | None,
    upstream_model: str | None,
    upstream_filing_number: str | None,
    launch_date: str | None,
    no_public_opinion: bool,
    description: str | None,
    as_json: bool,
) -> None:
    """Add a filing in draft (草稿)."""
    from tracker.domain import FilingDraft

    draft = FilingDraft(
        organisation=organisation,
        title=title,
        kind=_parse(states.parse_kind, kind),
        role=_parse(states.parse_role, role),
        algorithm_type=_parse(states.parse_algorithm_type, algorithm_type),
        upstream_model=upstream_model,
        upstream_filing_number=upstream_filing_number,
        public_opinion=not no_public_opinion,
        launch_date=parse_day(launch_date) if launch_date else None,
        description=description,
    )
    f = obj.service().add_filing(draft)
    if as_json:
        dump_json(filing_json(f))
    else:
        click.echo(f"added {f.ref}: {f.title} ({states.label(f.kind, obj.settings.language)})")


@click.command("list")
@click.option(
    "--stage", "-s", "stages", multiple=True, help="Only this stage (English or Chinese); repeatable."
)
@click.option("--org", "-o", "organisation", help="Organisation id, name (part) or credit code.")
@click.option("--kind", "-k", "kinds", multiple=True, help="Only this kind; repeatable.")
@click.option("--search", "text", help="Text in the reference, title, organisation or filing number.")
@click.option(
    "--sort",
    type=click.Choice(get_args(SortKey)),
    default="ref",
    show_default=True,
)
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@click.option(
    "--overdue", is_flag=True, help="Only filings with an overdue statutory deadline (see `beian due`)."
)
@json_option
@pass_cli
def list_(
    obj: CliContext,
    stages: tuple[str, ...],
    organisation: str | None,
    kinds: tuple[str, ...],
    text: str | None,
    sort: Any,
    desc: bool,
    limit: int | None,
    overdue: bool,
    as_json: bool,
) -> None:
    """List filings."""
    from tracker.domain import FilingQuery

    query = FilingQuery(
        stages=tuple(_parse(states.parse_stage, s) for s in stages),
        organisation=organisation,
        kinds=tuple(_parse(states.parse_kind, k) for k in kinds),
        text=text,
        sort=sort,
        descending=desc,
        limit=limit,
    )
    service = obj.service()
    if as_json and not overdue:
        _write_array(service.export_json(query))
        return
    filings = service.filings(replace(query, limit=None) if overdue else query)
    if overdue:
        late = service.rules.overdue_filing_ids()
        filings = [f for f in filings if f.id in late][:limit]
    if as_json:
        dump_json([filing_json(f) for f in filings])
        return
    lang = obj.settings.language
    rows = [
        [
            f.ref,
            f.organisation,
            f.title,
            stage_text(f.stage, f.kind, lang),
            str(f.returns or ""),
            f.filing_number or "",
        ]
        for f in filings
    ]
    if not rows:
        filtered = stages or organisation or kinds or text or overdue
        click.echo("no filings match" if filtered else "no filings yet: `beian add` or `beian demo`")
        return
    table(["ref", "organisation", "title", "stage", "returns", "filing number"], rows)


def _write_array(batches: Iterable[Sequence[bytes]]) -> None:
    """`[`, the items (UTF-8 JSON texts) one per line with commas, `]`."""
    out = sys.stdout
    out.flush()
    raw = getattr(out, "buffer", None)
    write = raw.write if raw is not None else (lambda data: out.write(data.decode()))
    first = True
    write(b"[")
    for batch in batches:
        if batch:
            write((b"\n  " if first else b",\n  ") + b",\n  ".join(batch))
            first = False
    write(b"]\n" if first else b"\n]\n")
    if raw is not None:
        raw.flush()


@click.command()
@click.argument("ref")
@json_option
@pass_cli
def show_(obj: CliContext, ref: str, as_json: bool) -> None:
    """Show one filing (REF is ALG-0001 or the numeric id)."""
    f = obj.service().filing(ref)
    if as_json:
        dump_json(filing_json(f))
        return
    table(["field", "value"], filing_lines(f, obj.settings.language))


@click.command()
@click.argument("ref")
@json_option
@pass_cli
def events(obj: CliContext, ref: str, as_json: bool) -> None:
    """Events possible now, and each refused one with its reason."""
    service = obj.service()
    f = service.filing(ref)
    outcomes = service.events(ref)
    if as_json:
        dump_json(
            {
                "ref": f.ref,
                "stage": f.stage.value,
                "stage_zh": states.zh(f.stage, f.kind),
                "events": [outcome_json(o, f.kind) for o in outcomes],
            }
        )
        return
    lang = obj.settings.language
    click.echo(f"{f.ref} is in {stage_text(f.stage, f.kind, lang)}")
    if not outcomes:
        click.echo("no events: this stage is final")
    for o in outcomes:
        target = stage_text(o.dest, f.kind, lang) if o.dest else ""
        if o.allowed:
            click.echo(f"  ok       {states.label(o.event, lang, f.kind)} → {target}")
        else:
            click.echo(f"  refused  {states.label(o.event, lang, f.kind)}: {'; '.join(o.refusals)}")


@click.command()
@click.argument("ref")
@click.argument("event")
@click.option("--note", "-n", help="Free note kept in the history.")
@click.option("--reason", "-r", help="Reason (required to return, reject or revoke).")
@click.option("--filing-number", "-f", help="Filing number (备案编号), required to approve.")
@click.option("--at", "at", help="When it happened (YYYY-MM-DD [HH:MM]); default now.")
@click.option("--by", "actor", help="Who records it; default $USER.")
@click.option("--if-version", type=int, help="Refuse (exit 4) unless the filing is still at this version.")
@click.option(
    "--reopen", multiple=True, help="With return_for_revision: a material to fix (reopened); repeatable."
)
@click.option("--no-send", is_flag=True, help="Queue notifications but do not send them now.")
@json_option
@pass_cli
def advance(
    obj: CliContext,
    ref: str,
    event: str,
    note: str | None,
    reason: str | None,
    filing_number: str | None,
    at: str | None,
    actor: str | None,
    if_version: int | None,
    reopen: tuple[str, ...],
    no_send: bool,
    as_json: bool,
) -> None:
    """Record EVENT (English or Chinese, e.g. pass_review or 审核通过) for filing REF."""
    import os

    service = obj.service()
    result = service.advance(
        ref,
        event,
        note=note,
        reason=reason,
        filing_number=filing_number,
        at=parse_when(at) if at else None,
        actor=actor or os.environ.get("USER") or None,
        source="cli",
        if_version=if_version,
        reopen=reopen,
    )
    sent = _send_after_commit(service, result.notifications, no_send)
    f = result.filing
    if as_json:
        data = filing_json(f)
        data["transition"] = transition_json(result.transition, f.kind)
        data["warnings"] = list(result.warnings)
        data["notifications_queued"] = result.notifications
        data["notifications_sent"] = sent
        dump_json(data)
        return
    lang = obj.settings.language
    t = result.transition
    click.echo(f"{f.ref}: {stage_text(t.from_stage, f.kind, lang)} → {stage_text(t.to_stage, f.kind, lang)}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.notifications:
        click.echo(f"{result.notifications} SMS queued, {sent} sent")


def _send_after_commit(service: Any, queued: int, no_send: bool) -> int:
    """Deliver the SMS the transition queued; a delivery problem never undoes the transition."""
    if not queued or no_send:
        return 0
    try:
        report = service.notify.dispatch_pending()
    except TrackerError as exc:
        click.echo(f"warning: SMS queued but not sent yet: {exc}", err=True)
        return 0
    return int(getattr(report, "sent", 0))


@click.command()
@click.argument("ref")
@json_option
@pass_cli
def history(obj: CliContext, ref: str, as_json: bool) -> None:
    """A filing's history, oldest first."""
    service = obj.service()
    f = service.filing(ref)
    rows = service.history(ref)
    if as_json:
        dump_json([transition_json(t, f.kind) for t in rows])
        return
    lang = obj.settings.language
    table(
        ["effective", "event", "from → to", "by", "note / reason"],
        [
            [
                show(t.effective_at),
                states.label(t.event, lang, f.kind),
                f"{stage_text(t.from_stage, f.kind, lang)} → {stage_text(t.to_stage, f.kind, lang)}",
                t.actor or t.source,
                " | ".join(x for x in (t.reason, t.note, t.filing_number) if x),
            ]
            for t in rows
        ],
    )


@click.command()
@click.option("--kind", "-k", default="algorithm", show_default=True, help="Which machine.")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
def diagram(kind: str, lang: Any) -> None:
    """Print the review process as a mermaid stateDiagram-v2, generated from the machine itself."""
    click.echo(states.to_mermaid(_parse(states.parse_kind, kind), lang))


@click.command()
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--all-or-nothing", is_flag=True, help="Apply every line or none.")
@json_option
@pass_cli
def apply(obj: CliContext, source: Any, all_or_nothing: bool, as_json: bool) -> None:
    """Apply a stream of events from a JSON Lines file (or - for stdin).

    Each line: {"ref": "ALG-0001", "event": "pass_review", "note": …, "reason": …, "filing_number": …,
    "at": …, "by": …, "if_version": …}.
    """
    from tracker.apply import apply_lines

    report = apply_lines(obj.service(), source, all_or_nothing=all_or_nothing)
    if as_json:
        dump_json(report.as_json())
    else:
        for line in report.lines:
            click.echo(line.text())
        click.echo(report.summary())
    sent = _send_after_commit(obj.service(), report.notifications, False)
    if sent and not as_json:
        click.echo(f"{sent} SMS sent")
    if report.failed:
        raise SystemExit(int(report.exit_code))


show_.name = "show"
list_.name = "list"
COMMANDS = [init, demo, org, add, list_, show_, events, advance, history, apply, diagram]
