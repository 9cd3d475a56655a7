"""A digest as text, Markdown or HTML, and as a short SMS summary. Pure functions of a `Digest`."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Literal

from tracker.domain.digest import Digest, DigestDeadline, DigestEvent, Moved, Stalled
from tracker.timeutil import BEIJING

Format = Literal["text", "md", "html"]
FORMATS: tuple[Format, ...] = ("text", "md", "html")

_HEADINGS: dict[Moved, str] = {
    "approved": "Approved (已备案)",
    "returned": "Returned for revision (退回修改)",
    "submitted": "Submitted (已提交)",
    "new": "New filings (新建)",
}


def period_text(d: Digest) -> str:
    """`2026-11-23 00:00 – 2026-11-30 00:00 (Beijing)`."""
    first = d.since.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    last = d.until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return f"{first} – {last} (Beijing)"


def subject(d: Digest) -> str:
    """The e-mail subject: counts of what moved, and of what is overdue."""
    counts = ", ".join(f"{len(d.of(w))} {w}" for w in _HEADINGS if d.of(w)) or "nothing moved"
    late = f"; {len(d.overdue)} overdue" if d.overdue else ""
    return f"备案 digest ({d.scope}) {d.since.astimezone(BEIJING):%Y-%m-%d} – {d.until.astimezone(BEIJING):%Y-%m-%d}: {counts}{late}"


def _event(e: DigestEvent) -> str:
    when = e.at.astimezone(BEIJING).strftime("%m-%d %H:%M")
    detail = f": {e.detail}" if e.detail else ""
    by = f" ({e.by})" if e.by else ""
    return f"{e.ref} {e.title} [{e.organisation}] {when}{detail}{by}"


def _deadline(d: DigestDeadline) -> str:
    left = (
        f"{-d.working_days_left} working days overdue"
        if d.overdue
        else f"{d.working_days_left} working days left"
    )
    whose = " (the regulator's)" if d.regulator else ""
    provisional = " (provisional: 调休 not yet published)" if d.provisional else ""
    return f"{d.ref} {d.title}: {d.deadline}{whose}, due {d.due_date}, {left}{provisional}"


def _stalled(s: Stalled) -> str:
    return f"{s.ref} {s.title}: {s.working_days} working days in {s.stage}, usually {s.usual:g} ({s.basis})"


def _sections(d: Digest) -> list[tuple[str, list[str]]]:
    sections = [(_HEADINGS[w], [_event(e) for e in d.of(w)]) for w in _HEADINGS]
    sections.append((f"Due in the next {d.within} working days", [_deadline(x) for x in d.due]))
    sections.append(("Overdue", [_deadline(x) for x in d.overdue]))
    sections.append(("Not moving for longer than usual", [_stalled(s) for s in d.stalled]))
    return sections


def _lines(d: Digest, heading: Callable[[str], str], item: Callable[[str], str], none: str) -> list[str]:
    out = [heading(f"Digest for {d.scope}, {period_text(d)}"), ""]
    for title, items in _sections(d):
        out.append(heading(f"{title} ({len(items)})"))
        out.extend(item(i) for i in items) if items else out.append(none)
        out.append("")
    return out


def render(d: Digest, fmt: Format) -> str:
    """The whole digest in one format: `text` (plain), `md` (Markdown) or `html` (a small HTML document)."""
    if fmt == "text":
        return "\n".join(_lines(d, lambda t: t, lambda i: f"  - {i}", "  (none)")).rstrip() + "\n"
    if fmt == "md":
        return "\n".join(_lines(d, lambda t: f"## {t}", lambda i: f"- {_md(i)}", "_none_")).rstrip() + "\n"
    body = [f"<h1>{html.escape(f'Digest for {d.scope}')}</h1>", f"<p>{html.escape(period_text(d))}</p>"]
    for title, items in _sections(d):
        body.append(f"<h2>{html.escape(title)} ({len(items)})</h2>")
        if items:
            body.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        else:
            body.append("<p><em>none</em></p>")
    title = html.escape(subject(d))
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body>\n{chr(10).join(body)}\n</body></html>\n"
    )


def _md(text: str) -> str:
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def sms_summary(d: Digest, language: str = "zh") -> str:
    """A short SMS: counts, the filing numbers of approvals (as many as fit) and what is due or overdue."""
    first = d.since.astimezone(BEIJING).strftime("%m-%d")
    last = d.until.astimezone(BEIJING).strftime("%m-%d")
    numbers = [e.detail for e in d.of("approved") if e.detail]
    if language == "en":
        text = (
            f"Filing digest {first}–{last} ({d.scope}): {len(d.of('approved'))} approved, "
            f"{len(d.of('returned'))} returned, {len(d.of('submitted'))} submitted, {len(d.of('new'))} new; "
            f"{len(d.due)} due within {d.within} working days, {len(d.overdue)} overdue, {len(d.stalled)} stalled."
        )
    else:
        text = (
            f"【备案摘要】{first}至{last}（{d.scope}）：批准{len(d.of('approved'))}，退回{len(d.of('returned'))}，"
            f"提交{len(d.of('submitted'))}，新建{len(d.of('new'))}；{d.within}个工作日内到期{len(d.due)}，"
            f"已逾期{len(d.overdue)}，停滞{len(d.stalled)}。"
        )
    for number in numbers:
        if len(text) + len(number) + 1 > 134:  # two UCS-2 segments
            break
        text += f" {number}"
    return text
