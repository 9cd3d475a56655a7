"""`beian`: the command line. Commands are thin: parse, call the service, render text or `--json`.

Exit codes are an API (see `tracker.errors.ExitCode`): 0 ok, 1 refused, 2 usage, 3 not found,
4 conflict, 5 storage, 6 notification. Errors are one line on stderr, never a traceback.
Textual and Twilio are imported only by the commands that need them.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from tracker.errors import ExitCode, TrackerError, UsageError, exit_code_for

if TYPE_CHECKING:
    from tracker.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliContext:
    """What every command gets: settings, the database choice, and output mode."""

    db: str | None
    settings: Settings
    json: bool = False
    _service: Any = field(default=None, repr=False)

    def service(self, *, create: bool = False) -> Any:
        """The `FilingService` on the chosen database (built once per process)."""
        if self._service is None:
            with _collector_paused():
                from tracker.factory import open_service

                self._service = open_service(self.db, settings=self.settings, create=create)
        return self._service

    def open_store(self) -> Any:
        """The `Store` behind the service."""
        return self.service().store


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
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


pass_cli = click.make_pass_decorator(CliContext)


class _ReaderGone(Exception):
    """Standard output was closed by its reader (`beian list | head`)."""


class BeianGroup(click.Group):
    """Lists commands in the order they are defined, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        # click turns a broken pipe into exit 1, which our exit codes reserve for a refused event
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _ReaderGone() from None


@click.group(
    cls=BeianGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--db",
    metavar="URL",
    envvar="BEIAN_DATABASE_URL",
    help="Database URL or SQLite file path [env BEIAN_DATABASE_URL].",
)
@click.version_option(package_name="beian-tracker", prog_name="beian")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Track CAC algorithm filings (算法备案) from first draft to filing number.

    With no command, opens the dashboard.
    """
    with _collector_paused():  # the settings model imports pydantic
        from tracker.config import load_settings

        settings = load_settings()
    ctx.obj = CliContext(db=db, settings=settings)
    if ctx.invoked_subcommand is None:
        dashboard = cli.commands.get("dashboard")
        if dashboard is None:
            raise UsageError("the dashboard is not installed", hint="see `beian --help` for the commands")
        ctx.invoke(dashboard)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and turn every error into one line and an exit code."""
    try:
        _run(argv)
    finally:
        # Called with arguments, `main` runs inside a longer-lived host (tests): give it back a collector
        # that sees everything. The console process exits right here, where walking every object once
        # more would only add a tenth to its run time.
        if argv is not None:
            gc.unfreeze()


def _run(argv: list[str] | None) -> None:
    with _collector_paused():
        _register_commands()
    try:
        code = cli.main(args=argv, prog_name="beian", standalone_mode=False)
    except TrackerError as exc:
        _fail(str(exc), exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), ExitCode.USAGE)
    except click.exceptions.Abort:
        _fail("aborted", ExitCode.USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    except (BrokenPipeError, _ReaderGone):
        _reader_gone()
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(exc, SQLAlchemyError) or os.environ.get("BEIAN_DEBUG"):
            raise
        from tracker.store.engine import translate

        err = translate(exc)
        _fail(str(err), exit_code_for(err))
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_gone()
    sys.exit(code if isinstance(code, int) else 0)


def _reader_gone() -> NoReturn:
    """The reader stopped reading: not an error. Send what is left to /dev/null so the final flush cannot fail."""
    # no real file descriptor when the output is captured in-process
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def _fail(message: str, code: ExitCode) -> None:
    click.echo(f"beian: error: {message}", err=True)
    sys.exit(int(code))


_registered = False


def _register_commands() -> None:
    """Attach the command modules (cheap: they import heavy libraries only inside commands)."""
    global _registered
    if _registered:
        return
    _registered = True
    from tracker import cli_core

    for command in cli_core.COMMANDS:
        cli.add_command(command)
    for name, module in (
        ("notify", "tracker.cli_notify"),
        ("rules", "tracker.cli_rules"),
        ("exchange", "tracker.cli_exchange"),
    ):
        try:
            mod = __import__(module, fromlist=["COMMANDS"])
        except ImportError:
            continue
        for command in getattr(mod, "COMMANDS", [getattr(mod, name, None)]):
            if command is not None:
                cli.add_command(command)
    # Front ends outside the core (the dashboard) plug in here; loading the entry point imports only
    # their small command module, never Textual itself.
    from importlib.metadata import entry_points

    for point in entry_points(group="beian.commands"):
        try:
            cli.add_command(point.load(), point.name)
        except ImportError:
            continue


def bad_usage(message: str) -> UsageError:
    """A usage error for the CLI to raise."""
    return UsageError(message)
