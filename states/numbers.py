"""Filing-number formats: 算法备案编号, 大模型备案号 and the free-text 上线编号 (see ../shared/domain/DOMAIN.md §3)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    """Strip whitespace and half- or full-width colons, as numbers are displayed with both.

    The plain normalisation of a number that is already alone; `extract_filing_number` reads pasted text.
    """
    return re.sub(r"[\s：:]", "", text)


# -- reading a number out of pasted text (product footers, disclosure pages, the CAC's translated lists) --------

_ALGO_PREFIXED = re.compile(r"网信算备\s*:?\s*(?P<digits>\d(?:\s?\d)*)(?:\s*(?P<hao>号))?", re.ASCII)
_ALGO_SHAPE = re.compile(r"^网信算备\d{21}号$", re.ASCII)
_REGISTRATION_EXACT = re.compile(r"^[A-Z][A-Za-z]+-[A-Za-z0-9]+-20\d{6}S\d{4}$", re.ASCII)
_ALGO_FRAGMENT = re.compile(r"网信算备[^号\s]{0,40}号?")
_BARE_DIGITS = re.compile(r"(?<!\d)(?P<digits>\d{21})(?!\d)", re.ASCII)
_REGISTRATION_NO = re.compile(
    r"(?<![A-Za-z0-9-])(?P<number>[A-Z][A-Za-z]+-[A-Za-z0-9]+-20\d{6}S\d{4})(?![A-Za-z0-9])", re.ASCII
)
_GENAI_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9-])(?P<number>[A-Z][A-Za-z]+-[A-Za-z0-9]+-20\d{6}(?:\d{4})?)(?![A-Za-z0-9])", re.ASCII
)
# looks like a generative-AI number but is not one: lower-case region, short date, stray characters
_GENAI_LIKE = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]+-[A-Za-z0-9]+-\d{4,}[A-Za-z0-9]*", re.ASCII)
_REGISTRATION_EXAMPLE = "Guangdong-Plaud-20251229S0027"
_NUMBER_SHAPE = {
    Kind.ALGORITHM: f"网信算备 + 21 digits + 号, for example {_ALGO_EXAMPLE}",
    Kind.GENAI_FILING: f"Region-ModelName-YYYYMMDD[NNNN], for example {_GENAI_EXAMPLE}",
    Kind.GENAI_REGISTRATION: f"Region-AppName-YYYYMMDDSNNNN, for example {_REGISTRATION_EXAMPLE}",
}
_SEPARATORS = " \t\r\n:;,.，。；、|/\\()（）[]【】<>《》\"'“”‘’-—"
# Placeholders people type while a number is not yet known; compared after NFKC, casefold and trimming.
_PLACEHOLDERS = frozenset(
    {
        "待定",
        "待填写",
        "待填",
        "待补充",
        "待补",
        "待更新",
        "待申请",
        "待获取",
        "暂无",
        "无",
        "空",
        "未知",
        "未定",
    }
    | {"申请中", "审核中", "n/a", "na", "tbd", "todo", "none", "null", "nil", "unknown", "pending", "-", "?"}
)
_PLACEHOLDER_LIKE = re.compile(r"^(?:x+|0+|\?+|-+|_+|\*+|…+|\.+)$", re.ASCII | re.IGNORECASE)
_BRACKETS = " \t\r\n:;,.，。；、()（）[]【】<>《》\"'“”‘’"
MAX_PASTED = 4096
"""Longest text read for a number (characters); a filing number and its label are far shorter."""


class FilingNumberError(ValueError):
    """Pasted text holds no usable filing number, or more than one; the message quotes the text as typed."""

    def __init__(self, message: str, typed: str) -> None:
        super().__init__(message)
        self.typed = typed


@dataclass(frozen=True, slots=True)
class ExtractedNumber:
    """One filing number read out of pasted text.

    `number` is the stored form (ASCII digits, `网信算备…号` complete); `kind` the kind of filing it belongs to
    (ALGORITHM, GENAI_FILING or GENAI_REGISTRATION); `ignored` the pieces of the text that were not part of it;
    `notes` what was changed or ignored, and `warnings` doubts that do not block (an unusual 上线编号).
    """

    number: str
    kind: Kind
    typed: str
    ignored: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Found:
    number: str
    kind: Kind
    start: int
    end: int
    notes: tuple[str, ...] = ()
    digits: int = 21


def quote_typed(text: str, limit: int = 80) -> str:
    """The text as typed, quoted with control characters escaped and cut to `limit` characters."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    return repr(shown)


def filing_number_key(number: str) -> str:
    """The key under which two numbers count as the same number (uniqueness across the database).

    Generative-AI numbers occur in several letter cases (`Beijing-DeepseekChat-…`, `Beijing-DeepSeekChat-…`,
    DOMAIN.md §3.2), so the key is case-insensitive; `网信算备` and `号` have no case. SQL compares `lower(…)`,
    which agrees with this for the ASCII letters numbers are made of.
    """
    return unicodedata.normalize("NFKC", normalise_filing_number(number)).lower()


