"""`beian apply`: a JSON Lines stream of events, applied in one process (the fast path for scripts).

The stream is read as bytes, one bounded line at a time, so nothing in it can stop the run without a report:
a line that is not UTF-8, not JSON, nested too deeply, holds a number too large, repeats a key, or is longer
than `MAX_LINE_BYTES` gets its own error and the next line is still read; a stream longer than
`MAX_INPUT_BYTES` (`/dev/zero`) stops with an error after what was read. A leading BOM (Notepad) is accepted.
Each line's result is handed to `on_line` right after its transaction commits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from tracker.domain import inputs
from tracker.errors import ExitCode, StorageError, TrackerError, UsageError
from tracker.filings.events import EventRequest
from tracker.filings.service import FilingService

FIELDS = {"ref", "event", "note", "reason", "filing_number", "at", "by", "if_version", "reopen"}
MAX_LINE_BYTES = 1 << 20
"""The longest line read (1 MiB); a longer one is reported and skipped."""
MAX_INPUT_BYTES = 64 << 20
"""The most a stream may hold (64 MiB, some 300,000 events); reading stops with an error beyond it."""
MAX_DEPTH = 8
"""How deeply a line may nest arrays and objects (a line needs 2: the object and `reopen`)."""
_MAX_INT_DIGITS = 30
_BOM = b"\xef\xbb\xbf"


@dataclass
class LineResult:
    """What happened to one line."""

    number: int
    ok: bool
    ref: str | None = None
    event: str | None = None
    stage: str | None = None
    error: str | None = None
    exit_code: int = 0
    skipped: bool = False

    def text(self) -> str:
        """One line for humans."""
        if self.ok:
            return f"line {self.number}: {self.ref} {self.event} → {self.stage}"
        if self.skipped:
            return f"line {self.number}: not applied (all-or-nothing)"
        return f"line {self.number}: error: {self.error}"

    def as_json(self) -> dict[str, Any]:
        """The stable JSON object of one line (`beian apply --json` writes one per line)."""
        return {k: v for k, v in vars(self).items() if v is not None and not (k == "skipped" and not v)}


@dataclass
class ApplyReport:
    """The outcome of a whole stream."""

    lines: list[LineResult] = field(default_factory=list)
    notifications: int = 0
    all_or_nothing: bool = False
    stopped: str | None = None
    """Why reading stopped before the end of the stream (too large), or None."""

    @property
    def failed(self) -> int:
        """Lines that failed."""
        return sum(1 for line in self.lines if not line.ok and not line.skipped)

    @property
    def applied(self) -> int:
        """Lines applied."""
        return sum(1 for line in self.lines if line.ok)

    @property
    def exit_code(self) -> ExitCode:
        """The exit code of the first failure (1 refused, 2 usage, 3 not found, 4 conflict, 5 storage)."""
        for line in self.lines:
            if not line.ok and not line.skipped:
                return ExitCode(line.exit_code)
        return ExitCode.USAGE if self.stopped else ExitCode.OK

    def summary(self) -> str:
        """The closing line."""
        if self.all_or_nothing and (self.failed or self.stopped):
            return f"nothing applied: {self.failed} line(s) failed"
        return f"{self.applied} applied, {self.failed} failed"

    def as_json(self) -> dict[str, Any]:
        """The whole report as one object (applied, failed, all_or_nothing, lines)."""
        return {
            "applied": self.applied,
            "failed": self.failed,
            "all_or_nothing": self.all_or_nothing,
            "lines": [line.as_json() for line in self.lines],
        }


@dataclass
class RawLine:
    """One line as read: its number and text, or why it could not be read."""

    number: int
    text: str | None
    error: str | None = None


def read_lines(
    source: IO[bytes] | IO[str] | Iterable[str],
    *,
    max_line: int = MAX_LINE_BYTES,
    max_total: int = MAX_INPUT_BYTES,
    report: ApplyReport | None = None,
) -> Iterator[RawLine]:
    """Bounded lines of a byte (or text) stream, decoded as UTF-8; blank lines are skipped.

    A line longer than `max_line` bytes, or that is not UTF-8, comes back with `error` set. After `max_total`
    bytes reading stops and `report.stopped` says why.
    """
    readline = getattr(source, "readline", None)
    if readline is None:  # a plain iterable of text lines (tests, callers holding strings)
        for number, text in enumerate(source, start=1):
            if str(text).strip():
                yield RawLine(number, str(text))
        return
    total = 0
    number = 0
    while True:
        chunk = readline(max_line + 1)
        if not chunk:
            return
        data = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8", "surrogateescape")
        number += 1
        total += len(data)
        if len(data) > max_line and not data.endswith(b"\n"):
            while (
                chunk
                and total <= max_total
                and not (chunk.endswith(b"\n") if isinstance(chunk, bytes) else chunk.endswith("\n"))
            ):  # skip the rest of the line without holding it
                chunk = readline(max_line)
                total += len(chunk)
            yield RawLine(number, None, f"line longer than {max_line // 1024} KiB; skipped")
        else:
            if number == 1 and data.startswith(_BOM):
                data = data[len(_BOM) :]
            if data.strip():
                yield _decoded(number, data)
        if total > max_total:
            if report is not None:
                report.stopped = f"input larger than {max_total >> 20} MiB: stopped after line {number}"
            return


def _decoded(number: int, data: bytes) -> RawLine:
    try:
        return RawLine(number, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        hint = ""
        if number == 1 and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = " (the file is UTF-16: save it as UTF-8)"
        return RawLine(
            number, None, f"not UTF-8: byte 0x{data[exc.start]:02X} at column {exc.start + 1}{hint}"
        )


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise UsageError(f"key {inputs.echo(key)} appears twice; give each field once")
        seen[key] = value
    return seen


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise UsageError(f"number {inputs.echo(text)} is too large")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UsageError(f"number {inputs.echo(text)} is too large")
    return value


def _parse_constant(text: str) -> Any:
    raise UsageError(f"{text} is not a JSON value")


def _depth(text: str) -> int:
    """How deeply brackets nest outside strings (a cheap pass; the decoder itself would recurse)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a string")
    inputs.optional_text(value, name)  # a lone surrogate is refused here
    return value


