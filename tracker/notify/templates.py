"""SMS text from the templates in `data/templates/sms.<language>.toml`, kept within a segment budget."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from tracker import locations
from tracker.domain.safe import sms_text
from tracker.errors import ConfigError, UsageError
from tracker.notify.segments import SegmentCount, count_segments, is_gsm7
from tracker.timeutil import beijing_date

LANGUAGES = ("zh", "en")
MAX_SEGMENTS = 2
"""The default templates stay within two segments; longer texts are shortened (see `render`)."""

_SHORTENABLE = ("reason", "title", "organisation")  # shortened in this order; the filing number never is
_MIN_KEEP = 4
_PLACEHOLDERS = (
    "organisation",
    "title",
    "ref",
    "filing_number",
    "event",
    "stage",
    "reason",
    "date",
    "deadline",
    "due",
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered message and what it costs."""

    text: str
    count: SegmentCount
    language: str
    template: str
    shortened: bool = False


def templates_dir() -> Path:
    """The shipped template folder."""
    return locations.data_dir() / "templates"


@lru_cache(maxsize=8)
def _load(path: Path, _mtime_ns: int) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read SMS templates {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"SMS templates {path} are not valid TOML: {exc}") from None
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def load_templates(language: str, directory: Path | None = None) -> dict[str, str]:
    """The templates of one language (cached until the file changes)."""
    if language not in LANGUAGES:
        raise UsageError(f"no SMS templates in {language!r}", hint="zh or en")
    path = (directory or templates_dir()) / f"sms.{language}.toml"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise ConfigError(f"SMS templates {path} are missing") from None
    return _load(path, mtime)


def template_key(event: str, filing_number: str | None) -> str:
    """Which template an event uses: `overdue:D4` → overdue; an approval without a number → approve_no_number."""
    key = event.split(":", 1)[0]
    if key == "approve" and not filing_number:
        return "approve_no_number"
    return key


def _event_label(event: str, language: str) -> str:
    import states

    key = event.split(":", 1)[0]
    if key == "overdue":
        return "期限已过" if language == "zh" else "deadline overdue"
    try:
        member = states.Event(key)
    except ValueError:
        return key
    return states.zh(member) if language == "zh" else member.value.replace("_", " ")


def _stage_label(stage: str | None, kind: str | None, language: str) -> str:
    import states

    if not stage:
        return ""
    try:
        member = states.Stage(stage)
        kind_member = states.Kind(kind) if kind else None
    except ValueError:
        return stage
    return states.zh(member, kind_member) if language == "zh" else member.value.replace("_", " ")


def _day_text(value: datetime | date | None) -> str:
    """A date as shown to a Chinese reader: `YYYY-MM-DD`, the day in Beijing time for a time (naive is UTC)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return beijing_date(value).isoformat()
    return value.isoformat()


def _one_line(value: str) -> str:
    """A stored value as it goes into an SMS: no control characters (see `sms_text`), one line, spaces collapsed."""
    return " ".join(sms_text(value).split())


def _format(template: str, values: dict[str, str], key: str, language: str) -> str:
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"SMS template {key!r} (sms.{language}.toml) is malformed: {exc!s}",
            hint=f"placeholders: {', '.join('{' + p + '}' for p in _PLACEHOLDERS)}",
        ) from None


def render(
    event: str,
    *,
    language: str,
    ref: str,
    title: str,
    organisation: str,
    filing_number: str | None = None,
    stage: str | None = None,
    kind: str | None = None,
    reason: str | None = None,
    when: datetime | date | None = None,
    deadline: str | None = None,
    due: date | None = None,
    max_segments: int = MAX_SEGMENTS,
    directory: Path | None = None,
) -> Rendered:
    """Render the message for an event; shorten reason, title, then organisation until it fits `max_segments`."""
    templates = load_templates(language, directory)
    key = template_key(event, filing_number)
    template = templates.get(key) or templates.get("default")
    if template is None:
        raise ConfigError(f"SMS templates sms.{language}.toml have neither {key!r} nor 'default'")
    values = {
        "organisation": _one_line(organisation),
        "title": _one_line(title),
        "ref": _one_line(ref),
        "filing_number": _one_line(filing_number or "") or "—",
        "event": _event_label(event, language),
        "stage": _stage_label(stage, kind, language),
        "reason": _one_line(reason or "") or templates.get("no_reason", ""),
        "date": _day_text(when),
        "deadline": deadline or "",
        "due": _day_text(due),
    }
    text = _format(template, values, key, language)
    count = count_segments(text)
    shortened = False
    originals = {name: values[name] for name in _SHORTENABLE}
    keeps = {name: len(values[name]) for name in _SHORTENABLE}
    while count.segments > max_segments:
        # Cut the longest field first, down to the next longest, so no single field is gutted.
        candidates = sorted((n for n in _SHORTENABLE if keeps[n] > _MIN_KEEP), key=lambda n: -keeps[n])
        if not candidates:
            break
        name = candidates[0]
        runner_up = keeps[candidates[1]] if len(candidates) > 1 else _MIN_KEEP
        ellipsis = "..." if is_gsm7(text) else "…"
        over = max(1, count.units - count.part_limit * max_segments) + len(ellipsis)
        keeps[name] = max(_MIN_KEEP, min(keeps[name] - 1, max(keeps[name] - over, runner_up)))
        values[name] = originals[name][: keeps[name]].rstrip() + ellipsis
        text = _format(template, values, key, language)
        count = count_segments(text)
        shortened = True
    return Rendered(text, count, language, key, shortened)
