"""Input parsers: every reference, id, name, date, time and number a person or a script gives the product.

Pure (standard library and `tracker.errors`). The CLI's options and arguments, `beian apply` and the services
all parse through here, so the same text means the same thing everywhere, on SQLite and on PostgreSQL:

- text is NFKC-normalised first (full-width `ＡＬＧ－０００１` and `１１０１０８`, as Chinese input methods type
  them, become `ALG-0001` and `110108`) and invisible characters (zero-width spaces, direction marks, BOMs,
  soft hyphens; `INVISIBLE`) are dropped; a lone surrogate (undecodable bytes) is refused;
- ids lie within 1..2**31-1 (PostgreSQL's `integer`; SQLite would take more): a bigger one names nothing;
- dates and times lie within the plausible window 2000-01-01..2100-12-31 (`EARLIEST_DAY`, `LATEST_DAY`);
  a date or a time without an offset is Beijing time (Asia/Shanghai, UTC+8) whatever the machine's zone;
- numbers are finite (`nan` and `inf` are refused) and within each option's bounds;
- an error quotes the input as typed, cut to `ECHO_CHARS` characters.

Errors: `UsageError` (exit 2) for malformed input, `NotFound` (exit 3) for a well-formed id or reference
that cannot exist.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone

from tracker.errors import NotFound, UsageError

__all__ = [
    "DATE_WINDOW",
    "EARLIEST_DAY",
    "ECHO_CHARS",
    "INVISIBLE",
    "LATEST_DAY",
    "MAX_ID",
    "SEARCH_CHARS",
    "check_day",
    "check_id",
    "check_when",
    "clean",
    "echo",
    "fold",
    "optional_text",
    "parse_day",
    "parse_id",
    "parse_number",
    "parse_org_key",
    "parse_ref",
    "parse_region",
    "parse_search",
    "parse_when",
]

MAX_ID = 2**31 - 1
"""The largest id: PostgreSQL's `integer`. SQLite would store larger ones; neither database ever hands one out."""
EARLIEST_DAY = date(2000, 1, 1)
"""The first plausible day of a filing event or trigger date (algorithm filing began in 2022)."""
LATEST_DAY = date(2100, 12, 31)
"""The last plausible day (beyond it the working-day calendar and date arithmetic stop being meaningful)."""
DATE_WINDOW = f"{EARLIEST_DAY.isoformat()}..{LATEST_DAY.isoformat()}"
"""The window as shown in error messages."""
ECHO_CHARS = 80
"""How much of a bad input an error message quotes."""
_BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

