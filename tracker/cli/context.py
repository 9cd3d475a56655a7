"""What every command gets: the settings, the database choice, the service, and the shared options.

Cheap to import: the service type is imported for type checking only, so `beian --help` loads no storage code.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

import click

from states import UnknownName
from tracker.errors import UsageError

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.filings.service import FilingService
    from tracker.store.db import Store

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


@dataclass
class CliContext:
    """What every command gets: settings, the database choice, and output mode."""

    db: str | None
    settings: Settings
    json: bool = False
    _service: FilingService | None = field(default=None, repr=False)

    def service(self, *, create: bool = False) -> FilingService:
        """The `FilingService` on the chosen database (built once per process).

        Raises `StorageError` (no database, wrong schema) or `ConfigError`.
        """
        if self._service is None:
            with collector_paused():
                from tracker.factory import open_service

                self._service = open_service(self.db, settings=self.settings, create=create)
        return self._service

    def open_store(self) -> Store:
        """The `Store` behind the service."""
        return self.service().store


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while start-up imports run (commands themselves run with it on).

    Importing SQLAlchemy, SQLModel and pydantic allocates hundreds of thousands of long-lived objects and
    sets off dozens of collections that find nothing to free: a fifth of `beian`'s start-up.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # what was imported lives as long as the process: keep later collections from walking it again
        gc.freeze()
        if enabled:
            gc.enable()


def json_option(func: F) -> F:
    """Add `--json` (passed to the command as `as_json`)."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (a stable format, see the README)."
    )(func)


def by_option(func: F) -> F:
    """Add `--by NAME` (passed as `person`): who you are, for the changed-since marks."""
    return click.option(
        "--by",
        "person",
        metavar="NAME",
        help="Who you are [default: $BEIAN_USER, else the PostgreSQL role, else the OS user].",
    )(func)


pass_cli = click.make_pass_decorator(CliContext)


@overload
def parse_name(parser: Callable[[str], T], value: str) -> T: ...
@overload
def parse_name(parser: Callable[[str], T], value: None) -> None: ...
@overload
def parse_name(parser: Callable[[str], T], value: str | None) -> T | None: ...


def parse_name(parser: Callable[[str], T], value: str | None) -> T | None:
    """Parse an English or Chinese name with `parser` (None stays None); an unknown name is a `UsageError`."""
    if value is None:
        return None
    try:
        return parser(value)
    except UnknownName as exc:
        raise UsageError(str(exc)) from None
