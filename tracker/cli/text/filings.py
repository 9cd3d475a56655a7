"""Text output of the filing commands: `beian show`, `beian list`."""

from __future__ import annotations

import states
from states import Lang
from tracker.cli.text.common import stage_text
from tracker.domain import Filing
from tracker.timeutil import show


def filing_lines(f: Filing, lang: Lang) -> list[tuple[str, str]]:
    """Label/value pairs for `beian show`."""
    pairs = [
        ("ref", f"{f.ref} (id {f.id}, version {f.version})"),
        ("title", f.title),
        ("kind", states.label(f.kind, lang)),
        ("organisation", f.organisation),
        ("stage", stage_text(f.stage, f.kind, lang) + f" since {show(f.stage_entered_at)}"),
    ]
    if f.role:
        pairs.append(("role", states.label(f.role, lang)))
    if f.algorithm_type:
        pairs.append(("algorithm type", states.label(f.algorithm_type, lang)))
    if f.upstream_model:
        pairs.append(("upstream model", f.upstream_model))
    if f.upstream_filing_number:
        pairs.append(("upstream filing number", f.upstream_filing_number))
    if f.returns:
        origin = stage_text(f.returned_from, f.kind, lang) if f.returned_from else "?"
        pairs.append(("returns", f"{f.returns} (last from {origin})"))
    if f.filing_number:
        pairs.append(("filing number", f.filing_number))
    for name in ("launch_date", "change_date", "termination_date"):
        value = getattr(f, name)
        if value:
            pairs.append((name.replace("_", " "), value.isoformat()))
    if f.description:
        pairs.append(("description", f.description))
    return pairs


def filing_row(f: Filing, lang: Lang) -> list[str]:
    """One line of the `beian list` table: ref, organisation, title, stage, returns, filing number."""
    return [
        f.ref,
        f.organisation,
        f.title,
        stage_text(f.stage, f.kind, lang),
        str(f.returns or ""),
        f.filing_number or "",
    ]
