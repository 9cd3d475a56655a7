"""Values in import files: dates and times (Beijing calendar dates, aware UTC times), names as compared and as
stored, yes/no, the 属地 region, and the escape exports put before formula-like text. Pure: no database.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

EARLIEST = date(2000, 1, 1)

LATEST = date(2100, 12, 31)

"""Dates outside this window are typing mistakes, not filing dates."""

BEIJING = timedelta(hours=8)

_LIST_TIME = time(1, 0)  # 09:00 Beijing: a list's date becomes a time of that day in Beijing

# GB/T 2260 province-level codes, for the 属地 column of the generative-AI list (北京, 广东省 …)

PROVINCES = {
    "北京": "110000", "天津": "120000", "河北": "130000", "山西": "140000", "内蒙古": "150000",
    "辽宁": "210000", "吉林": "220000", "黑龙江": "230000", "上海": "310000", "江苏": "320000",
    "浙江": "330000", "安徽": "340000", "福建": "350000", "江西": "360000", "山东": "370000",
    "河南": "410000", "湖北": "420000", "湖南": "430000", "广东": "440000", "广西": "450000",
    "海南": "460000", "重庆": "500000", "四川": "510000", "贵州": "520000", "云南": "530000",
    "西藏": "540000", "陕西": "610000", "甘肃": "620000", "青海": "630000", "宁夏": "640000",
    "新疆": "650000",
}  # fmt: skip

CENTRAL = ("国资委", "中央企业", "央企")

"""属地 of central state-owned enterprises (numbers `ZhongYangQiYe-…`): no region code."""

_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """A name as compared for matching: NFKC, case-folded, invisible characters gone, spaces collapsed."""
    if text.isascii():
        folded = text.lower()
    else:
        folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def clean_name(text: str) -> str:
    """A name as stored: as typed, without invisible characters, spaces collapsed and trimmed."""
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


FORMULA_STARTS = ("=", "+", "-", "@")


def unescape_cell(text: str) -> str:
    """Undo `tracker.exchange.writers.escape_cell`: a text cell that began with =, +, - or @ got a leading '."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def parse_day(value: Any) -> date | None:
    """A calendar date from an XLSX date, ISO text, 2024/5/13, 2024.05.13, 20240513 or 2024年5月13日; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text)
    if match is None:
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_moment(value: Any) -> datetime | None:
    """An aware UTC time from ISO text (a time without zone is Beijing time; a bare date is 09:00 Beijing)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            day = parse_day(text)
            if day is None:
                return None
            return on_day(day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC) - BEIJING
    return moment.astimezone(UTC)


def on_day(day: date) -> datetime:
    """A Beijing calendar date as the UTC time the import records for it (09:00 Beijing)."""
    return datetime.combine(day, _LIST_TIME, tzinfo=UTC)


def parse_yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if text in ("true", "yes", "y", "1", "是", "有", "具有"):
        return True
    if text in ("false", "no", "n", "0", "否", "无", "不具有"):
        return False
    return None


def region_of(text: str) -> tuple[str | None, str | None]:
    """(6-digit region code or None, a problem or None) for a 属地/region cell."""
    value = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d{6}", value):
        if value == "000000":
            return None, "000000 is not an administrative code"
        return value, None
    if any(value.startswith(c) for c in CENTRAL):
        return None, None
    for name, code in PROVINCES.items():
        if value.startswith(name):
            return code, None
    return None, "is neither a 6-digit administrative code (e.g. 110108) nor a province (北京, 广东省 …)"
