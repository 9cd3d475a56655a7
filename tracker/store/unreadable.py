"""A stored value the driver cannot convert, reported as a storage error instead of a crash.

Another program can write anything into an SQLite file: a date column holding `garbage` makes SQLAlchemy raise
`ValueError` while it converts the row. Every command that reads the row then ends in one line (exit 5) naming
the value, not a traceback.
"""

from __future__ import annotations

from tracker.errors import StorageError

__all__ = ["unreadable_value"]


def unreadable_value(exc: BaseException) -> StorageError | None:
    """`StorageError` when `exc` (`ValueError`, `TypeError`, `OverflowError`) was raised inside SQLAlchemy's
    conversion of a result row; None for any other error."""
    if not isinstance(exc, (ValueError, TypeError, OverflowError)) or not _raised_reading_a_row(exc):
        return None
    reason = str(exc).splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return StorageError(
        f"a value stored in the database cannot be read: {reason}",
        hint="it was written outside beian: correct it in the database, or restore a backup (`beian restore`)",
    )


def _raised_reading_a_row(exc: BaseException) -> bool:
    """Whether the innermost frames of `exc` are SQLAlchemy's (its result processors)."""
    tb = exc.__traceback__
    frames: list[str] = []
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename.replace("\\", "/"))
        tb = tb.tb_next
    return any("/sqlalchemy/" in name for name in frames[-3:])
