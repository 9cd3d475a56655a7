"""The tests stay a package mirroring the source: every folder importable, no folder prefix in file names,
shared helpers imported one way (`tests.helpers`), no `sys.path` tricks."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from tests.helpers.probes import ROOT

TESTS = ROOT / "tests"


def _folders() -> list[Path]:
    return sorted(
        p
        for p in TESTS.rglob("*")
        if p.is_dir() and not p.name.startswith("__") and "__snapshots__" not in p.parts
    )


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__snapshots__" not in p.parts)


def test_every_test_folder_is_a_package() -> None:
    folders = [TESTS, *_folders()]
    assert folders[1:], "no test folders found"
    assert [f.relative_to(ROOT) for f in folders if not (f / "__init__.py").is_file()] == []


def test_file_names_do_not_repeat_their_folder() -> None:
    repeated = [
        p.relative_to(ROOT)
        for p in _modules()
        if p.parent != TESTS and p.name.startswith((f"test_{p.parent.name}_", f"{p.parent.name}_"))
    ]
    assert repeated == []


def test_helpers_are_imported_one_way_and_sys_path_is_left_alone() -> None:
    # a test-folder module imported by its bare name only works through sys.path (pytest's rootdir insertion)
    local = {p.stem for p in _modules() if importlib.util.find_spec(p.stem) is None} | {"conftest"}
    problems: list[str] = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                problems.append(f"{path.relative_to(ROOT)}: relative import")
            for name in names:
                top = name.split(".")[0]
                if top in local or (
                    top == "tests" and not name.startswith("tests.helpers") and name != "tests"
                ):
                    problems.append(f"{path.relative_to(ROOT)}: imports {name}")
            if isinstance(node, ast.Attribute) and node.attr == "path" and ast.unparse(node.value) == "sys":
                problems.append(f"{path.relative_to(ROOT)}: touches sys.path")
    assert problems == []
