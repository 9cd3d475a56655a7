"""Database URLs: which are accepted, and how one is shown. Pure parsing; nothing connects.

beian opens SQLite files and PostgreSQL through psycopg 3. Anything else, text that is not a URL, and an
in-memory SQLite database are refused as usage errors (exit 2); every URL shown has its password masked.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tracker.domain.safe import mask_credentials
from tracker.errors import UsageError

__all__ = ["SUPPORTED_DRIVERS", "SUPPORTED_HINT", "describe", "normalise_url"]

SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")
"""URL schemes beian opens: SQLite, and PostgreSQL through psycopg 3."""
SUPPORTED_HINT = (
    "use sqlite:///PATH (or a plain file path) or postgresql://USER@HOST/DB (postgresql+psycopg://…)"
)


def normalise_url(raw: str) -> URL:
    """Parse a database URL; `postgresql://` and `postgres://` use psycopg 3.

    Raises `UsageError` (exit 2) for text that is not a URL, a scheme other than `SUPPORTED_DRIVERS`, and an
    in-memory SQLite database (it would forget everything when the command ends). Messages show the URL with its
    password masked.
    """
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise UsageError(f"not a database URL: {mask_credentials(raw)!r}", hint=SUPPORTED_HINT) from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise UsageError(f"database URL scheme {url.drivername!r} is not supported", hint=SUPPORTED_HINT)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or url.query.get("mode") == "memory"
    ):
        raise UsageError(
            f"{describe(url)} is an in-memory database, which forgets everything when the command ends",
            hint="give a file instead, e.g. --db beian.db",
        )
    return url


def describe(url: URL | str) -> str:
    """A URL (or what was meant as one) as safe to show: never the password (`mask_credentials`, the one mask
    for every URL and connection string shown, parsed or not)."""
    return mask_credentials(url.render_as_string(hide_password=False) if isinstance(url, URL) else url)
