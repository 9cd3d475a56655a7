"""Reliability fixtures: a database per test on SQLite and PostgreSQL, the fork server, a seeded RNG, the
scale of a run (CI, local, `BEIAN_RELIABILITY_LONG=1`), and the recorder of figures for the table."""

from __future__ import annotations

import os
import random
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.figures import Recorder, seed
from tests.helpers.olddb import pg_schema_url
from tests.helpers.spawn import Spawner, spawner


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Recorder:
    """The figures recorder of this test."""
    return Recorder(request.node)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """A random generator seeded from the suite's seed and the test's id: the same run every time."""
    return random.Random(seed() ^ zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def child_env() -> dict[str, str]:
    """The environment of `beian` children: the test's isolated settings and data folder."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


@pytest.fixture
def fork(tmp_path: Path) -> Iterator[Spawner]:
    """A fork server with the CLI imported (see `tests.helpers.spawn`)."""
    out = tmp_path / "children"
    out.mkdir()
    with spawner(out) as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database at head: an SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    from tracker.factory import open_store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'beian.db'}"
        open_store(url, create=True).dispose()
        yield url
        return
    request.getfixturevalue("pg_url")  # skips locally (fails in CI) without PostgreSQL
    with pg_schema_url("beian_rel") as url:
        open_store(url, create=True).dispose()
        yield url
