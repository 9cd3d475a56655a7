"""Which schema revisions this code knows, read from the migrations folder without importing Alembic."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["known_revisions", "ours_or_empty"]


@cache
def known_revisions() -> tuple[str, ...]:
    """Every revision this code can upgrade from (read from the migrations folder, without Alembic); any other
    stamp was written by a newer beian, or by another application."""
    folder = Path(__file__).resolve().parent / "migrations" / "versions"
    found = (_REVISION.search(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("[0-9]*.py")))
    return tuple(m.group(1) for m in found if m)


_REVISION = re.compile(r'^revision = "([^"]+)"', re.MULTILINE)


def ours_or_empty(cursor: Any) -> bool:
    """Whether an SQLite file is new or holds a beian schema (only those are switched to WAL, which is a change
    to the file: another application's database is left exactly as it is)."""
    tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return True
    if "alembic_version" not in tables:
        return False
    return cursor.execute("SELECT version_num FROM alembic_version").fetchone() in [
        (r,) for r in known_revisions()
    ]
