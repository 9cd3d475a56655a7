"""Dashboard fixtures: a real service on a throwaway SQLite file, with the fixed clock of `tests.helpers.tui`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.tui import fixed_clock, portfolio
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService


@pytest.fixture
def make_service(sqlite_url: str) -> Iterator[Callable[..., FilingService]]:
    """Services on the test database: call it again for a second one ("another terminal")."""
    stores = []

    def make(cls: type[FilingService] = FilingService, **settings: Any) -> FilingService:
        store = open_store(sqlite_url)
        stores.append(store)
        return cls(store, Settings(**settings), clock=fixed_clock)

    yield make
    for store in stores:
        store.dispose()


@pytest.fixture
def service(make_service: Callable[..., FilingService]) -> FilingService:
    """The dashboard's service on an empty database."""
    return make_service()


@pytest.fixture
def refs(service: FilingService) -> dict[str, str]:
    """The portfolio in the test database."""
    return portfolio(service)
