"""Saved views: named filters and sorts shared by `beian list --view`, `beian dashboard --view` and the palette.

A view is a `FilingQuery` without a window. Built-in views cover what a project manager asks most often
(returned, waiting on the regulator, waiting on us, overdue, due soon, my organisation); a person's own views
and the dashboard's last sort and filters live in `views.toml` beside the settings file (owner-only, 0600),
so they follow the person, not the database. Nothing is read or written at import time.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args

from states import Kind, Stage
from tracker.config import Settings
from tracker.domain import FilingQuery, SortKey
from tracker.errors import ConfigError, UsageError

DUE_SOON_DAYS = 5
"""Working days (工作日) ahead that the built-in "due soon" view looks."""
CURRENT = "current"
"""The table of `views.toml` holding the dashboard's last sort and filters."""


@dataclass(frozen=True, slots=True)
class View:
    """A named query: what `--view NAME` and the palette's "View: …" entries apply."""

    name: str
    zh: str
    en: str
    query: FilingQuery
    builtin: bool = True


def builtin_views(settings: Settings | None = None) -> dict[str, View]:
    """The views every person has; "my-organisation" only once `my_organisation` is set."""
    views = [
        View("returned", "退回修改", "Returned for revision", FilingQuery(stages=(Stage.RETURNED,))),
        View(
            "waiting-regulator", "等待监管", "Waiting on the regulator", FilingQuery(waiting_on="regulator")
        ),
        View("waiting-us", "等待我方", "Waiting on us", FilingQuery(waiting_on="us", sort="deadline")),
        View("overdue", "已逾期", "Overdue", FilingQuery(overdue=True, sort="deadline")),
        View(
            "due-soon",
            f"{DUE_SOON_DAYS} 个工作日内到期",
            f"Due within {DUE_SOON_DAYS} working days",
            FilingQuery(due_within=DUE_SOON_DAYS, sort="deadline"),
        ),
    ]
    if settings is not None and settings.my_organisation:
        views.append(
            View(
                "my-organisation",
                "我的单位",
                "My organisation",
                FilingQuery(organisation=settings.my_organisation),
            )
        )
    return {v.name: v for v in views}


# -- the file --------------------------------------------------------------------------------------------


def query_to_table(query: FilingQuery) -> dict[str, Any]:
    """The non-default fields of a query as TOML values (stages and kinds by their English keys)."""
    out: dict[str, Any] = {"sort": query.sort, "descending": query.descending}
    if query.stages:
        out["stages"] = [s.value for s in query.stages]
    if query.kinds:
        out["kinds"] = [k.value for k in query.kinds]
    for name in ("organisation", "text", "waiting_on", "due_within"):
        value = getattr(query, name)
        if value is not None:
            out[name] = value
    if query.overdue:
        out["overdue"] = True
    return out


def query_from_table(data: dict[str, Any], where: str) -> FilingQuery:
    """The query a `views.toml` table describes. Raises `ConfigError` naming `where` for a bad value."""
    try:
        sort = data.get("sort", "ref")
        if sort not in get_args(SortKey):
            raise ValueError(f"unknown sort {sort!r}")
        waiting = data.get("waiting_on")
        if waiting not in (None, "regulator", "us"):
            raise ValueError(f"waiting_on must be regulator or us, not {waiting!r}")
        within = data.get("due_within")
        if within is not None and (not isinstance(within, int) or within < 0):
            raise ValueError("due_within must be a whole number of working days")
        return FilingQuery(
            stages=tuple(Stage(s) for s in data.get("stages", ())),
            kinds=tuple(Kind(k) for k in data.get("kinds", ())),
            organisation=data.get("organisation") or None,
            text=data.get("text") or None,
            sort=sort,
            descending=bool(data.get("descending", False)),
            waiting_on=waiting,
            overdue=bool(data.get("overdue", False)),
            due_within=within,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad view {where}: {exc}") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically, owner-only (0600) in an owner-only folder when it creates one."""
    import tomlkit

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(tomlkit.dumps(data))
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _path() -> Path:
    from tracker import locations

    return locations.views_file()


def saved_views() -> dict[str, View]:
    """The person's own views from `views.toml`. Raises `ConfigError` for an unreadable file or a bad view."""
    tables = _read(_path()).get("views", {})
    return {
        name: View(name, name, name, query_from_table(table, name), builtin=False)
        for name, table in tables.items()
        if isinstance(table, dict)
    }


def all_views(settings: Settings | None = None) -> dict[str, View]:
    """Built-in views, then the person's own (a saved view may not reuse a built-in name)."""
    return {**saved_views(), **builtin_views(settings)}


def find_view(name: str, settings: Settings | None = None) -> View:
    """A view by name (case and `_`/`-` ignored). Raises `UsageError` (exit 2) for an unknown name."""
    views = all_views(settings)
    wanted = name.strip().lower().replace("_", "-")
    for key, view in views.items():
        if key.lower() == wanted:
            return view
    if wanted == "my-organisation":
        raise UsageError(
            "the my-organisation view needs your organisation",
            hint="set my_organisation in the settings file",
        )
    raise UsageError(f"no view named {name!r}", hint=f"views: {', '.join(views)}")


def save_view(name: str, query: FilingQuery) -> View:
    """Save `query` (without its window) as the person's view `name`, replacing one of that name.

    Raises `UsageError` for an empty name or a built-in one, `ConfigError` when the file cannot be read or written.
    """
    name = name.strip()
    if not name:
        raise UsageError("a view needs a name")
    if name.lower().replace("_", "-") in builtin_views(Settings(my_organisation="x")):
        raise UsageError(f"{name!r} is a built-in view", hint="choose another name")
    path = _path()
    data = _read(path)
    data.setdefault("views", {})[name] = query_to_table(query)
    try:
        _write(path, data)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    return View(name, name, name, replace(query, offset=0, limit=None), builtin=False)


def load_current() -> FilingQuery | None:
    """The dashboard's last sort and filters (None when never saved). Raises `ConfigError`."""
    table = _read(_path()).get(CURRENT)
    return query_from_table(table, CURRENT) if isinstance(table, dict) else None


def save_current(query: FilingQuery) -> None:
    """Remember the dashboard's sort and filters for the next start. Raises `ConfigError`."""
    path = _path()
    data = _read(path)
    data[CURRENT] = query_to_table(query)
    try:
        _write(path, data)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
