"""Digest e-mails over TLS against a real SMTP server on loopback (aiosmtpd) whose certificate a CA made for the
test signed: STARTTLS and TLS from the start, trusted through `smtp_ca_file`, refused without it; a refused
login over TLS (one line, exit 6, the password nowhere); and the digest outbox from the command line: rows left
`unknown` or `failed` are listed, retried and resolved by hand, and a dropped connection never sends twice."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import Result, run_beian
from tests.helpers.smtp import PASSWORD, USER, Mailbox, server_context, smtp_server

WEEK = ("--since", "2026-11-23", "--until", "2026-11-30")


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Mailbox, int, Path]]:
    """A TLS SMTP server (STARTTLS, or TLS from the start), its mailbox, port and the CA file to trust."""
    context, ca = server_context(tmp_path)
    with smtp_server(request.param, context) as (box, port):
        yield request.param, box, port, ca


@pytest.fixture
def plain_server() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


def smtp_env(monkeypatch: pytest.MonkeyPatch, port: int, tls: str, password: str = PASSWORD) -> None:
    """The `BEIAN_SMTP_*` settings of a `beian` run."""
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "TLS": tls,
        "USERNAME": USER,
        "PASSWORD": password,
        "FROM": "beian@example.com",
        "BACKOFF_SECONDS": "0",
    }.items():
        monkeypatch.setenv(
            f"BEIAN_SMTP_{name}" if name != "BACKOFF_SECONDS" else "BEIAN_SMS_BACKOFF_SECONDS", value
        )


def digest(capsys: pytest.CaptureFixture[str], url: str, *to: str) -> Result:
    emails = [arg for address in to for arg in ("--email", address)]
    return run_beian(capsys, "--db", url, "digest", *WEEK, *emails)


def no_password(*results: Result) -> None:
    text = "".join(r.out + r.err for r in results)
    assert PASSWORD not in text and base64.b64encode(PASSWORD.encode()).decode() not in text


def test_a_digest_goes_out_over_tls_trusting_the_configured_ca(
    tls_server: tuple[str, Mailbox, int, Path],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls, box, port, ca = tls_server
    smtp_env(monkeypatch, port, tls)
    monkeypatch.setenv("BEIAN_SMTP_CA_FILE", str(ca))
    result = digest(capsys, sqlite_url, "pm@example.com")
    assert result.code == 0 and "e-mail to pm@example.com: sent" in result.out, result
    assert [r[1] for r in box.received] == [["pm@example.com"]] and box.tls == [True]
    assert box.logins == ["ok"]
    no_password(result)


def test_an_untrusted_certificate_stops_in_one_line_and_the_digest_waits(
    tls_server: tuple[str, Mailbox, int, Path],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls, box, port, ca = tls_server
    smtp_env(monkeypatch, port, tls)  # no smtp_ca_file: the system's CAs do not know the test's CA
    result = digest(capsys, sqlite_url, "pm@example.com")
    line = result.fails_cleanly(6)
    assert "certificate is not trusted" in line and "smtp_ca_file" in line, line
    assert box.received == [] and box.logins == []  # nothing said to a server we cannot trust
    listed = run_beian(capsys, "--db", sqlite_url, "notify", "list", "--email", "--json").json()
    assert [d["status"] for d in listed] == ["pending"]

    monkeypatch.setenv("BEIAN_SMTP_CA_FILE", str(ca))  # trusted now: the next pass sends it, once
    again = digest(capsys, sqlite_url, "pm@example.com")
    assert again.code == 0 and len(box.received) == 1, again


def test_a_missing_ca_file_is_named_in_one_line(
    plain_server: tuple[Mailbox, int],
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, port = plain_server
    smtp_env(monkeypatch, port, "starttls")
    monkeypatch.setenv("BEIAN_SMTP_CA_FILE", str(tmp_path / "nowhere.pem"))
    line = digest(capsys, sqlite_url, "pm@example.com").fails_cleanly(6)
    assert "smtp_ca_file" in line and "nowhere.pem" in line, line


def test_a_refused_login_over_tls_fails_in_one_line_without_the_password(
    tls_server: tuple[str, Mailbox, int, Path],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls, box, port, ca = tls_server
    wrong = "wrong-" + PASSWORD
    smtp_env(monkeypatch, port, tls, password=wrong)
    monkeypatch.setenv("BEIAN_SMTP_CA_FILE", str(ca))
    result = digest(capsys, sqlite_url, "pm@example.com")
    line = result.fails_cleanly(6)
    assert "refused the login" in line and "535" in line, line
    assert wrong not in result.out + result.err
    assert base64.b64encode(wrong.encode()).decode() not in result.out + result.err
    assert box.received == [] and "refused" in box.logins
    listed = run_beian(capsys, "--db", sqlite_url, "notify", "list", "--email")
    assert "D1" in listed.out and "pending" in listed.out and wrong not in listed.out


def test_a_dropped_connection_after_sending_is_never_resent_and_is_resolved_by_hand(
    plain_server: tuple[Mailbox, int],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = plain_server
    smtp_env(monkeypatch, port, "none")
    box.drop_after_data = 1
    first = digest(capsys, sqlite_url, "pm@example.com")
    assert first.code == 0 and "e-mail to pm@example.com: unknown" in first.out, first
    assert len(box.received) == 1  # the server has it; the client cannot know

    # asking again, or running the dispatcher, never sends it a second time
    again = digest(capsys, sqlite_url, "pm@example.com")
    assert "already unknown" in again.out and len(box.received) == 1, again
    listed = run_beian(
        capsys, "--db", sqlite_url, "notify", "list", "--email", "--status", "unknown", "--json"
    )
    [row] = listed.json()
    assert row["id"] == 1 and "after the message was sent" in row["error_message"]

    # a retry without --force is refused (it may have arrived); resolve records that it did
    line = run_beian(capsys, "--db", sqlite_url, "notify", "retry", "D1").fails_cleanly(2)
    assert "may already have arrived" in line, line
    assert (
        run_beian(capsys, "--db", sqlite_url, "notify", "resolve", "D1", "--sid", "SM" + "0" * 32).code == 2
    )
    done = run_beian(capsys, "--db", sqlite_url, "notify", "resolve", "D1")
    assert done.code == 0 and "D1 is recorded as sent" in done.out, done
    assert run_beian(capsys, "--db", sqlite_url, "notify", "resolve", "D1").fails_cleanly(2)
    sent = run_beian(capsys, "--db", sqlite_url, "notify", "list", "--email", "--status", "sent", "--json")
    assert [d["status"] for d in sent.json()] == ["sent"] and len(box.received) == 1


def test_a_failed_digest_is_retried_by_hand_and_sent_once(
    plain_server: tuple[Mailbox, int],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = plain_server
    smtp_env(monkeypatch, port, "none")
    box.refuse_rcpt = 1  # refused for good (550): failed, not retried by itself
    first = digest(capsys, sqlite_url, "pm@example.com")
    assert first.fails_cleanly(6) and box.received == []
    [row] = run_beian(capsys, "--db", sqlite_url, "notify", "list", "--email", "--json").json()
    assert row["status"] == "failed" and "550" in row["error_message"]

    retried = run_beian(capsys, "--db", sqlite_url, "notify", "retry", "D1", "--json")
    assert retried.code == 0 and retried.json()["status"] == "pending", retried
    # the same command sends a queued digest once (the retry kept its Message-ID)
    again = digest(capsys, sqlite_url, "pm@example.com")
    assert "e-mail to pm@example.com: already sent" in again.out, again
    assert len(box.received) == 1
    assert run_beian(capsys, "--db", sqlite_url, "notify", "retry", "D1").fails_cleanly(2)


def test_digest_ids_are_checked(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "no digest e-mail D7" in run_beian(
        capsys, "--db", sqlite_url, "notify", "retry", "D7"
    ).fails_cleanly(3)
    assert run_beian(capsys, "--db", sqlite_url, "notify", "resolve", "Dx").fails_cleanly(2)
    assert (
        run_beian(capsys, "--db", sqlite_url, "notify", "list", "--email").out.strip() == "no digest e-mails"
    )
