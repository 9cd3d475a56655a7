"""`beian apply`: a JSON Lines stream of events, applied in one process (the fast path for scripts)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tracker.errors import ExitCode, TrackerError, UsageError
from tracker.filings.events import EventRequest
from tracker.filings.service import FilingService
from tracker.timeutil import parse_when

FIELDS = {"ref", "event", "note", "reason", "filing_number", "at", "by", "if_version", "reopen"}


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


@dataclass
class ApplyReport:
    """The outcome of a whole stream."""

    lines: list[LineResult] = field(default_factory=list)
    notifications: int = 0
    all_or_nothing: bool = False

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
        return ExitCode.OK

    def summary(self) -> str:
        """The closing line."""
        if self.all_or_nothing and self.failed:
            return f"nothing applied: {self.failed} line(s) failed"
        return f"{self.applied} applied, {self.failed} failed"

    def as_json(self) -> dict[str, Any]:
        """The stable JSON report."""
        return {
            "applied": self.applied,
            "failed": self.failed,
            "all_or_nothing": self.all_or_nothing,
            "lines": [
                {k: v for k, v in vars(line).items() if v is not None and not (k == "skipped" and not v)}
                for line in self.lines
            ],
        }


def parse_line(number: int, text: str) -> EventRequest:
    """One JSON object → an EventRequest, or a UsageError naming the line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise UsageError("each line must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(FIELDS))}")
    for required in ("ref", "event"):
        if not data.get(required):
            raise UsageError(f"missing {required!r}")
    if isinstance(data["ref"], bool) or not isinstance(data["ref"], str | int):
        raise UsageError("ref must be a reference such as ALG-0001 or a numeric id")
    for name in ("event", "note", "reason", "filing_number", "at", "by"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise UsageError(f"{name} must be a string")
    if_version = data.get("if_version")
    if if_version is not None and (isinstance(if_version, bool) or not isinstance(if_version, int)):
        raise UsageError("if_version must be an integer")
    reopen = data.get("reopen") or []
    if isinstance(reopen, str):
        reopen = [reopen]
    if not isinstance(reopen, list) or not all(isinstance(key, str) for key in reopen):
        raise UsageError("reopen must be a material key or a list of them")
    return EventRequest(
        ref=str(data["ref"]),
        event=str(data["event"]),
        note=data.get("note"),
        reason=data.get("reason"),
        filing_number=data.get("filing_number"),
        at=parse_when(str(data["at"])) if data.get("at") else None,
        actor=data.get("by"),
        source="apply",
        if_version=if_version,
        reopen=tuple(reopen),
    )


def apply_lines(
    service: FilingService, source: Iterable[str], *, all_or_nothing: bool = False
) -> ApplyReport:
    """Apply every non-blank line; each in its own transaction, or all in one with `all_or_nothing`."""
    report = ApplyReport(all_or_nothing=all_or_nothing)
    parsed: list[tuple[int, EventRequest]] = []
    for number, text in enumerate(source, start=1):
        if not text.strip():
            continue
        try:
            request = parse_line(number, text)
        except TrackerError as exc:
            report.lines.append(LineResult(number, False, error=str(exc), exit_code=int(exc.exit_code)))
            continue
        if all_or_nothing:
            parsed.append((number, request))
            continue
        try:
            result = service.advance_many([request])[0]
        except TrackerError as exc:
            report.lines.append(_failure(number, request, exc))
            continue
        report.notifications += result.notifications
        report.lines.append(_success(number, result))
    if all_or_nothing:
        _apply_atomically(service, parsed, report)
    report.lines.sort(key=lambda line: line.number)
    return report


def _apply_atomically(
    service: FilingService, parsed: list[tuple[int, EventRequest]], report: ApplyReport
) -> None:
    if report.failed:  # a line that does not even parse spoils the batch before anything is written
        report.lines.extend(LineResult(n, False, skipped=True) for n, _ in parsed)
        return
    try:
        results = service.advance_many([r for _, r in parsed], atomic=True) if parsed else []
    except TrackerError as exc:
        bad = getattr(exc, "index", 0)
        for i, (number, request) in enumerate(parsed):
            if i == bad:
                report.lines.append(_failure(number, request, exc))
            else:
                report.lines.append(LineResult(number, False, skipped=True))
        return
    for (number, _), result in zip(parsed, results, strict=True):
        report.notifications += result.notifications
        report.lines.append(_success(number, result))


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
        ref=str(request.ref),
        event=str(request.event),
        error=str(exc),
        exit_code=int(exc.exit_code),
    )