def _clean(text: str) -> str:
    """NFKC (full-width digits, letters, colons and spaces become ASCII) without invisible format characters."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def is_placeholder(text: str) -> bool:
    """Whether `text` stands for "no number yet" (待定, N/A, [待填写], TBD, xxx …) rather than a number."""
    core = _clean(text).strip(_BRACKETS).casefold()
    return core in _PLACEHOLDERS or bool(_PLACEHOLDER_LIKE.match(core))


def _candidates(text: str) -> tuple[list[_Found], list[str], list[str]]:
    """Well-formed numbers in `text`; malformed algorithm numbers and malformed generative-AI ones (with why)."""
    found: list[_Found] = []
    malformed: list[str] = []
    genai_like: list[str] = []
    taken: list[tuple[int, int]] = []
    for m in _ALGO_PREFIXED.finditer(text):
        digits = re.sub(r"\s", "", m["digits"])
        taken.append(m.span())
        if len(digits) != 21:
            shown = _ALGO_FRAGMENT.match(text, m.start())
            malformed.append(
                f"{shown.group() if shown else m.group()} has {len(digits)} digits after 网信算备; "
                "an algorithm filing number (算法备案编号) has 21 digits"
            )
            continue
        notes = () if m["hao"] else ("added the final 号",)
        found.append(_Found(f"网信算备{digits}号", Kind.ALGORITHM, m.start(), m.end(), notes))
    for m in _BARE_DIGITS.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        number = f"网信算备{m['digits']}号"
        note = f"read the bare 21 digits as {number}"
        found.append(_Found(number, Kind.ALGORITHM, m.start(), m.end(), (note,)))
        taken.append(m.span())
    for pattern, kind in ((_REGISTRATION_NO, Kind.GENAI_REGISTRATION), (_GENAI_IN_TEXT, Kind.GENAI_FILING)):
        for m in pattern.finditer(text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            found.append(_Found(m["number"], kind, m.start(), m.end()))
            taken.append(m.span())
    for m in _GENAI_LIKE.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            genai_like.append(
                f"{m.group()} is not a generative-AI filing number (大模型备案号) of the form "
                f"Region-ModelName-YYYYMMDD[NNNN], for example {_GENAI_EXAMPLE}"
            )
    return found, malformed, genai_like


def _ignored(text: str, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The text around the number's occurrences, without separators: labels, names, other notes."""
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return tuple(p for p in (piece.strip(_SEPARATORS) for piece in pieces) if p)


def extract_filing_number(text: str, kind: Kind | None = None) -> ExtractedNumber:
    """The one well-formed filing number in pasted `text`, as stored (DOMAIN.md §3; issue "numbers as pasted").

    Accepts what users copy: a label in front (`算法备案号：`, `生成式人工智能服务备案号：`), a missing final `号`,
    the bare 21 digits of the CAC's translated lists, full-width digits (NFKC), spaces inside
    (`网信算备 110108… 号`) and a trailing algorithm name; what was ignored is returned in `ignored`/`notes`.
    `kind` is the kind of filing the number is for (None: any, decided by the number found). An algorithm
    number is read for its shape only (21 digits); `check_filing_number` checks its type digits.

    For a registration (登记, GENAI_REGISTRATION) the 上线编号 shape `Region-AppName-YYYYMMDDSNNNN` is accepted;
    other text is accepted with a warning, except placeholders (`待定`, `N/A`, `[待填写]`) and numbers of the
    other kinds, which are refused.

    Raises FilingNumberError (quoting the text as typed) when the text holds no number, two different numbers,
    only a malformed one, or a number of another kind than `kind`.
    """
    if kind is Kind.ENTITY:
        raise FilingNumberError(
            f"{quote_typed(text)}: an entity filing (主体备案) is approved without a number of its own", text
        )
    exact = _exact_kind(text)
    if exact is not None and (kind is None or kind is exact):
        return ExtractedNumber(text, exact, text)  # already in the stored form: nothing to read out
    if len(text) > MAX_PASTED:
        raise FilingNumberError(
            f"{quote_typed(text)} is {len(text)} characters long; a filing number with its label has under "
            f"{MAX_PASTED}",
            text,
        )
    clean = _clean(text)
    wanted = _NUMBER_TERM.get(kind, "a filing number") if kind is not None else "a filing number"
    if is_placeholder(clean):
        raise FilingNumberError(
            f"{quote_typed(text)} is a placeholder, not {wanted}: record the number once it is issued", text
        )
    if not clean.strip(_SEPARATORS):
        raise FilingNumberError(f"{quote_typed(text)} is empty: {wanted} is needed", text)
    found, malformed, genai_like = _candidates(clean)
    if kind is not Kind.GENAI_REGISTRATION:
        malformed += genai_like  # an odd 上线编号 is kept with a warning, never refused outright
    distinct = {filing_number_key(f.number): f for f in found}
    if len(distinct) + len(malformed) > 1 or len(distinct) > 1:
        shown = [f.number for f in distinct.values()] + malformed
        raise FilingNumberError(
            f"{quote_typed(text)} holds more than one number ({'; '.join(shown)}): give only the one meant",
            text,
        )
    if not distinct:
        if malformed:
            reason = malformed[0]
            if reason.startswith(clean.strip() + " "):  # the whole text is the malformed number: say it once
                raise FilingNumberError(f"{quote_typed(text)}{reason[len(clean.strip()) :]}", text)
            raise FilingNumberError(f"{quote_typed(text)}: {reason}", text)
        if kind is Kind.GENAI_REGISTRATION:
            return _free_registration(text, clean)
        raise FilingNumberError(_none_found(text, kind), text)
    (hit,) = distinct.values()
    if kind is not None and hit.kind is not kind:
        raise FilingNumberError(
            f"{quote_typed(text)}: {hit.number} is {_NUMBER_TERM[hit.kind]}, not {_NUMBER_TERM[kind]} "
            f"({_NUMBER_SHAPE[kind]})",
            text,
        )
    spans = sorted(
        (f.start, f.end) for f in found if filing_number_key(f.number) == filing_number_key(hit.number)
    )
    ignored = _ignored(clean, spans)
    notes = list(hit.notes)
    if ignored:
        notes.append("ignored " + " and ".join(repr(p) for p in ignored))
    return ExtractedNumber(hit.number, hit.kind, text, ignored, tuple(notes))


