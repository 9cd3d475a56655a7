"""The filings of a listing as a CSV file that Excel opens correctly (UTF-8 with a byte-order mark).

A stop-gap for the dashboard's "export the current view" until the import/export slice provides CSV and XLSX
exports; the columns are the `beian list --json` fields, so the two agree.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tracker.errors import UsageError


def write_csv(rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write `rows` (filing columns plus `organisation_name`) to a new owner-only file; returns how many.

    Raises `UsageError` when `path` exists or cannot be created.
    """
    from tracker.domain.json import FILING_KEYS, filing_json

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} exists already", hint="choose another name") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    count = 0
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(FILING_KEYS)
        for row in rows:
            data = filing_json(row)
            writer.writerow(["" if data[k] is None else data[k] for k in FILING_KEYS])
            count += 1
    return count
