"""Fresh interpreters that report what an entry point imported: the start-up and layering checks use them."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout: the folder holding `pyproject.toml`."""

_PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    how, what, then, report = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
    code = None
    if how == "import":
        for name in what:
            importlib.import_module(name)
        exec(then, {name.split(".")[0]: sys.modules[name.split(".")[0]] for name in what})
    else:
        from tracker.cli import main
        try:
            main(what)
        except SystemExit as exc:
            code = exc.code
    with open(report, "w", encoding="utf-8") as out:
        json.dump({"code": code, "modules": sorted(sys.modules)}, out)
    """
)


@dataclass(frozen=True)
class Probe:
    """What one fresh interpreter did: the exit code of `beian` (None when it only imported) and every module loaded."""

    code: object
    modules: frozenset[str]

    @property
    def packages(self) -> set[str]:
        """The top-level packages among `modules` (`textual`, not `textual.app`)."""
        return {name.split(".")[0] for name in self.modules}


def _run(
    how: str, what: Sequence[str], cwd: Path | None, env: Mapping[str, str] | None, then: str = ""
) -> Probe:
    with tempfile.TemporaryDirectory(prefix="probe-") as scratch:
        report = Path(scratch) / "modules.json"
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, how, json.dumps(list(what)), then, str(report)],
            capture_output=True,
            text=True,
            cwd=cwd or scratch,
            env=None if env is None else dict(env),
            timeout=120,
            check=False,
        )
        assert report.exists(), done.stderr
        data = json.loads(report.read_text(encoding="utf-8"))
    return Probe(data["code"], frozenset(data["modules"]))


def beian_in_fresh_process(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> Probe:
    """`beian ARGV` in a new interpreter (run from a scratch folder unless `cwd` is given, in `env` if given).

    Fails the test if the interpreter died before reporting (its stderr is the message).
    """
    return _run("cli", argv, cwd, env)


def imports_in_fresh_process(modules: Sequence[str], *, then: str = "", cwd: Path | None = None) -> Probe:
    """Import `modules` in a new interpreter, run the statements `then` (which see the imported top-level
    packages by name), and report everything that loaded; the exit code is None."""
    return _run("import", modules, cwd, None, then)
