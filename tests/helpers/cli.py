"""Running `beian` in the test process, shared by the CLI tests of every layer."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tracker.cli import main


@dataclass
class Result:
    """What one `beian` run did; unpacks as (code, out, err)."""

    code: int
    out: str
    err: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.code, self.out, self.err))

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)

    def fails_cleanly(self, code: int) -> str:
        """Assert the exit code and one error line on stderr with no traceback; returns that line."""
        assert self.code == code, (self.code, self.out, self.err)
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("beian: error: "), self.err
        assert "Traceback" not in self.err + self.out
        return lines[0]


Beian = Callable[..., Result]


def run_beian(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """`beian ARGS` in this process; SystemExit becomes the exit code."""
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    else:  # pragma: no cover - main always exits
        code = 0
    out, err = capsys.readouterr()
    if any(arg.startswith("postgresql") for arg in args):
        gc.collect()  # close the run's pooled PostgreSQL connections now, not whenever the collector runs
    return Result(code, out, err)


def bound_to(capsys: pytest.CaptureFixture[str], url: str) -> Beian:
    """A runner with `--db URL`."""

    def beian(*args: str) -> Result:
        return run_beian(capsys, "--db", url, *args)

    return beian
