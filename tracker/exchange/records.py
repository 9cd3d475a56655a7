"""What validation produces: import records, their history entries, and problems (row, column, value, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import states
from states import AlgorithmType, Event, Kind, Role, Stage
from tracker.exchange.fields import Layout
from tracker.exchange.values import name_key

HISTORY_SOURCE = "import-history"

"""History source of events read from a file without a source of their own: real events, timed by forecasts."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row (or one of its cells) cannot be imported."""

    row: int
    column: str
    value: str
    reason: str
    sheet: str | None = None

    @property
    def where(self) -> str:
        """`row 12, 备案编号` (with the sheet when there are several)."""
        base = f"sheet {self.sheet}, row {self.row}" if self.sheet else f"row {self.row}"
        return f"{base}, {self.column}" if self.column else base


@dataclass(slots=True)
class HistoryEntry:
    """One event of an imported filing's history, as replayed on the machine (times aware UTC)."""

    event: Event
    from_stage: Stage
    to_stage: Stage
    effective_at: datetime
    recorded_at: datetime | None = None
    actor: str | None = None
    source: str = "import"
    """`import` for a fact the import records (never timed); a history row keeps its own source."""
    note: str | None = None
    reason: str | None = None
    filing_number: str | None = None


@dataclass(slots=True)
class ImportRecord:
    """One valid row: an organisation and a filing, with either a history or one stage to record as a fact.

    Made once by validation and only read afterwards (not frozen: a frozen dataclass's constructor costs twice
    as much, over 100,000 rows).
    """

    row: int
    where: str
    layout: Layout
    kind: Kind
    title: str
    organisation: str
    stage: Stage
    ref: str | None = None
    credit_code: str | None = None
    region: str | None = None
    algorithm_type: AlgorithmType | None = None
    role: Role | None = None
    filing_number: str | None = None
    approved_on: date | None = None
    launch_date: date | None = None
    change_date: date | None = None
    termination_date: date | None = None
    public_opinion: bool | None = None
    upstream_model: str | None = None
    upstream_filing_number: str | None = None
    description: str | None = None
    returned_from: Stage | None = None
    returns: int | None = None
    history: tuple[HistoryEntry, ...] = ()
    notes: tuple[str, ...] = ()
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict, compare=False)
    """Field → the column's name as written in the file (for reports)."""

    number_key: str | None = field(init=False, compare=False, repr=False)
    """The filing number's uniqueness key (case-insensitive), if it has one."""
    name_key: tuple[str, str, str, str] = field(init=False, compare=False, repr=False)
    """(organisation, title, kind, role) as compared: names NFKC, case-folded, spaces collapsed.

    One algorithm filed in both roles (服务提供者 and 服务技术支持者) is two filings with two numbers.
    """

    def __post_init__(self) -> None:
        # worked out once: validation, duplicate checks and matching each ask several times per row
        number = self.filing_number
        self.number_key = _number_key(number) if number else None
        role = self.role._value_ if self.role else ""
        self.name_key = (name_key(self.organisation), name_key(self.title), self.kind._value_, role)


# Invisible format characters (Unicode category Cf: zero-width spaces, joiners, direction marks, BOM, soft hyphen)


def _number_key(number: str) -> str:
    # stored numbers are ASCII apart from 网信算备…号: lower() is the key (states.filing_number_key)
    return number.lower() if " " not in number else states.filing_number_key(number)
