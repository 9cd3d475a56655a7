"""`beian list --json` renders on SQLite in the database itself: it must equal `filing_json` item for item."""

from __future__ import annotations

import json

import pytest

from states import Kind, Stage
from tracker.domain import FilingQuery
from tracker.domain.json import filing_json
from tracker.filings.demo import seed_demo
from tracker.filings.service import FilingService

QUERIES = [
    FilingQuery(),
    FilingQuery(stages=(Stage.APPROVED, Stage.RETURNED)),
    FilingQuery(organisation="云帆", sort="title", descending=True),
    FilingQuery(kinds=(Kind.GENAI_FILING, Kind.ENTITY), limit=4, offset=1),
    FilingQuery(text="网信算备", sort="filing_number"),
]


@pytest.mark.parametrize("query", QUERIES, ids=["all", "stages", "org-sorted", "kinds-window", "text"])
def test_exported_items_equal_the_documented_shape(service: FilingService, query: FilingQuery) -> None:
    seed_demo(service)
    exported = [json.loads(item) for batch in service.export_json(query) for item in batch]
    expected = [json.loads(json.dumps(filing_json(f), ensure_ascii=False)) for f in service.filings(query)]
    assert exported == expected
    assert exported  # every query above matches something in the demo


def test_list_overdue_shows_only_filings_with_an_overdue_deadline(
    service: FilingService, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker.cli import main

    seed_demo(service)
    late = FilingService(service.store, service.settings).rules.overdue_filing_ids()  # today, like the CLI
    assert late
    url = service.store.engine.url.render_as_string(hide_password=False)
    with pytest.raises(SystemExit) as done:
        main(["--db", url, "list", "--overdue", "--json"])
    assert done.value.code == 0
    listed = json.loads(capsys.readouterr().out)
    assert {item["id"] for item in listed} == late
