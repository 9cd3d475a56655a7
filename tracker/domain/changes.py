"""What moved on a filing since a person last looked at it ("changed since you last looked").

A change is news to a person only when someone else made it (events and edits carry who made them), or when
time made it (a deadline that became due soon or overdue). Times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ChangeKind = Literal["new", "stage", "return_reason", "filing_number", "deadline", "edit"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("new", "stage", "return_reason", "filing_number", "deadline", "edit")


@dataclass(frozen=True, slots=True)
class ChangeItem:
    """One thing that changed: what (`kind`), in words (`text`), by whom and when (None for a deadline)."""

    kind: ChangeKind
    text: str
    by: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """Everything that changed on one filing since `person` last saw it, oldest first."""

    filing_id: int
    ref: str
    person: str
    items: tuple[ChangeItem, ...]
    seen_at: datetime | None = None
    """When the person last saw the filing; None if they never have."""

    @property
    def kinds(self) -> tuple[ChangeKind, ...]:
        """The kinds of change, each once, in `CHANGE_KINDS` order."""
        present = {i.kind for i in self.items}
        return tuple(k for k in CHANGE_KINDS if k in present)

    @property
    def summary(self) -> str:
        """One line: the items' texts, newest last, joined with `; `."""
        return "; ".join(i.text for i in self.items)
