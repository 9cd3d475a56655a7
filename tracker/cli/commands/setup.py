"""Setup commands: create or upgrade the database (`init`), back it up and restore it (`backup`, `restore`),
seed demo data (`demo`), draw a machine (`diagram`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import states
from tracker.cli.context import CliContext, json_option, parse_name, pass_cli
from tracker.cli.text.common import dump_json, echo


@click.command()
@json_option
@pass_cli
def init(obj: CliContext, as_json: bool) -> None:
    """Create the database schema, or upgrade it in place. Safe to run again.

    The upgrade is one transaction: if it fails, the database stays at its old revision (exit 5, the reason
    naming what blocked it). An SQLite file is backed up next to itself first (`beian.db.rev0002.bak`).
    """
    from tracker.factory import init_database

    target, done = init_database(obj.db, obj.settings)
    before, after = done.before, done.after
    if as_json:
        backup = str(done.backup) if done.backup else None
        dump_json({"database": target, "from_revision": before, "revision": after, "backup": backup})
        return
    if done.backup is not None:
        echo(f"backup of revision {before} written to {done.backup}")
    if before == after:
        echo(f"{target}: schema is up to date (revision {after})")
    elif before is None:
        echo(f"{target}: schema created (revision {after})")
    else:
        echo(f"{target}: schema upgraded from {before} to {after}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@pass_cli
def backup(obj: CliContext, path: Path, as_json: bool) -> None:
    """Write a consistent snapshot of the database to PATH, while others keep working.

    SQLite: a single owner-only file made with SQLite's online backup API (changes still in the -wal file
    included); a folder as PATH gets a file named after the time. PostgreSQL: runs pg_dump (custom format),
    or says which command to run when pg_dump is missing. Exit 5 when the database cannot be read or PATH
    cannot be written.
    """
    from tracker.store.backup import copy_sqlite, dump_postgresql
    from tracker.store.db import normalise_url, sqlite_path

    store = obj.open_store()  # refuses a missing database or one at another revision
    url = normalise_url(_url(obj))
    source = sqlite_path(url)
    dest = _backup_target(path, "db" if source is not None else "dump")
    if source is not None:
        copy_sqlite(source, dest, timeout=obj.settings.lock_timeout)
    else:
        store.dispose()
        dump_postgresql(url, dest)
    if as_json:
        dump_json({"backup": str(dest), "database": _target(obj)})
    else:
        echo(f"backup of {_target(obj)} written to {dest}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@json_option
@pass_cli
def restore(obj: CliContext, path: Path, force: bool, as_json: bool) -> None:
    """Put a backup made by `beian backup` back in place of the database.

    The backup is checked first (SQLite integrity check, a beian schema, a revision this beian knows).
    A database that holds organisations or filings is replaced only with --force (exit 2 otherwise).
    Processes with the database open see the restored data. SQLite only: a PostgreSQL dump is restored
    with pg_restore (exit 5 with the command to run).
    """
    from tracker.errors import StorageError
    from tracker.factory import resolve_url
    from tracker.store.backup import restore_sqlite
    from tracker.store.db import make_private_dir, normalise_url, sqlite_path

    url_text, embedded = resolve_url(obj.db, obj.settings)
    url = normalise_url(url_text)
    target = sqlite_path(url)
    if target is None:
        raise StorageError(
            "restore works on SQLite files; restore a PostgreSQL dump with pg_restore",
            hint=f"pg_restore --clean --if-exists --no-owner --dbname <database> {path}",
        )
    if embedded:
        make_private_dir(target.parent)
    snapshot = restore_sqlite(path, target, force=force, timeout=obj.settings.lock_timeout)
    from tracker.store.db import SCHEMA_HEAD

    if as_json:
        dump_json(
            {
                "database": str(target),
                "backup": str(path),
                "revision": snapshot.revision,
                "organisations": snapshot.organisations,
                "filings": snapshot.filings,
            }
        )
        return
    echo(f"restored {path} into {target}: {snapshot.filings} filings, {snapshot.organisations} organisations")
    if snapshot.revision != SCHEMA_HEAD:
        echo(f"the backup is at schema revision {snapshot.revision}; run `beian init` to upgrade it")


def _url(obj: CliContext) -> str:
    from tracker.factory import resolve_url

    return resolve_url(obj.db, obj.settings)[0]


def _target(obj: CliContext) -> str:
    from tracker.factory import describe_target

    return describe_target(obj.db, obj.settings)


def _backup_target(path: Path, suffix: str) -> Path:
    """PATH itself, or a file named after the current UTC time inside PATH when it is a folder."""
    from datetime import UTC, datetime

    from tracker.errors import StorageError

    path = path.expanduser()
    if path.is_dir():
        return path / f"beian-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{suffix}"
    if not path.parent.is_dir():
        raise StorageError(f"folder {path.parent} does not exist", hint="create it, or choose another PATH")
    return path


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
