"""Filing commands: add one (`add`), list them (`list`), show one (`show`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, get_args

import click

import states
from tracker.cli.context import CliContext, CountType, by_option, json_option, parse_name, pass_cli
from tracker.cli.text.clocks import clock_lines
from tracker.cli.text.common import dump_json, echo, table
from tracker.cli.text.filings import filing_lines, filing_row
from tracker.domain import SortKey, inputs
from tracker.domain.json import filing_json
from tracker.domain.json_reports import change_json, clock_json
from tracker.domain.safe import json_utf8
from tracker.errors import UsageError

if TYPE_CHECKING:
    from tracker.filings.service import FilingService


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
        kind=parse_name(states.parse_kind, kind),
        role=parse_name(states.parse_role, role),
        algorithm_type=parse_name(states.parse_algorithm_type, algorithm_type),
        upstream_model=upstream_model,
        upstream_filing_number=upstream_filing_number,
        public_opinion=not no_public_opinion,
        launch_date=inputs.parse_day(launch_date, "launch date") if launch_date is not None else None,
        description=description,
    )
    f = obj.service().add_filing(draft)
    if as_json:
        dump_json(filing_json(f))
    else:
        echo(f"added {f.ref}: {f.title} ({states.label(f.kind, obj.settings.language)})")


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
    help="Sort column (default ref); text sorts by pinyin, stages in process order, empty values last.",
)
@click.option("--desc", is_flag=True, help="Sort descending.")
@click.option("--limit", type=CountType("--limit", low=1, high=inputs.MAX_ID), help="At most this many.")
@click.option(
    "--overdue", is_flag=True, help="Only filings with an overdue statutory deadline (see `beian due`)."
)
@click.option(
    "--due-within",
    type=click.IntRange(min=0),
    help="Only filings whose next deadline is at most N working days (工作日) away, overdue included.",
)
@click.option(
    "--waiting-on",
    type=click.Choice(["regulator", "us"]),
    help="Only filings where the regulator (a review stage) or we (draft, returned) have the next move.",
)
@click.option(
    "--view",
    "view_name",
    help="Start from a saved view (returned, waiting-regulator, waiting-us, overdue, due-soon, "
    "my-organisation, or one saved in the dashboard); the other options narrow it.",
)
@click.option(
    "--changed",
    is_flag=True,
    help="Only filings that moved since you last looked (`beian show` or `beian seen` clears), with what changed.",
)
@by_option
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
    due_within: int | None,
    waiting_on: Any,
    view_name: str | None,
    changed: bool,
    person: str | None,
    as_json: bool,
) -> None:
    """List filings."""
    from tracker.domain import FilingQuery

    query = FilingQuery()
    if view_name:
        from tracker.filings.views import find_view

        query = find_view(view_name, obj.settings).query
    changes: dict[str, Any] = {"limit": limit}
    if organisation is not None:
        inputs.parse_org_key(organisation)  # an empty `--org ""` is refused, not read as no filter
    if stages:
        changes["stages"] = tuple(parse_name(states.parse_stage, s) for s in stages)
    if kinds:
        changes["kinds"] = tuple(parse_name(states.parse_kind, k) for k in kinds)
    for name, value in (
        ("organisation", organisation),
        ("text", text),
        ("sort", sort),
        ("due_within", due_within),
        ("waiting_on", waiting_on),
    ):
        if value is not None:
            changes[name] = value
    if overdue:
        changes["overdue"] = True
    if desc:
        changes["descending"] = True
    query = replace(query, **changes)
    service = obj.service()
    if as_json and not changed:
        _write_array(service.export_json(query))
        return
    filings = service.filings(replace(query, limit=None) if changed else query)
    if overdue:
        for problem in dict.fromkeys(service.rules.stored_date_problems()):
            echo(f"warning: {problem}", err=True)
    news = service.changes_since_seen(person) if changed else {}
    if changed:
        filings = [f for f in filings if f.id in news][:limit]
    if as_json:
        dump_json([filing_json(f) | change_json(news[f.id]) for f in filings])
        return
    lang = obj.settings.language
    rows = [filing_row(f, lang) + ([news[f.id].summary] if changed else []) for f in filings]
    if not rows:
        if changed:
            echo(f"nothing moved since {news_person(service, person)} last looked")
            return
        echo("no filings match" if query.filtered else "no filings yet: `beian add` or `beian demo`")
        return
    headers = ["ref", "organisation", "title", "stage", "returns", "filing number"]
    table(headers + (["changed since you last looked"] if changed else []), rows)


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
            write(json_utf8((b"\n  " if first else b",\n  ") + b",\n  ".join(batch)))
            first = False
    write(b"]\n" if first else b"\n]\n")
    if raw is not None:
        raw.flush()


@click.command()
@click.argument("ref")
@by_option
@json_option
@pass_cli
def show_(obj: CliContext, ref: str, person: str | None, as_json: bool) -> None:
    """Show one filing (REF is ALG-0001 or the numeric id), with what changed since you last looked; marks it
    seen."""
    service = obj.service()
    f = service.filing(ref)
    clock = service.rules.regulator_clock(f.id)
    news = service.changes_since_seen(person, [f.id]).get(f.id)
    if as_json:
        dump_json(
            {**filing_json(f), **clock_json(clock), "changes": change_json(news)["changes"] if news else []}
        )
    else:
        lang = obj.settings.language
        lines = [*filing_lines(f, lang), *clock_lines(clock, lang)]
        if news:
            lines += [("changed since you last looked", item.text) for item in news.items]
        table(["field", "value"], lines)
    service.mark_seen(f.id, person)


@click.command()
@click.argument("ref", required=False)
@click.option("--all", "every", is_flag=True, help="Every filing.")
@by_option
@json_option
@pass_cli
def seen(obj: CliContext, ref: str | None, every: bool, person: str | None, as_json: bool) -> None:
    """Mark filing REF (or --all) as seen by you: `beian list --changed` leaves it out until something moves."""
    if (ref is None) == (not every):
        raise UsageError(
            "give a filing REF or --all", hint="e.g. `beian seen ALG-0001` or `beian seen --all`"
        )
    service = obj.service()
    marked = service.mark_seen(None if every else ref, person)
    who = news_person(service, person)
    if as_json:
        dump_json({"person": who, "marked": marked})
        return
    echo(f"{marked} filing{'s' if marked != 1 else ''} marked as seen by {who}")


def news_person(service: FilingService, person: str | None) -> str:
    """Who the changed-since question is about: `--by`, else the service's person."""
    return (person or "").strip() or service.person


show_.name = "show"
list_.name = "list"
