"""`beian`: the group, command registration, and errors → exit codes. Commands are thin: parse, call the
service, render text (`tracker.cli.text`) or `--json` (`tracker.domain.json`).

Exit codes are an API (see `tracker.errors.ExitCode`): 0 ok, 1 refused, 2 usage, 3 not found,
4 conflict, 5 storage, 6 notification. Errors are one line on stderr, never a traceback.
Textual and Twilio are imported only by the commands that need them.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import Any, NoReturn

import click

from tracker.cli.context import CliContext, collector_paused
from tracker.errors import ExitCode, TrackerError, UsageError, exit_code_for


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
    with collector_paused():  # the settings model imports pydantic
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
    with collector_paused():
        _register_commands()
    _tolerant_streams()
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
    except OSError as exc:
        if not _is_output_error(exc):
            raise
        _output_failed(exc)
    except Exception as exc:
        from tracker.store.db import database_error

        err = database_error(exc)
        if err is None or os.environ.get("BEIAN_DEBUG"):
            raise
        _fail(str(err), exit_code_for(err))
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_gone()
    except OSError as exc:
        _output_failed(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _tolerant_streams() -> None:
    """Let stdout and stderr write any text whatever the locale: a character the encoding lacks (Chinese under
    `LC_ALL=C PYTHONIOENCODING=ascii`) is written as a `\\uXXXX` escape instead of ending the command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "errors", None) or "strict") == "strict":
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _is_output_error(exc: OSError) -> bool:
    """Whether an OSError came from writing the command's output (full disk, closed or failing stream)."""
    import errno

    return (
        exc.errno in (errno.ENOSPC, errno.EIO, errno.EPIPE, errno.EDQUOT, errno.EBADF)
        and exc.filename is None
    )


def _output_failed(exc: OSError) -> NoReturn:
    """Standard output cannot be written (a full disk, `> /dev/full`): say so in one line, exit 5 (storage)."""
    with contextlib.suppress(OSError, ValueError):  # what could not be written must not fail again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    reason = exc.strerror or type(exc).__name__
    with contextlib.suppress(OSError, ValueError):
        click.echo(f"beian: error: cannot write the output: {reason}", err=True)
    sys.exit(int(ExitCode.STORAGE))


def _reader_gone() -> NoReturn:
    """The reader stopped reading: not an error. Send what is left to /dev/null so the final flush cannot fail."""
    # no real file descriptor when the output is captured in-process
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)


def _fail(message: str, code: ExitCode) -> None:
    """The error line: one line on stderr, control characters shown as escapes, any password masked."""
    from tracker.domain.safe import mask_credentials, visible

    click.echo(f"beian: error: {visible(mask_credentials(message))}", err=True)
    sys.exit(int(code))


def commands() -> tuple[click.Command, ...]:
    """Every command of the core, in the order `beian --help` lists them (cheap: heavy imports are inside commands)."""
    from tracker.cli.commands import clocks, digest, events, exchange, filings, notify, orgs, rules, setup

    return (
        setup.init,
        setup.backup,
        setup.restore,
        setup.demo,
        orgs.org,
        filings.add,
        filings.list_,
        filings.show_,
        filings.seen,
        events.events,
        events.advance,
        events.history,
        events.apply,
        setup.diagram,
        notify.notify,
        rules.materials,
        rules.dates,
        rules.due,
        rules.forecast_,
        rules.rules_,
        clocks.stats,
        digest.digest,
        exchange.import_,
        exchange.export,
        exchange.report,
        exchange.calendar,
    )


_registered = False


def _register_commands() -> None:
    """Attach the core commands, then the front ends outside the core (the dashboard) from entry points."""
    global _registered
    if _registered:
        return
    _registered = True
    for command in commands():
        cli.add_command(command)
    # The `beian.commands` entry point is only for front ends outside the core (the dashboard); loading it
    # imports their small command module, never Textual itself.
    from importlib.metadata import entry_points

    for point in entry_points(group="beian.commands"):
        try:
            cli.add_command(point.load(), point.name)
        except ImportError:
            continue
    for command in cli.commands.values():
        _accept_db_anywhere(command)


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    obj = ctx.find_object(CliContext)
    if value is not None and obj is not None:
        obj.db = value


def _accept_db_anywhere(command: click.Command) -> None:
    """Give `command` (and every subcommand) a `--db` of its own, so `beian list --db X` works like
    `beian --db X list`; the one given last on the line wins."""
    if not any("--db" in getattr(p, "opts", ()) for p in command.params):
        command.params.append(
            click.Option(
                ["--db"],
                metavar="URL",
                expose_value=False,
                callback=_set_db,
                help="Database URL or SQLite file path (also before the command) [env BEIAN_DATABASE_URL].",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_db_anywhere(sub)
