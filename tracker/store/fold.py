"""`fold(column)`: the search key of a text column in SQL, equal to `tracker.domain.inputs.fold` in Python.

SQLite's `lower()` folds ASCII only, so on SQLite the key is the Python function itself, registered on every
connection as `beian_fold` (`register`). On PostgreSQL it is `lower(normalize(…, NFKC))` with the same
invisible characters removed first. Search (`beian list --search`, `--org`) and organisation lookups by name
compare these keys, so `ＡＩ写作`, `Écrivain` and `Ｗｉｄｅ科技` match alike on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from tracker.domain.inputs import INVISIBLE
from tracker.domain.inputs import fold as fold_text

__all__ = ["fold", "register"]


class fold(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it renders
    """`fold(expr)`: NFKC, invisible characters removed, lower case."""

    type = String()
    inherit_cache = True
    name = "beian_fold"


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: Any, **kw: Any) -> str:
    return f"beian_fold({compiler.process(element.clauses, **kw)})"


@compiles(fold, "postgresql")
def _fold_postgresql(element: fold, compiler: Any, **kw: Any) -> str:
    invisible = INVISIBLE.replace("'", "''")
    inner = compiler.process(element.clauses, **kw)
    return f"lower(normalize(regexp_replace(({inner})::text, '[{invisible}]', '', 'g'), NFKC))"


@compiles(fold)
def _fold_default(element: fold, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


def register(dbapi_connection: Any) -> None:
    """Make `beian_fold` available on a new SQLite connection (deterministic, so indexes may use it)."""
    dbapi_connection.create_function("beian_fold", 1, fold_text, deterministic=True)
