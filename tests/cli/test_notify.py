"""`beian notify …` in-process: recipients, preview, list, send, retry, resolve, status; and what stays lazy."""

from __future__ import annotations

import json
import os

import pytest

from tests.helpers.cli import run_beian as beian
from tests.helpers.clock import FakeClock
from tests.helpers.probes import beian_in_fresh_process
from tests.helpers.sms import FakeSender, World, permanent
from tests.helpers.twilio import TOKEN, TwilioMock
from tracker.notify.service import NotifyService


@pytest.fixture
def db(world: World, sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def with_fake(monkeypatch: pytest.MonkeyPatch, fake: FakeSender, clock: FakeClock) -> FakeSender:
    """Make the CLI deliver through the in-process gateway."""
    import tracker.cli.commands.notify as cli_notify

    monkeypatch.setattr(
        cli_notify,
        "_service",
        lambda obj: NotifyService(obj.open_store(), obj.settings, clock=clock, sender=fake),
    )
    return fake


def test_recipients_add_list_remove(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = beian(
        capsys, "--db", db, "notify", "recipients", "add", "138 0013 8000", "--org", "北京示例科技有限公司"
    )
    assert code == 0 and "+8613800138000" in out and "批准备案" in out
    code, out, _ = beian(
        capsys,
        "--db",
        db,
        "notify",
        "recipients",
        "add",
        "+14155552671",
        "--filing",
        "ALG-0001",
        "--events",
        "退回修改,reject",
        "--language",
        "en",
        "--json",
    )
    added = json.loads(out)
    assert code == 0 and added["events"] == ["return_for_revision", "reject"] and added["scope"] == "ALG-0001"
    code, out, _ = beian(capsys, "--db", db, "notify", "recipients", "list", "--json")
    assert [r["phone"] for r in json.loads(out)] == ["+8613800138000", "+14155552671"]
    code, out, _ = beian(capsys, "--db", db, "notify", "recipients", "remove", str(added["id"]))
    assert code == 0
    code, out, _ = beian(capsys, "--db", db, "notify", "recipients", "list")
    assert "+14155552671" not in out and "北京示例科技有限公司" in out


def test_bad_input_fails_in_one_line(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, _, err = beian(
        capsys, "--db", db, "notify", "recipients", "add", "12345", "--org", "北京示例科技有限公司"
    )
    assert code == 2 and err.count("\n") == 1 and "E.164" in err
    code, _, err = beian(
        capsys, "--db", db, "notify", "recipients", "add", "13800138000", "--filing", "ALG-0404"
    )
    assert code == 3
    code, _, err = beian(capsys, "--db", db, "notify", "retry", "99")
    assert code == 3


def test_preview_shows_the_segment_count(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = beian(capsys, "--db", db, "notify", "preview", "ALG-0001")
    assert code == 0 and "【算法备案】" in out and "1 segment(s), UCS-2" in out
    code, out, _ = beian(
        capsys, "--db", db, "notify", "preview", "ALG-0001", "--event", "reject", "--language", "en", "--json"
    )
    data = json.loads(out)
    assert data["event"] == "reject" and data["segments"] >= 1 and data["encoding"] in ("GSM-7", "UCS-2")


def test_send_list_retry_through_the_cli(
    capsys: pytest.CaptureFixture[str], db: str, world: World, with_fake: FakeSender
) -> None:
    beian(capsys, "--db", db, "notify", "recipients", "add", "13800138000", "--org", "北京示例科技有限公司")
    beian(capsys, "--db", db, "notify", "recipients", "add", "13900139000", "--org", "北京示例科技有限公司")
    world.transition("approve")
    code, out, _ = beian(capsys, "--db", db, "notify", "send", "--dry-run")
    assert code == 0 and "dry run: 2 message(s)" in out and with_fake.attempts == 0
    with_fake.errors = [permanent(21211)]
    code, out, err = beian(capsys, "--db", db, "notify", "send")
    assert code == 6 and "1 sent" in out and "1 message(s) failed" in err
    code, out, _ = beian(capsys, "--db", db, "notify", "list", "--status", "failed", "--json")
    [failed] = json.loads(out)
    assert failed["error_code"] == 21211 and failed["status"] == "failed"
    code, out, _ = beian(capsys, "--db", db, "notify", "list")
    assert "failed 21211" in out and "sent · queued" in out
    code, out, _ = beian(capsys, "--db", db, "notify", "retry", str(failed["id"]))
    assert code == 0 and "queued again" in out
    code, out, _ = beian(capsys, "--db", db, "notify", "send", "--json")
    assert code == 0 and json.loads(out)["sent"] == 1


def test_unconfigured_send_is_not_an_error(capsys: pytest.CaptureFixture[str], db: str, world: World) -> None:
    beian(capsys, "--db", db, "notify", "recipients", "add", "13800138000", "--org", "北京示例科技有限公司")
    world.transition("approve")
    code, out, _ = beian(capsys, "--db", db, "notify", "send")
    assert code == 0 and "SMS not configured: 1 message(s) wait" in out
    code, out, _ = beian(capsys, "--db", db, "notify", "list")
    assert "SMS not configured" in out
    code, out, err = beian(capsys, "--db", db, "notify", "run")
    assert code == 6 and "SMS not configured" in err


def test_every_notify_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["notify"],
        ["notify", "recipients"],
        ["notify", "recipients", "add"],
        ["notify", "recipients", "list"],
        ["notify", "recipients", "remove"],
        ["notify", "preview"],
        ["notify", "list"],
        ["notify", "send"],
        ["notify", "run"],
        ["notify", "retry"],
        ["notify", "resolve"],
        ["notify", "status"],
    ):
        code, out, _ = beian(capsys, *args, "--help")
        assert code == 0 and "Usage:" in out, args


@pytest.mark.twilio
def test_send_and_status_with_the_real_sdk(
    capsys: pytest.CaptureFixture[str],
    db: str,
    world: World,
    twilio_mock: TwilioMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in twilio_mock.env().items():
        monkeypatch.setenv(key, value)
    beian(capsys, "--db", db, "notify", "recipients", "add", "13800138000", "--org", "北京示例科技有限公司")
    world.transition("approve")
    code, out, err = beian(capsys, "--db", db, "notify", "send")
    assert code == 0 and "1 sent" in out
    code, out, err = beian(capsys, "--db", db, "notify", "status", "--json")
    assert code == 0 and json.loads(out)["statuses"] == {"sent": 1}
    code, out, _ = beian(capsys, "--db", db, "notify", "list", "--json")
    assert json.loads(out)[0]["sid"] == "SM" + "a" * 32
    assert TOKEN not in out + err


@pytest.mark.parametrize(
    "args",
    [
        ["notify", "recipients", "list"],
        ["notify", "list", "--json"],
        ["notify", "preview", "ALG-0001"],
        ["notify", "send"],  # not configured: nothing to send with
        ["notify", "send", "--dry-run"],
        ["notify", "status"],
    ],
)
def test_commands_that_send_nothing_do_not_import_twilio(db: str, args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_TWILIO")}
    probe = beian_in_fresh_process(["--db", db, *args], env=env)
    assert probe.code in (0, None), probe.code
    assert not {"twilio", "requests"} & probe.modules
