"""`beian digest` to stdout, a file and e-mail (aiosmtpd on loopback), and `beian notify schedule`."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import Beian
from tests.helpers.filings import NUMBER, algorithm, approved_org, at, ok
from tests.helpers.smtp import PASSWORD, USER, smtp_server
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService


@pytest.fixture
def portfolio(db_url: str) -> Iterator[str]:
    """ALG-0001 approved on 2026-11-25 and ALG-0002 returned on 2026-11-24 (recorded with `--at`)."""
    store = open_store(db_url)
    service = FilingService(store, Settings(user="pm"))
    approved_org(service)
    first, second = algorithm(service, "写作助手"), algorithm(service, "推荐算法")
    service.advance(first, "submit", at=at("2026-11-10"))
    for day in ("2026-11-12", "2026-11-16"):
        service.advance(first, "pass_review", at=at(day))
    service.advance(first, "approve", filing_number=NUMBER, at=at("2026-11-25"))
    service.advance(second, "submit", at=at("2026-11-16"))
    service.advance(second, "return_for_revision", reason="材料不全", at=at("2026-11-24"))
    store.dispose()
    yield first


WEEK = ("--since", "2026-11-23", "--until", "2026-11-30")


def test_digest_to_stdout_and_to_an_owner_only_file(beian: Beian, portfolio: str, tmp_path: Path) -> None:
    text = ok(beian("digest", *WEEK)).out
    assert "Approved (已备案) (1)" in text and NUMBER in text and "材料不全" in text
    md = ok(beian("digest", *WEEK, "--format", "md")).out
    assert md.startswith("## Digest for all filings")
    data = ok(beian("digest", *WEEK, "--json")).json()
    assert [e["detail"] for e in data["approved"]] == [NUMBER]
    assert [e["detail"] for e in data["returned"]] == ["材料不全"]
    target = tmp_path / "digest.html"
    assert ok(beian("digest", *WEEK, "--format", "html", "--out", str(target))).out == ""
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    beian("digest", "--since", "2026-13-01").fails_cleanly(2)
    beian("digest", "--since", "2026-11-30", "--until", "2026-11-23").fails_cleanly(2)


def test_digest_by_email_is_sent_once(beian: Beian, portfolio: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server() as (box, port):
        _smtp_env(monkeypatch, port)
        out = ok(beian("digest", *WEEK, "--email", "pm@example.com", "--email", "cto@example.com")).out
        assert "e-mail to pm@example.com: sent" in out and "digests: 2 sent" in out
        assert PASSWORD not in out
        again = ok(beian("digest", *WEEK, "--email", "pm@example.com", "--json")).json()
        [row] = again["emails"]
        assert row["status"] == "sent" and row["queued_now"] is False
        assert len(box.received) == 2

        monkeypatch.setenv("BEIAN_SMTP_PASSWORD", "wrong")
        refused = beian("digest", *WEEK, "--email", "ops@example.com")
        assert "refused the login" in refused.fails_cleanly(6)
        assert "wrong" not in refused.out + refused.err and "ops@example.com: pending" in refused.out
        assert len(box.received) == 2


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "none",
        "SMTP_USERNAME": USER,
        "SMTP_PASSWORD": PASSWORD,
        "SMTP_FROM": "beian@example.com",
    }.items():
        monkeypatch.setenv(f"BEIAN_{name}", value)


def test_schedules_from_the_cli(beian: Beian, portfolio: str) -> None:
    added = ok(beian("notify", "schedule", "add", "pm@example.com", "--every", "weekly", "--json")).json()
    assert added["channel"] == "email" and added["every"] == "weekly"
    ok(beian("notify", "schedule", "add", "13800138000", "--every", "daily"))
    beian("notify", "schedule", "add", "pm@example.com", "--every", "daily").fails_cleanly(2)
    listed = ok(beian("notify", "schedule", "list", "--json")).json()
    assert [s["address"] for s in listed] == ["pm@example.com", "+8613800138000"]
    ok(beian("notify", "schedule", "remove", str(added["id"])))
    beian("notify", "schedule", "remove", "99").fails_cleanly(3)
