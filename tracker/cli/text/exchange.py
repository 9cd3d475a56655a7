"""Text output of `beian import`, `export`, `report` and `calendar`: the validation report, the plan, a progress bar."""

from __future__ import annotations

import sys
import time
from typing import Any

from tracker.cli.text.common import dump_json, echo, table
from tracker.domain.safe import visible


def clean(text: object, limit: int = 200) -> str:
    """Text from a file made safe for a terminal (`tracker.domain.safe.visible`: control characters shown as
    escapes), long text cut."""
    shown = visible(str(text))
    return shown if len(shown) <= limit else shown[:limit] + "…"


class Progress:
    """Rows per second and, when the total is known, an ETA, on one line of a terminal's stderr; silent when piped."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.2 and (total is None or done < total):
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        line = f"{phase} {done:,}"
        if total:
            left = (total - done) / rate if rate else 0
            width = 24
            filled = int(width * done / total)
            line = f"{phase} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}, ETA {left:.0f} s"
        line += f", {rate:,.0f} rows/s"
        sys.stderr.write("\r" + line[:100].ljust(100))
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        """Clear the progress line."""
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()


def import_json(result: Any, written: bool) -> dict[str, Any]:
    plan = result.plan
    return {
        "file": str(plan.path),
        "format": plan.format,
        "encoding": plan.encoding,
        "layouts": [layout.value for layout in plan.layouts],
        "rows": plan.rows,
        "ignored_columns": plan.ignored_columns,
        "problems": [
            {"row": p.row, "sheet": p.sheet, "column": p.column, "value": p.value, "reason": p.reason}
            for p in plan.problems
        ],
        "plan": [
            {
                "row": i.record.row,
                "action": i.action,
                "ref": i.ref,
                "title": i.record.title,
                "organisation": i.record.organisation,
                "changes": list(i.changes),
                "reason": i.reason,
                "notes": list(i.record.notes),
            }
            for i in plan.items
        ],
        "new_organisations": plan.new_organisations,
        "written": written and result.applied,
        "created": result.created,
        "approved": result.approved,
        "updated": result.updated,
        "appended": result.appended,
        "organisations_created": result.organisations,
        "rejected": result.rejected,
        "rejected_file": str(result.rejected_file) if result.rejected_file else None,
    }


def show_import(result: Any, as_json: bool, *, written: bool) -> None:
    from tracker.exchange.service import layout_title

    if as_json:
        dump_json(import_json(result, written))
        return
    plan = result.plan
    layouts = ", ".join(layout_title(x) for x in plan.layouts) or "no table"
    encoding = f", {plan.encoding}" if plan.encoding else ""
    echo(f"{clean(plan.path.name)}: {plan.format}{encoding}; {layouts}; {plan.rows} rows")
    if plan.ignored_columns:
        echo(
            "columns ignored (use --map COLUMN=FIELD to read them): "
            + ", ".join(clean(c, 40) for c in plan.ignored_columns)
        )
    if plan.problems:
        echo()
        echo(f"{len(plan.problems)} problem(s) in {len({p.row for p in plan.problems})} row(s):")
        table(
            ["row", "column", "value", "reason"],
            [
                [
                    f"{p.sheet}:{p.row}" if p.sheet else str(p.row),
                    clean(p.column, 30),
                    clean(p.value, 40),
                    clean(p.reason, 300),
                ]
                for p in plan.problems
            ],
        )
    counts = {a: plan.count(a) for a in ("new", "approve", "update", "append", "unchanged", "conflict")}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items() if n) or "nothing to do"
    echo()
    echo(f"plan: {summary}")
    if plan.new_organisations:
        echo(
            f"new organisations: {len(plan.new_organisations)} ("
            + ", ".join(clean(n, 60) for n in plan.new_organisations[:5])
            + (", …)" if len(plan.new_organisations) > 5 else ")")
        )
    shown = [i for i in plan.items if i.action != "unchanged"]
    if shown:
        table(
            ["row", "action", "ref", "title", "details"],
            [
                [
                    str(i.record.row),
                    i.action,
                    i.ref or "",
                    clean(i.record.title, 40),
                    clean(i.reason or "; ".join(i.changes), 200),
                ]
                for i in shown[:200]
            ],
        )
        if len(shown) > 200:
            echo(f"… and {len(shown) - 200} more (--json lists them all)")
    if not written:
        echo("checked: nothing written")
        return
    parts = [
        f"{result.created} created",
        f"{result.approved} approved",
        f"{result.updated} updated",
        f"{result.appended} with new history",
    ]
    echo("imported: " + ", ".join(parts) + f"; {result.organisations} organisation(s) added")
    if result.rejected_file:
        echo(
            f"{result.rejected} rejected row(s) written to {clean(result.rejected_file)}: fix them and import that file"
        )
