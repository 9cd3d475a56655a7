"""`beian org`: the organisations (主体) that file."""

from __future__ import annotations

import click

from tracker.cli.context import CliContext, json_option, pass_cli
from tracker.cli.text.common import dump_json, echo, table
from tracker.domain.json import organisation_json


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
        echo(f"added organisation {o.id}: {o.name} ({o.credit_code})")


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
