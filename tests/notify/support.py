"""Helpers for SMS tests: a database with a filing, an in-process gateway, and a handle on the Twilio mock."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from tracker.config import Settings
from tracker.notify.sender import Delivery, SendError, SendResult
from tracker.store.engine import Store
from tracker.store.tables import FilingRow, OrganisationRow, TransitionRow

REPO = Path(__file__).resolve().parents[2]
MOCK_SCRIPT = REPO.parent / "shared" / "twilio-oai" / "mock-twilio"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NUMBER = "网信算备110108823483901230031号"
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "tok-DO-NOT-SHOW-4f9c2e"


# -- a database with one organisation and one filing in final review ------------------------------


@dataclass
class World:
    """The store plus the ids of what was inserted."""

    store: Store
    org_id: int
    filing_id: int
    ref: str = "ALG-0001"

    def add_filing(self, ref: str, title: str = "另一个算法", stage: str = "final_review") -> int:
        """Insert another filing of the same organisation."""
        with self.store.unit() as session:
            row = _filing(self.org_id, ref, int(ref.split("-")[1]), title, stage)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def transition(
        self,
        event: str = "approve",
        *,
        filing_id: int | None = None,
        number: str | None = NUMBER,
        reason: str | None = None,
        to_stage: str = "approved",
        at: datetime | None = None,
    ) -> int:
        """Record a transition and enqueue its SMS in one transaction, as the service does; returns rows added."""
        from tracker.notify.outbox import enqueue_for_transition

        when = at or datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        with self.store.unit() as session:
            filing = session.get(FilingRow, filing_id or self.filing_id)
            assert filing is not None
            org = session.get(OrganisationRow, filing.organisation_id)
            assert org is not None
            row = TransitionRow(
                filing_id=filing.id,  # type: ignore[arg-type]
                event=event,
                from_stage=filing.stage,
                to_stage=to_stage,
                effective_at=when,
                recorded_at=when,
                source="test",
                reason=reason,
                filing_number=number if event == "approve" else None,
            )
            session.add(row)
            session.flush()
            return enqueue_for_transition(
                session, filing=filing, organisation_name=org.name, transition=row, now=when
            )


def _filing(org_id: int, ref: str, seq: int, title: str, stage: str) -> FilingRow:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    return FilingRow(
        ref=ref,
        seq=seq,
        kind="algorithm",
        title=title,
        organisation_id=org_id,
        role="provider",
        algorithm_type="generative",
        stage=stage,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
    )


def make_world(url: str) -> World:
    """A migrated database with 北京示例科技有限公司 and its filing ALG-0001 (个性化推荐算法) in final review."""
    from tracker.store.engine import make_engine

    store = Store(make_engine(url, create_file=True))
    if store.schema_revision() is None:
        from tracker.store.schema import upgrade

        upgrade(store)
    with store.unit() as session:
        org = OrganisationRow(
            name="北京示例科技有限公司",
            credit_code="91110108MA00000000",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add(org)
        session.flush()
        assert org.id is not None
        filing = _filing(org.id, "ALG-0001", 1, "个性化推荐算法", "final_review")
        session.add(filing)
        session.flush()
        assert filing.id is not None
        return World(store, org.id, filing.id)


# -- an in-process gateway -----------------------------------------------------------------------


@dataclass
class FakeSender:
    """Records what it sends; `errors` are raised by the next sends, in order; `statuses` answer `fetch`."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[SendError] = field(default_factory=list)
    statuses: dict[str, Delivery] = field(default_factory=dict)
    attempts: int = 0

    def send(self, to: str, body: str) -> SendResult:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        sid = f"SM{len(self.sent) + 1:032x}"
        self.sent.append((sid, to, body))
        return SendResult(sid, "queued")

    def fetch(self, sid: str) -> Delivery:
        return self.statuses.get(sid, Delivery(sid, "sent"))

    def lookup(
        self, to: str, body: str, since: datetime, exclude: frozenset[str] = frozenset()
    ) -> Delivery | None:
        for sid, phone, text in self.sent:
            if phone == to and text == body and sid not in exclude:
                return Delivery(sid, "delivered")
        return None

    def close(self) -> None:
        pass


def retryable(code: int = 20429, status: int = 429) -> SendError:
    """What a 429/5xx looks like once classified."""
    return SendError("Too Many Requests", code=code, http_status=status, retryable=True)


def permanent(code: int = 21211) -> SendError:
    """What a 400 with a Twilio code looks like once classified."""
    return SendError(
        "The 'To' number +15005****0001 is not a valid phone number.",
        code=code,
        http_status=400,
        retryable=False,
    )


# -- the local Twilio mock -----------------------------------------------------------------------


@dataclass
class TwilioMock:
    """A running Prism mock of Twilio's API and its request log."""

    url: str
    log: Path
    pid: int

    def message_posts(self) -> int:
        """How many `POST …/Messages.json` requests the mock has received so far."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return sum(
            1
            for line in text.splitlines()
            if "post /2010-04-01/Accounts/" in line and "Messages.json" in line and "Request received" in line
        )

    def settings(self, **overrides: Any) -> Settings:
        """Settings that point the real SDK at this mock."""
        values: dict[str, Any] = {
            "twilio_account_sid": ACCOUNT,
            "twilio_auth_token": SecretStr(TOKEN),
            "twilio_from": "+15005550006",
            "twilio_api_url": self.url,
            "twilio_timeout": 10.0,
            "sms_backoff_seconds": 1.0,
        }
        values.update(overrides)
        return Settings(**values)

    def env(self) -> dict[str, str]:
        """The same settings as environment variables, for a child process."""
        return {
            "BEIAN_TWILIO_ACCOUNT_SID": ACCOUNT,
            "BEIAN_TWILIO_AUTH_TOKEN": TOKEN,
            "BEIAN_TWILIO_FROM": "+15005550006",
            "BEIAN_TWILIO_API_URL": self.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
