"""One error hierarchy for the whole product, and the exit codes the CLI derives from it.

The exit codes are an API for scripts: they never change meaning.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes of `beian`."""

    OK = 0
    REFUSED = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFLICT = 4
    STORAGE = 5
    NOTIFY = 6


class TrackerError(Exception):
    """Base of every error the product reports to a user in one line."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(TrackerError):
    """The input is malformed: a bad value, an unknown name, an unparsable date."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The settings file or environment is missing or malformed."""


class RulesError(ConfigError, ValueError):
    """A rules or calendar file is unreadable or wrong; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, detail: str) -> None:
        where = f"{path}, line {line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {detail}")
        self.path = Path(path)
        self.line = line
        self.detail = detail


class NotFound(TrackerError):
    """No filing or organisation matches the reference given."""

    exit_code = ExitCode.NOT_FOUND


class TransitionRefused(TrackerError):
    """The event is not possible in the current stage, or a guard refused it."""

    exit_code = ExitCode.REFUSED

    def __init__(self, message: str, *, reasons: tuple[str, ...] = (), hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reasons = reasons


class Conflict(TrackerError):
    """Somebody else changed the filing between our read and our write."""

    exit_code = ExitCode.CONFLICT


class StorageError(TrackerError):
    """The database is missing, locked, corrupt, unreachable or at the wrong schema revision."""

    exit_code = ExitCode.STORAGE


class NotifyError(TrackerError):
    """Sending or configuring a notification failed."""

    exit_code = ExitCode.NOTIFY


def exit_code_for(error: BaseException) -> ExitCode:
    """Map any exception to the exit code the CLI reports."""
    if isinstance(error, TrackerError):
        return error.exit_code
    return ExitCode.STORAGE
