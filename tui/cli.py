"""`beian dashboard`: plugged into the `beian` command through the `beian.commands` entry point.

The core CLI never imports this package; it discovers the command at run time.
"""

from __future__ import annotations

import click

from tracker.cli.context import CliContext, pass_cli


@click.command()
@click.option("--demo", is_flag=True, help="Open a separate demo database, seeded with realistic filings.")
@click.option(
    "--serve",
    is_flag=True,
    help="Serve the dashboard to a web browser at a URL with a per-run token, printed at start.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port for --serve (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address for --serve; another interface exposes the dashboard to that network (the token is still needed).",
)
@click.option(
    "--view", "view", help="Open a saved view (returned, waiting-regulator, overdue, … or your own)."
)
@pass_cli
def dashboard(
    obj: CliContext,
    demo: bool = False,
    serve: bool = False,
    port: int = 8000,
    host: str = "127.0.0.1",
    view: str | None = None,
) -> None:
    """Open the dashboard: every filing, drill into one, act on it."""
    if serve:
        from tui.serve import serve_dashboard

        serve_dashboard(db=obj.db, demo=demo, port=port, host=host)  # each browser tab runs `beian dashboard`
        return
    if demo:
        from tracker.factory import open_demo_service

        service = open_demo_service(settings=obj.settings)
    else:
        service = obj.service()
    from tui.app import run_dashboard  # deferred: Textual is heavy; `beian --help` must not import it

    run_dashboard(service, obj.settings, view=view)