def parse_line(number: int, text: str) -> EventRequest:
    """One JSON object → an EventRequest, or a `UsageError` / `NotFound` saying what is wrong with the line."""
    if _depth(text) > MAX_DEPTH:
        raise UsageError(f"nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise UsageError("nested too deeply") from None
    if not isinstance(data, dict):
        raise UsageError("each line must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        names = ", ".join(inputs.echo(k) for k in sorted(unknown)[:5])
        raise UsageError(f"unknown field(s) {names}; known: {', '.join(sorted(FIELDS))}")
    for required in ("ref", "event"):
        if data.get(required) in (None, ""):
            raise UsageError(f"missing {required!r}")
    ref = data["ref"]
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        raise UsageError("ref must be a reference such as ALG-0001 or a numeric id")
    inputs.parse_ref(ref)  # an empty or impossible reference is reported before anything is opened
    values = {name: _string(data, name) for name in ("event", "note", "reason", "filing_number", "at", "by")}
    if_version = data.get("if_version")
    if if_version is not None and (
        isinstance(if_version, bool)
        or not isinstance(if_version, int)
        or not 1 <= if_version <= inputs.MAX_ID
    ):
        raise UsageError("if_version must be a version number (1 or more)")
    reopen = data.get("reopen") or []
    if isinstance(reopen, str):
        reopen = [reopen]
    if not isinstance(reopen, list) or not all(isinstance(key, str) for key in reopen):
        raise UsageError("reopen must be a material key or a list of them")
    for key in reopen:
        inputs.optional_text(key, "reopen")
    at = values["at"]
    return EventRequest(
        ref=ref,
        event=str(values["event"]),
        note=values["note"],
        reason=values["reason"],
        filing_number=values["filing_number"],
        at=inputs.parse_when(at, what="at") if at is not None else None,
        actor=values["by"],
        source="apply",
        if_version=if_version,
        reopen=tuple(reopen),
    )


def apply_lines(
    service: FilingService,
    source: IO[bytes] | IO[str] | Iterable[str],
    *,
    all_or_nothing: bool = False,
    on_line: Callable[[LineResult], None] | None = None,
    max_line: int = MAX_LINE_BYTES,
    max_total: int = MAX_INPUT_BYTES,
) -> ApplyReport:
    """Apply every non-blank line; each in its own transaction, or all in one with `all_or_nothing`.

    `on_line` gets each line's result as soon as it is known: right after its commit (or, with
    `all_or_nothing`, once the whole batch committed or rolled back). An unexpected error on one line is
    reported for that line (exit code 5) and the run goes on. Never raises for the stream's content.
    """
    report = ApplyReport(all_or_nothing=all_or_nothing)
    parsed: list[tuple[int, EventRequest]] = []

    def done(line: LineResult) -> None:
        report.lines.append(line)
        if on_line is not None:
            on_line(line)

    for raw in read_lines(source, max_line=max_line, max_total=max_total, report=report):
        if raw.text is None:
            done(LineResult(raw.number, False, error=raw.error, exit_code=int(ExitCode.USAGE)))
            continue
        try:
            request = parse_line(raw.number, raw.text)
        except TrackerError as exc:
            done(LineResult(raw.number, False, error=str(exc), exit_code=int(exc.exit_code)))
            continue
        if all_or_nothing:
            parsed.append((raw.number, request))
            continue
        try:
            result = service.advance_many([request])[0]
        except TrackerError as exc:
            done(_failure(raw.number, request, exc))
            continue
        except Exception as exc:  # one line's surprise never hides the report of the others
            done(_failure(raw.number, request, _unexpected(exc)))
            continue
        report.notifications += result.notifications
        done(_success(raw.number, result))
    if all_or_nothing:
        _apply_atomically(service, parsed, report, done)
    report.lines.sort(key=lambda line: line.number)
    return report


def _unexpected(exc: Exception) -> TrackerError:
    from tracker.store.db import database_error

    return database_error(exc) or StorageError(f"unexpected error: {type(exc).__name__}: {inputs.echo(exc)}")


def _apply_atomically(
    service: FilingService,
    parsed: list[tuple[int, EventRequest]],
    report: ApplyReport,
    done: Callable[[LineResult], None],
) -> None:
    if (
        report.failed or report.stopped
    ):  # a line that does not even parse spoils the batch before anything is written
        for n, _ in parsed:
            done(LineResult(n, False, skipped=True))
        return
    try:
        results = service.advance_many([r for _, r in parsed], atomic=True) if parsed else []
    except Exception as exc:
        error = exc if isinstance(exc, TrackerError) else _unexpected(exc)
        bad = getattr(exc, "index", 0)
        for i, (number, request) in enumerate(parsed):
            if i == bad:
                done(_failure(number, request, error))
            else:
                done(LineResult(number, False, skipped=True))
        return
    for (number, _), result in zip(parsed, results, strict=True):
        report.notifications += result.notifications
        done(_success(number, result))


def _success(number: int, result: Any) -> LineResult:
    return LineResult(
        number,
        True,
        ref=result.filing.ref,
        event=result.transition.event.value,
        stage=result.filing.stage.value,
    )


def _failure(number: int, request: EventRequest, exc: TrackerError) -> LineResult:
    return LineResult(
        number,
        False,
        ref=str(request.ref)[: inputs.ECHO_CHARS],
        event=str(request.event)[: inputs.ECHO_CHARS],
        error=str(exc),
        exit_code=int(exc.exit_code),
    )