def _exact_kind(text: str) -> Kind | None:
    """The kind of a number already in its stored form (the fast path for exports read back), else None."""
    if text.startswith("网信算备"):
        return Kind.ALGORITHM if _ALGO_SHAPE.match(text) else None
    if _REGISTRATION_EXACT.match(text):
        return Kind.GENAI_REGISTRATION
    if GENAI_FILING_NO.match(text):
        return Kind.GENAI_FILING
    return None


def _none_found(text: str, kind: Kind | None) -> str:
    if kind is Kind.GENAI_FILING:
        expected = f"Region-ModelName-YYYYMMDD[NNNN], for example {_GENAI_EXAMPLE}"
    elif kind is Kind.ALGORITHM:
        expected = f"网信算备 + 21 digits + 号, for example {_ALGO_EXAMPLE}"
    else:
        expected = f"网信算备 + 21 digits + 号 ({_ALGO_EXAMPLE}) or Region-ModelName-YYYYMMDD[NNNN] ({_GENAI_EXAMPLE})"
    wanted = _NUMBER_TERM.get(kind, "a filing number") if kind is not None else "a filing number"
    return (
        f"{quote_typed(text)} holds no {wanted.removeprefix('an ').removeprefix('a ')}: expected {expected}"
    )


_LABEL = re.compile(r"^[^:]{0,40}?(?:编号|登记号|备案号|上线号|number|no\.?)\s*:?\s*", re.IGNORECASE)


def _free_registration(text: str, clean: str) -> ExtractedNumber:
    """A 上线编号 of an unknown shape: kept (without a label in front), with a warning."""
    body = clean.strip()
    label_match = _LABEL.match(body)
    ignored: tuple[str, ...] = ()
    if label_match and label_match.end() < len(body):
        ignored = (body[: label_match.end()].strip(_SEPARATORS),)
        body = body[label_match.end() :]
    number = re.sub(r"\s+", "", body)
    if len(number) > 64:
        raise FilingNumberError(f"{quote_typed(text)} is too long for a registration number (上线编号)", text)
    if is_placeholder(number):
        raise FilingNumberError(
            f"{quote_typed(text)} is a placeholder, not a registration number (上线编号)", text
        )
    notes = ("ignored " + repr(ignored[0]),) if ignored and ignored[0] else ()
    warning = (
        f"{number} is not of the usual 上线编号 shape Region-AppName-YYYYMMDDSNNNN "
        f"(for example {_REGISTRATION_EXAMPLE}); recorded as given"
    )
    return ExtractedNumber(number, Kind.GENAI_REGISTRATION, text, ignored, notes, (warning,))


def check_filing_number(kind: Kind, number: str | None, algorithm_type: AlgorithmType | None) -> str | None:
    """Why `number` cannot be the number issued for a filing of `kind`, or None when it can.

    `number` may be pasted text (see `extract_filing_number`); the reason quotes it as typed.
    """
    if kind is Kind.ENTITY:
        return None  # an entity filing is approved without a number of its own
    if not normalise_filing_number(number or ""):
        return f"approval needs {_NUMBER_TERM[kind]}, as issued by the regulator"
    assert number is not None
    try:
        found = extract_filing_number(number, kind)
    except FilingNumberError as exc:
        return str(exc)
    if kind is not Kind.ALGORITHM:
        return None
    return _check_algorithm_number(found.number, algorithm_type)


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
