"""Filing-number formats: 算法备案编号, 大模型备案号 and the free-text 上线编号 (see ../shared/domain/DOMAIN.md §3)."""

from __future__ import annotations

import re

from states.names import AlgorithmType, Kind, label, zh

# re.ASCII: a full-width digit must not pass as part of a stored number.
ALGO_FILING_NO = re.compile(
    r"^网信算备(?P<region>\d{6})(?P<entity>\d{7})(?P<type>0[1-5])(?P<year>\d{2})(?P<serial>\d{4})号$",
    re.ASCII,
)
GENAI_FILING_NO = re.compile(
    r"^(?P<region>[A-Z][A-Za-z]+)-(?P<model>[A-Za-z0-9]+)-(?P<date>20\d{6})(?P<serial>\d{4})?$", re.ASCII
)
_ALGO_DIGITS = re.compile(r"^网信算备(?P<digits>\d*)号$", re.ASCII)
_ALGO_EXAMPLE = "网信算备110108823483901230031号"
_GENAI_EXAMPLE = "Beijing-DeepseekChat-202404280016"

_NUMBER_TERM = {
    Kind.ALGORITHM: "an algorithm filing number (算法备案编号)",
    Kind.GENAI_FILING: "a generative-AI filing number (大模型备案号)",
    Kind.GENAI_REGISTRATION: "a registration number (上线编号)",
}


def normalise_filing_number(text: str) -> str:
    """Strip whitespace and half- or full-width colons, as numbers are displayed with both."""
    return re.sub(r"[\s：:]", "", text)


def check_filing_number(kind: Kind, number: str | None, algorithm_type: AlgorithmType | None) -> str | None:
    """Why `number` cannot be the number issued for a filing of `kind`, or None when it can."""
    if kind is Kind.ENTITY:
        return None  # an entity filing is approved without a number of its own
    text = normalise_filing_number(number or "")
    if not text:
        return f"approval needs {_NUMBER_TERM[kind]}, as issued by the regulator"
    if kind is Kind.GENAI_REGISTRATION:
        return None  # no real 上线编号 has been seen, so its format is not checked
    if kind is Kind.GENAI_FILING:
        if GENAI_FILING_NO.match(text):
            return None
        return (
            f"{text!r} is not {_NUMBER_TERM[kind]}: expected Region-ModelName-YYYYMMDD[NNNN], "
            f"for example {_GENAI_EXAMPLE}"
        )
    return _check_algorithm_number(text, algorithm_type)


def _check_algorithm_number(text: str, algorithm_type: AlgorithmType | None) -> str | None:
    match = ALGO_FILING_NO.match(text)
    if match is None:
        loose = _ALGO_DIGITS.match(text)
        if loose is not None and len(loose["digits"]) != 21:
            return (
                f"{text!r} has {len(loose['digits'])} digits after 网信算备; "
                f"{_NUMBER_TERM[Kind.ALGORITHM]} has 21, for example {_ALGO_EXAMPLE}"
            )
        if loose is not None:
            digits = loose["digits"][13:15]
            return (
                f"{text!r} has type digits {digits} (positions 14-15 after 网信算备); "
                "the algorithm type code (算法类型) must be 01-05"
            )
        return f"{text!r} is not {_NUMBER_TERM[Kind.ALGORITHM]}: expected 网信算备 + 21 digits + 号, for example {_ALGO_EXAMPLE}"
    if algorithm_type is None:
        return f"the filing's algorithm type (算法类型) is not set, so the type digits of {text} cannot be checked"
    found = match["type"]
    if found != algorithm_type.code:
        return (
            f"{text} has type digits {found} ({zh(AlgorithmType.from_code(found))}, "
            f"{AlgorithmType.from_code(found).value}) at positions 14-15, "
            f"but this filing's algorithm type is {label(algorithm_type)}, which needs {algorithm_type.code}"
        )
    return None


def filing_number_warnings(number: str, issued_year: int | None = None) -> list[str]:
    """Doubts about a number that passed the format check; warnings never block (G8)."""
    text = normalise_filing_number(number)
    warnings: list[str] = []
    algo = ALGO_FILING_NO.match(text)
    if algo is not None and issued_year is not None and int(algo["year"]) != issued_year % 100:
        warnings.append(
            f"{text}: the year digits {algo['year']} (positions 16-17) differ from the year it was issued, {issued_year}"
        )
    genai = GENAI_FILING_NO.match(text)
    if genai is not None:
        stamp = genai["date"]
        from datetime import date  # rarely needed; keeps the import of this module light

        try:
            date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
        except ValueError:
            warnings.append(f"{text}: the date part {stamp} is not a calendar date")
        if issued_year is not None and int(stamp[:4]) != issued_year:
            warnings.append(f"{text}: the date part {stamp} is not in the year it was issued, {issued_year}")
    return warnings