INVISIBLE = "".join(
    chr(c)
    for lo, hi in (
        (0x00AD, 0x00AD),  # soft hyphen
        (0x034F, 0x034F),  # combining grapheme joiner
        (0x061C, 0x061C),  # Arabic letter mark
        (0x115F, 0x1160),  # Hangul fillers
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),  # Mongolian variation selectors, vowel separator
        (0x200B, 0x200F),  # zero-width space, (non-)joiner, LRM, RLM
        (0x202A, 0x202E),  # embeddings and overrides
        (0x2060, 0x206F),  # word joiner, invisible operators, isolates
        (0x3164, 0x3164),  # Hangul filler
        (0xFE00, 0xFE0F),  # variation selectors
        (0xFEFF, 0xFEFF),  # BOM / zero-width no-break space
        (0xFFA0, 0xFFA0),  # half-width Hangul filler
    )
    for c in range(lo, hi + 1)
)
"""Characters that show nothing: dropped from every input (the SQL search key drops the same ones)."""
_INVISIBLE_RE = re.compile(f"[{re.escape(INVISIBLE)}]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_REF_RE = re.compile(r"^(?P<prefix>[A-Z]{3})-?0*(?P<seq>\d{1,9})$", re.ASCII)
_DIGITS_RE = re.compile(r"^\d+$", re.ASCII)


def echo(text: object) -> str:
    """`text` quoted for an error message (control characters escaped), cut to `ECHO_CHARS` characters + `…`."""
    value = str(text)
    if len(value) > ECHO_CHARS:
        value = value[:ECHO_CHARS] + "…"
    return repr(value)


def _strip_invisible(text: str) -> str:
    return _INVISIBLE_RE.sub("", text)


def clean(text: str, what: str = "value") -> str:
    """NFKC-normalised, invisible characters dropped, outer whitespace stripped.

    Raises `UsageError` for a lone surrogate (bytes that were not valid UTF-8 on the command line or in a file)
    and for a NUL character (no database can compare it: PostgreSQL refuses it in any text).
    """
    if _SURROGATE_RE.search(text):
        raise UsageError(f"{what} {echo(text)} is not valid Unicode text", hint="use UTF-8")
    if "\x00" in text:
        raise UsageError(f"{what} {echo(text)} contains a NUL character")
    return _strip_invisible(unicodedata.normalize("NFKC", text)).strip()


def optional_text(text: str | None, what: str = "value") -> str | None:
    """Free text (a note, a reason, who did it), kept as written but stripped; None when nothing visible is left
    (a reason made only of zero-width spaces is no reason). Raises `UsageError` (lone surrogate).
    """
    if text is None:
        return None
    if _SURROGATE_RE.search(text):
        raise UsageError(f"{what} {echo(text)} is not valid Unicode text", hint="use UTF-8")
    if not _strip_invisible(unicodedata.normalize("NFKC", text)).strip():
        return None
    return text.strip()


def fold(text: str | None) -> str:
    """The search key of a text: NFKC, invisible characters dropped, lower case. Never raises (stored data).

    SQL computes the same key (`tracker.store.fold`), so search and lookups match alike on SQLite and PostgreSQL.
    """
    if not text:
        return ""
    return _strip_invisible(unicodedata.normalize("NFKC", text)).lower()


SEARCH_CHARS = 200
"""The longest search text (`beian list --search`): longer than any title or name it could match."""


def parse_search(text: str | None) -> str:
    """The search key of text typed to search by (`fold`ed), "" for none. Raises `UsageError` for a lone
    surrogate, a NUL character or more than `SEARCH_CHARS` characters, on SQLite and PostgreSQL alike."""
    if not text:
        return ""
    needle = fold(clean(text, "search text"))
    if len(needle) > SEARCH_CHARS:
        raise UsageError(f"search text has {len(needle):,} characters; at most {SEARCH_CHARS} are allowed")
    return needle


def _decimal(text: str) -> bool:
    """Digits only, every one a decimal digit (full-width included; `²` or `①` are not decimal digits)."""
    return bool(text) and all(unicodedata.category(ch) == "Nd" for ch in text)


def check_id(value: int, what: str) -> int:
    """`value` when it can be an id (1..`MAX_ID`); else `NotFound` ("no {what} N")."""
    if isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise NotFound(f"no {what} {echo(value)}")
    return value


def parse_id(text: str | int, what: str) -> int:
    """A numeric id typed as text (`12`, `１２`); `UsageError` when it is not a number, `NotFound` out of range."""
    if isinstance(text, int) and not isinstance(text, bool):
        return check_id(text, what)
    raw = _strip_invisible(str(text)).strip()
    if not _decimal(raw):
        raise UsageError(f"{what} id {echo(text)} is not a number")
    digits = unicodedata.normalize("NFKC", raw)
    if len(digits.lstrip("0")) > 10:
        raise NotFound(f"no {what} {echo(text)}")
    return check_id(int(digits), what)


def parse_ref(value: str | int, what: str = "filing") -> tuple[str, int | str]:
    """A filing reference: `("id", 12)` for a numeric id, `("ref", "ALG-0001")` for a human reference.

    `ＡＬＧ－０００１`, `alg-1` and `ALG0001` all mean `ALG-0001`. Raises `UsageError` (empty, lone surrogate),
    `NotFound` (an id outside 1..`MAX_ID`).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return "id", check_id(value, what)
    raw = _strip_invisible(str(value)).strip()
    if _decimal(raw):
        return "id", parse_id(raw, what)
    text = _DASHES.sub("-", clean(str(value), f"{what} reference")).upper()
    if not text:
        raise UsageError(f"a {what} reference is needed, e.g. ALG-0001 or its numeric id")
    match = _REF_RE.match(text)
    if match:
        return "ref", f"{match['prefix']}-{int(match['seq']):04d}"
    return "ref", text


def parse_org_key(value: str | int) -> tuple[str, int | str]:
    """An organisation: `("id", 3)`, or `("text", 北京星河…)` (a name, `clean`ed, or a credit code).

    Raises `UsageError` (empty, lone surrogate), `NotFound` (an id outside 1..`MAX_ID`).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return "id", check_id(value, "organisation")
    raw = _strip_invisible(str(value)).strip()
    if _decimal(raw):
        return "id", parse_id(raw, "organisation")
    text = clean(str(value), "organisation")
    if not text:
        raise UsageError("an organisation is needed: its name, credit code or id")
    return "text", text


def parse_region(text: str | None) -> str | None:
    """A GB/T 2260 administrative division code: 6 digits (full-width accepted), not `000000`; blank → None.

    Raises `UsageError`.
    """
    if text is None:
        return None
    value = clean(text, "region")
    if not value:
        return None
    if not (_DIGITS_RE.match(value) and len(value) == 6) or value == "000000":
        raise UsageError(
            f"region {echo(text)} is not a 6-digit administrative division code",
            hint="e.g. 110108 for 北京市海淀区 (GB/T 2260)",
        )
    return value


def parse_number(
    text: str | float,
    what: str,
    *,
    low: float,
    high: float,
    low_open: bool = False,
) -> float:
    """A finite number within [low, high] (or (low, high] with `low_open`); `nan` and `inf` are refused.

    Units are the caller's (seconds, days). Raises `UsageError` naming the bounds.
    """
    if isinstance(text, bool):
        raise UsageError(f"{what} must be a number")
    if isinstance(text, int | float):
        value = float(text)
    else:
        raw = clean(text, what)
        try:
            value = float(raw)
        except ValueError:
            raise UsageError(f"{what} {echo(text)} is not a number") from None
    bounds = f"{'more than' if low_open else 'at least'} {low:g} and at most {high:g}"
    if not math.isfinite(value):
        raise UsageError(f"{what} {echo(text)} is not a real number: give one {bounds}")
    if value > high or value < low or (low_open and value == low):
        raise UsageError(f"{what} {echo(text)} is out of range: give one {bounds}")
    return value


def check_day(value: date, what: str = "date") -> date:
    """`value` when it lies in the plausible window `DATE_WINDOW`; else `UsageError` naming the window."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise UsageError(
            f"{what} {value.isoformat()} is outside the plausible window {DATE_WINDOW}",
            hint="check the year",
        )
    return value


def _date_text(text: str, what: str) -> str:
    value = clean(text, what)
    value = re.sub(r"^(\d{4})年(\d{1,2})月(\d{1,2})日", r"\1-\2-\3", value)
    value = value.replace("/", "-").replace(".", "-") if re.match(r"^\d{4}[/.]", value) else value
    # 2026-1-5 → 2026-01-05
    return re.sub(
        r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=$|[ T])", lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", value
    )


def parse_day(text: str, what: str = "date") -> date:
    """A calendar date `YYYY-MM-DD` (also `2026/1/5`, `2026年1月5日`, full-width digits) in `DATE_WINDOW`.

    Raises `UsageError`.
    """
    value = _date_text(text, what)
    if not value:
        raise UsageError(f"{what} is empty: give a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"cannot read the {what} {echo(text)}", hint="use YYYY-MM-DD") from None
    return check_day(day, what)


def check_when(value: datetime, what: str = "time") -> datetime:
    """An aware time as aware UTC, when its Beijing day lies in `DATE_WINDOW`; else `UsageError`.

    A naive time is taken as Beijing time.
    """
    # before converting: a time in year 1 or 9999 cannot be shifted by a few hours
    if not EARLIEST_DAY.year - 1 <= value.year <= LATEST_DAY.year + 1:
        raise UsageError(
            f"{what} {value.isoformat()} is outside the plausible window {DATE_WINDOW}", hint="check the year"
        )
    aware = value.replace(tzinfo=_BEIJING) if value.tzinfo is None else value
    check_day(aware.astimezone(_BEIJING).date(), f"{what} (Beijing day)")
    return aware.astimezone(UTC)


_NOW_WORDS = {"now": 0, "现在": 0, "today": 0, "今天": 0, "yesterday": 1, "昨天": 1}


def parse_when(text: str, *, now: datetime | None = None, what: str = "time") -> datetime:
    """An effective time → aware UTC.

    `2026-11-02` is the start of that day in Beijing; `2026-11-02 14:30` (or `T14:30`) without an offset is
    Beijing time; `…+09:00` or `…Z` carry their own offset; `now`/`today` (现在/今天) is `now` (default the
    system clock), `yesterday` (昨天) a day earlier. Must lie in `DATE_WINDOW`. Raises `UsageError` (empty,
    unreadable, outside the window).
    """
    value = _date_text(text, what)
    if not value:
        raise UsageError(
            f"the {what} is empty",
            hint="give YYYY-MM-DD or YYYY-MM-DD HH:MM, or leave the option out for now",
        )
    back = _NOW_WORDS.get(value.lower())
    if back is not None:
        return (now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=back)
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0, 0))
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"cannot read the {what} {echo(text)}",
            hint="use YYYY-MM-DD or YYYY-MM-DD HH:MM (Beijing time), optionally with an offset such as +08:00",
        ) from None
    return check_when(parsed, what)
