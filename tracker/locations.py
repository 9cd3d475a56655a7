"""Where things live on disk. Every function computes a path; none creates anything."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "beian-tracker"


def data_dir() -> Path:
    """The shipped `data/` folder (seed data, calendars, rules, templates), wherever the package is installed."""
    here = Path(__file__).resolve().parent
    installed = here / "data"  # a wheel carries data/ inside the package
    if installed.is_dir():
        return installed
    return here.parent / "data"  # a source checkout or an editable install


def user_data_dir() -> Path:
    """The per-user folder holding the embedded SQLite database."""
    from platformdirs import user_data_path

    override = os.environ.get("BEIAN_DATA_DIR")
    return Path(override) if override else user_data_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    """The settings file: `BEIAN_CONFIG_FILE`, else `config.toml` in the user config folder."""
    override = os.environ.get("BEIAN_CONFIG_FILE")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def views_file() -> Path:
    """The saved views and the dashboard's last sort and filters: `views.toml` beside the settings file."""
    return config_file().with_name("views.toml")


def default_db_path() -> Path:
    """The embedded default database file."""
    return user_data_dir() / "beian.db"


def demo_db_path() -> Path:
    """The database the demo dashboard opens, kept apart from real data."""
    return user_data_dir() / "demo.db"
