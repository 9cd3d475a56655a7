"""Imported filings and organisations get the pinyin sort keys every other filing has."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.clock import FakeClock
from tests.helpers.exchange import close, exchange_on
from tracker.domain import FilingQuery


def test_imported_filings_and_organisations_sort_by_pinyin(
    sqlite_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    exchange = exchange_on(sqlite_url, clock)
    try:
        rows = [
            ("上海云帆数据服务有限公司", "北京话语音算法"),
            ("北京星河智算科技有限公司", "上海话语音算法"),
        ]
        path = tmp_path / "two.jsonl"
        path.write_text(
            "".join(json.dumps({"organisation": o, "title": t}, ensure_ascii=False) + "\n" for o, t in rows),
            encoding="utf-8",
        )
        exchange.import_file(path)
        by = {f.title: f.ref for f in exchange.filings.filings()}
        beijing_title, shanghai_title = by["北京话语音算法"], by["上海话语音算法"]
        listed = [f.ref for f in exchange.filings.filings(FilingQuery(sort="title"))]
        assert listed == [beijing_title, shanghai_title]  # code points would put 上海 first
        listed = [f.ref for f in exchange.filings.filings(FilingQuery(sort="organisation"))]
        assert listed == [shanghai_title, beijing_title]
        # a spreadsheet that renames a filing re-keys it
        path.write_text(
            json.dumps(
                {"ref": beijing_title, "organisation": rows[0][0], "title": "西安话语音算法"},
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
        exchange.import_file(path)
        assert [f.ref for f in exchange.filings.filings(FilingQuery(sort="title"))] == [
            shanghai_title,
            beijing_title,
        ]
    finally:
        close(exchange)
