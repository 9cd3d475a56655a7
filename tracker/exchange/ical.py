"""Running statutory deadlines as an iCalendar file (RFC 5545, written by the `icalendar` library).

One all-day VEVENT per deadline, on its due date (a Beijing calendar date). The UID is made of the filing's
reference, the deadline's id and its trigger date, so exporting again after a change produces the same UIDs and
a calendar that re-imports the file updates its events instead of duplicating them. A due date that rests on a
holiday calendar not yet published by the State Council is marked provisional (暂定) in the title and description.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tracker.exchange.report import DeadlineItem

PRODID = "-//beian-tracker//deadlines//ZH"
UID_DOMAIN = "beian-tracker"


def deadline_uid(item: DeadlineItem) -> str:
    """`ALG-0001.d1.2026-09-01@beian-tracker`: stable for one filing, deadline and trigger date."""
    d = item.deadline
    return f"{d.ref}.{d.id}.{d.trigger_date.isoformat()}@{UID_DOMAIN}".lower()


def calendar_bytes(items: Iterable[DeadlineItem], *, stamp: datetime) -> bytes:
    """The .ics file's bytes for these deadlines; `stamp` (aware UTC) is every event's DTSTAMP."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "备案法定期限 Filing deadlines")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for item in items:
        d = item.deadline
        event = Event()
        event.add("uid", deadline_uid(item))
        event.add("dtstamp", stamp)
        event.add("dtstart", d.due_date)
        event.add("dtend", d.due_date + timedelta(days=1))
        provisional = " (暂定 provisional)" if item.provisional else ""
        overdue = " 已逾期 overdue:" if d.overdue else ""
        event.add("summary", f"{overdue}{d.ref} {d.zh} {d.en}{provisional}".strip())
        lines = [
            f"备案 Filing: {d.ref} {item.title}",
            f"主体 Organisation: {item.organisation}",
            f"期限 Deadline: {d.label}, {d.working_days} 个工作日 working days from {d.trigger_date.isoformat()} ({d.trigger})",
            f"依据 Legal basis: {d.basis}",
            f"暂定 Provisional: {'yes' if item.provisional else 'no'}",
        ]
        lines += [f"注意 Note: {w}" for w in d.warnings]
        if d.regulator_sla:
            lines.append("This period binds the regulator (网信部门), not the filer.")
        event.add("description", "\n".join(lines))
        event.add("categories", ["备案期限", "regulator" if d.regulator_sla else "filer"])
        event.add("x-beian-provisional", "TRUE" if item.provisional else "FALSE")
        event.add("x-beian-legal-basis", d.basis)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return bytes(cal.to_ical())
