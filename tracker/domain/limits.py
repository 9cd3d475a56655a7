"""The limits of stored free text, the same on SQLite and PostgreSQL, checked once in the services.

SQLite stores any string; PostgreSQL refuses a NUL character, an unpaired surrogate and text longer than a
`VARCHAR(n)` column, as a storage error. The services check every free-text field against these limits first,
so both databases refuse the same input the same way: a `UsageError` (exit 2) that names the field, before
anything is written. Each limit is at most the column's width (`tracker.store.tables`).
"""

from __future__ import annotations

import re

from tracker.errors import UsageError

__all__ = [
    "ACTOR",
    "DESCRIPTION",
    "MATERIAL_PATH",
    "NOTE",
    "ORGANISATION_NAME",
    "RECIPIENT_NAME",
    "TITLE",
    "UPSTREAM_MODEL",
    "check_text",
]

TITLE = 200
"""Characters in a filing's title."""
ORGANISATION_NAME = 200
"""Characters in an organisation's name (the column holds 200)."""
UPSTREAM_MODEL = 200
"""Characters in the name of the model a filing builds on."""
NOTE = 2000
"""Characters in a note or a reason (history, materials)."""
DESCRIPTION = 5000
"""Characters in a filing's description."""
ACTOR = 120
"""Characters in who recorded an event or ticked a material (`--by`; the column holds 120)."""
RECIPIENT_NAME = 120
"""Characters in a recipient's name (the column holds 120)."""
MATERIAL_PATH = 1000
"""Characters in where a material's document is kept."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_text(field: str, value: str | None, limit: int) -> str | None:
    """`value` unchanged when it can be stored: no NUL character, no unpaired surrogate (what Python makes of bytes
    that are not UTF-8), at most `limit` characters. None stays None.

    Raises `UsageError` naming `field`, the problem and the limit.
    """
    if value is None:
        return None
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        what = "a NUL character" if bad.group() == "\x00" else "bytes that are not valid UTF-8"
        raise UsageError(f"{field} contains {what} (at character {bad.start() + 1}); it cannot be stored")
    if len(value) > limit:
        raise UsageError(f"{field} has {len(value):,} characters; at most {limit:,} are allowed")
    return value
