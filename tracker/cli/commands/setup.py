"""Setup commands: create or upgrade the database (`init`), seed demo data (`demo`), draw a machine (`diagram`)."""

from __future__ import annotations

from typing import Any

import click

import states
from tracker.cli.context import CliContext, json_option, parse_name, pass_cli
from tracker.cli.text.common import dump_json, echo


@click.command()
@json_option
@pass_cli
def init(obj: CliContext, as_json: bool) -> None:
    """Create the database schema, or upgrade it in place. Safe to run again."""
    from tracker.factory import init_database

    target, before, after = init_database(obj.db, obj.settings)
    if as_json:
        dump_json({"database": target, "from_revision": before, "revision": after})
    elif before == after:
        echo(f"{target}: schema is up to date (revision {after})")
    elif before is None:
        echo(f"{target}: schema created (revision {after})")
    else:
        echo(f"{target}: schema upgraded from {before} to {after}")


@click.command()
@json_option
@pass_cli
def demo(obj: CliContext, as_json: bool) -> None:
    """Fill an empty database with realistic demo filings. A database with data is left alone."""
    from tracker.filings.demo import seed_demo

    service = obj.service(create=True)
    added = seed_demo(service)
    if as_json:
        dump_json({"seeded": added > 0, "filings": added})
    elif added:
        echo(f"added {added} demo filings; try `beian list`")
    else:
        echo("the database already has data; nothing added")


@click.command()
@click.option("--kind", "-k", default="algorithm", show_default=True, help="Which machine.")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
def diagram(kind: str, lang: Any) -> None:
    """Print the review process as a mermaid stateDiagram-v2, generated from the machine itself."""
    echo(states.to_mermaid(parse_name(states.parse_kind, kind), lang), lines=True)
