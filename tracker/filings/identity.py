"""Identity checks: the unified social credit code (统一社会信用代码, GB 32100-2015) and doubts about filing numbers.

A credit code is 18 characters: registration authority (1), organisation category (1), the registering
authority's administrative-division code (6 digits, GB/T 2260), the organisation identifier (9) and a check
character. Letters I, O, S, V and Z are never used, so they cannot be mistaken for digits.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = [
    "CREDIT_CODE_CHARSET",
    "check_credit_code",
    "credit_code_check_char",
    "credit_code_region",
    "normalise_credit_code",
    "region_warning",
    "year_warning",
]

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 code characters of GB 32100-2015 in value order (0–30)."""
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
_ALGO_REGION = re.compile(r"^网信算备(?P<region>\d{6})\d{15}号$", re.ASCII)
_ALGO_YEAR = re.compile(r"^网信算备\d{15}(?P<year>\d{2})\d{4}号$", re.ASCII)
# first two digits of GB/T 2260 province-level codes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao)
_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42"}
    | {"43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}
)


def normalise_credit_code(code: str) -> str:
    """Full-width characters to ASCII, spaces removed, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code)).upper()


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code (ValueError on a character outside the set)."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str | None:
    """Why `code` is not a valid 统一社会信用代码, or None when it is (after normalising)."""
    text = normalise_credit_code(code)
    term = "统一社会信用代码 (unified social credit code)"
    if len(text) != 18:
        return f"{term} {text!r} has {len(text)} characters; it must have 18"
    for position, ch in enumerate(text, start=1):
        if ch not in _VALUE:
            extra = " (GB 32100-2015 never uses I, O, S, V or Z)" if ch in "IOSVZ" else ""
            return f"{term} {text}: character {ch!r} at position {position} is not allowed{extra}"
    if not text[2:8].isdigit():
        return f"{term} {text}: positions 3–8 must be the six-digit region code, not {text[2:8]!r}"
    expected = credit_code_check_char(text[:17])
    if text[17] != expected:
        return f"{term} {text}: the check character is {text[17]!r} but should be {expected!r}; a character is mistyped"
    return None


def credit_code_region(code: str) -> str | None:
    """The six-digit region code (positions 3–8) of a valid credit code: where the organisation registered."""
    text = normalise_credit_code(code)
    return text[2:8] if check_credit_code(text) is None else None


def _normalise_number(number: str) -> str:
    return re.sub(r"[\s：:]", "", number)


def region_warning(filing_number: str, org_region: str | None) -> str | None:
    """G9 [inferred]: doubt about the region digits of an algorithm filing number; a warning, never a refusal.

    The number's digits 1–6 appear to be the county-level code of the filer's registered address. An
    organisation region of a city or province (a code ending in 00 or 0000) matches any county within it.
    """
    text = _normalise_number(filing_number)
    match = _ALGO_REGION.match(text)
    if match is None:
        return None  # not an algorithm filing number; its format is checked elsewhere
    region = match["region"]
    if region[:2] not in _PROVINCES:
        return f"{text}: region digits {region} are not a known province code (inferred check G9)"
    if org_region is None or not re.fullmatch(r"\d{6}", org_region.strip()):
        return None
    org = org_region.strip()
    prefix = org.rstrip("0") if org.endswith("00") else org
    prefix = (
        prefix if len(prefix) % 2 == 0 else prefix + "0"
    )  # keep whole 2-digit levels (e.g. 4403 for 440300)
    if region.startswith(prefix):
        return None
    return (
        f"{text}: region digits {region} differ from the organisation's region {org}; the number's "
        "first six digits usually match the registered address (inferred check G9)"
    )


def year_warning(filing_number: str, issued_on: date | None) -> str | None:
    """G8 [inferred]: doubt when an algorithm filing number's year digits differ from the year it was issued."""
    text = _normalise_number(filing_number)
    match = _ALGO_YEAR.match(text)
    if match is None or issued_on is None or int(match["year"]) == issued_on.year % 100:
        return None
    return (
        f"{text}: year digits {match['year']} (positions 16–17) differ from the year it was issued, "
        f"{issued_on.year} (inferred check G8)"
    )
