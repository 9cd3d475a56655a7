"""Layer boundaries: what each entry point imports, checked in fresh processes, and the import-linter contracts."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracker.config import Settings
from tracker.domain import FilingDraft, Kind
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("textual", "textual_serve", "twilio", "alembic")

PROBE = textwrap.dedent(
    """
    import json, sys
    argv, report = json.loads(sys.argv[1]), sys.argv[2]
    code = None
    if argv is None:
        import tracker, tracker.filings.service, tracker.domain, tracker.errors, states  # noqa: F401
    else:
        from tracker.cli import main
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    with open(report, "w", encoding="utf-8") as out:
        json.dump({"code": code, "modules": sorted(sys.modules)}, out)
    """
)


def _imports(tmp_path: Path, argv: list[str] | None) -> tuple[object, set[str]]:
    """Run the CLI (or plain imports) in a fresh interpreter; the exit code and the top-level packages it loaded."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), str(report)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert report.exists(), done.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    return data["code"], {name.split(".")[0] for name in data["modules"]}


@pytest.fixture
def filing_url(sqlite_url: str) -> str:
    """ALG-0001 in initial review on an SQLite file."""
    store = open_store(sqlite_url)
    try:
        service = FilingService(store, Settings())
        service.add_organisation("北京星河智算科技有限公司", "91110108MA01A2B3CF", "110108")
        entity = service.add_filing(FilingDraft(organisation="1", title="主体备案", kind=Kind.ENTITY))
        ref = service.add_filing(FilingDraft(organisation="1", title="星河对话算法")).ref
        for filing in (entity.ref, ref):
            with contextlib.suppress(ImportError):  # the rules layer is not installed at this revision
                service.rules.mark_all_provided(filing, actor="test")
        service.advance(entity.ref, "submit")
        service.advance(entity.ref, "approve")
        service.advance(ref, "submit")
    finally:
        store.dispose()
    return sqlite_url


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["advance", "ALG-0001", "pass_review"],
        ["advance", "ALG-0001", "审核通过", "--json"],
        ["list"],
        ["list", "--json"],
        ["show", "ALG-0001"],
        ["history", "ALG-0001", "--json"],
    ],
    ids=" ".join,
)
def test_everyday_commands_import_no_heavy_library(filing_url: str, tmp_path: Path, argv: list[str]) -> None:
    full = argv if argv == ["--help"] else ["--db", filing_url, *argv]
    code, packages = _imports(tmp_path, full)
    assert code == 0
    assert packages.isdisjoint(HEAVY), sorted(packages & set(HEAVY))


def test_the_core_never_imports_textual(tmp_path: Path) -> None:
    code, packages = _imports(tmp_path, None)
    assert code is None
    assert packages.isdisjoint({"textual", "textual_serve", "tui", "twilio"}), packages


def test_the_machines_are_pure(tmp_path: Path) -> None:
    probe = "import json, sys, states; states.to_mermaid(states.Kind.ALGORITHM); print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    packages = set(json.loads(done.stdout))
    assert "states" in packages
    assert packages.isdisjoint(
        {"sqlalchemy", "sqlmodel", "tracker", "tui", "textual", "alembic", "psycopg", "pydantic", "click"}
    ), packages


def test_import_linter_contracts_hold() -> None:
    script = Path(sys.executable).with_name("lint-imports")
    command = (
        [str(script)]
        if script.exists()
        else [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ]
    )
    done = subprocess.run([*command, "--no-cache"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
