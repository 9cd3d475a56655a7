"""Pure state machines for CAC filings: names, guards, filing numbers and diagrams (stdlib + transitions)."""

from __future__ import annotations

from states.diagram import to_mermaid
from states.engine import Outcome, evaluate, options
from states.guards import GuardContext
from states.machines import events_of, has_tag, initial_stage, is_final, machine_config, stages_of
from states.names import (
    AlgorithmType,
    Event,
    Kind,
    Lang,
    Role,
    Stage,
    UnknownName,
    label,
    parse_algorithm_type,
    parse_event,
    parse_kind,
    parse_role,
    parse_stage,
    zh,
)
from states.numbers import (
    ALGO_FILING_NO,
    GENAI_FILING_NO,
    ExtractedNumber,
    FilingNumberError,
    check_filing_number,
    extract_filing_number,
    filing_number_key,
    filing_number_warnings,
    normalise_filing_number,
)

__all__ = [
    "ALGO_FILING_NO",
    "GENAI_FILING_NO",
    "AlgorithmType",
    "ExtractedNumber",
    "Event",
    "FilingNumberError",
    "GuardContext",
    "Kind",
    "Lang",
    "Outcome",
    "Role",
    "Stage",
    "UnknownName",
    "check_filing_number",
    "evaluate",
    "events_of",
    "extract_filing_number",
    "filing_number_key",
    "filing_number_warnings",
    "has_tag",
    "initial_stage",
    "is_final",
    "label",
    "machine_config",
    "normalise_filing_number",
    "options",
    "parse_algorithm_type",
    "parse_event",
    "parse_kind",
    "parse_role",
    "parse_stage",
    "stages_of",
    "to_mermaid",
    "zh",
]
