"""`beian stats`: the portfolio's review time per stage, per party and per group, from the recorded history."""

from __future__ import annotations

import click

from tracker.cli.context import CliContext, json_option, pass_cli
from tracker.cli.text.clocks import stats_lines
from tracker.cli.text.common import dump_json, echo, echo_lines
from tracker.domain.json_reports import stats_json


@click.command("stats")
@json_option
@pass_cli
def stats(obj: CliContext, as_json: bool) -> None:
    """Median and worst working days per stage, time with the regulator and the filer, and the share lost to
    returns: for every filing, per organisation and per algorithm type."""
    view = obj.service().rules.stats()
    if as_json:
        dump_json(stats_json(view))
        return
    if not view.total.filings:
        echo("no submitted filings yet: nothing to measure")
        return
    echo_lines(stats_lines(view, obj.settings.language))
