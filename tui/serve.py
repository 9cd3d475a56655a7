"""`beian dashboard --serve`: the same dashboard in a browser, through textual-serve on localhost.

Each browser tab runs `beian dashboard` (with the same `--demo`) in its own process. The database URL
travels in the environment, never on the command line, so a password stays out of process lists.
"""

from __future__ import annotations

import os
import shlex
import sys

DB_ENV = "BEIAN_DATABASE_URL"


def served_command(*, demo: bool = False) -> list[str]:
    """The command each browser session runs: this Python's `beian dashboard`."""
    return [sys.executable, "-m", "tracker", "dashboard", *(["--demo"] if demo else [])]


def serve_dashboard(
    *, db: str | None = None, demo: bool = False, port: int = 8000, host: str = "localhost"
) -> None:
    """Serve the dashboard on http://host:port until interrupted."""
    from textual_serve.server import Server  # deferred: only --serve needs the web server

    if db:
        os.environ[DB_ENV] = db
    server = Server(shlex.join(served_command(demo=demo)), host=host, port=port, title="beian dashboard")
    server.serve()
