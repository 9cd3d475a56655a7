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
    """Parse an English or Chinese name with `parser` (None stays None); an unknown name is a `UsageError`.

    The text is NFKC-normalised and stripped of invisible characters first; a long one is not echoed whole.
    """
    from tracker.domain import inputs

    if value is None:
        return None
    text = inputs.clean(value, "name")
    if len(text) > 60:
        raise UsageError(f"unknown name {inputs.echo(value)}")
    try:
        return parser(text)
    except UnknownName as exc:
        raise UsageError(str(exc)) from None


class IdType(click.ParamType):
    """A numeric id of a `what` (message, recipient): `UsageError` unless a number, `NotFound` out of range."""

    name = "id"

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The id as an int (see `tracker.domain.inputs.parse_id`)."""
        from tracker.domain import inputs

        return value if isinstance(value, int) else inputs.parse_id(value, self.what)


class MessageIdType(click.ParamType):
    """An outbox message: `N` an SMS, `DN` a digest e-mail (as `beian notify list --email` shows them)."""

    name = "id"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int]:
        """("sms" or "email", the numeric id) (see `tracker.domain.inputs.parse_id`)."""
        from tracker.domain import inputs

        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        if text[:1] in ("D", "d"):
            return "email", inputs.parse_id(text[1:], "digest e-mail")
        return "sms", inputs.parse_id(text, "message")


class VersionType(click.ParamType):
    """`--if-version N`: a version number, 1..2**31-1."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The version as an int; `UsageError` otherwise."""
        from tracker.domain import inputs

        if isinstance(value, int):
            return value
        text = inputs.clean(value, "--if-version")
        if (
            not (text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 10)
            or not 1 <= int(text) <= inputs.MAX_ID
        ):
            raise UsageError(f"--if-version {inputs.echo(value)} is not a version number (1 or more)")
        return int(text)


class NumberType(click.ParamType):
    """A finite number within bounds (`nan` and `inf` refused), in the option's unit (seconds, days)."""

    name = "number"

    def __init__(self, what: str, *, low: float, high: float, low_open: bool = False) -> None:
        self.what, self.low, self.high, self.low_open = what, low, high, low_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """The number as a float (see `tracker.domain.inputs.parse_number`)."""
        from tracker.domain import inputs

        return inputs.parse_number(value, self.what, low=self.low, high=self.high, low_open=self.low_open)


class CountType(click.ParamType):
    """A whole number within bounds, e.g. `--limit` (1 or more) or `--within` (0 or more)."""

    name = "integer"

    def __init__(self, what: str, *, low: int, high: int) -> None:
        self.what, self.low, self.high = what, low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The count as an int; `UsageError` otherwise."""
        from tracker.domain import inputs

        if isinstance(value, int):
            return value
        text = inputs.clean(value, self.what)
        if (
            not (text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 10)
            or not self.low <= int(text) <= self.high
        ):
            raise UsageError(
                f"{self.what} {inputs.echo(value)} is not a whole number from {self.low} to {self.high}"
            )
        return int(text)
