"""`beian materials | dates | due | forecast`, and the rules seen through `events` and `advance`, run in-process."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers.cli import Beian, Result

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
UPSTREAM = "网信算备110108555010101260013号"
BEIJING = timezone(timedelta(hours=8))


def ok(result: Result) -> Result:
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def missing(beian: Beian, ref: str) -> list[str]:
    return list(ok(beian("materials", ref, "--json")).json()["missing"])


def tick(beian: Beian, ref: str, keys: list[str]) -> Result:
    return ok(beian("materials", ref, *[arg for key in keys for arg in ("--done", key)], "--by", "tester"))


def submit_refusals(beian: Beian, ref: str) -> list[str]:
    events = ok(beian("events", ref, "--json")).json()["events"]
    return next(e["refusals"] for e in events if e["event"] in ("submit", "resubmit"))


def today() -> str:
    return datetime.now(BEIJING).date().isoformat()


def approved_org(beian: Beian) -> None:
    ok(beian("org", "add", ORG, "--credit-code", CODE, "--region", "110108"))
    entity = ok(beian("add", "主体备案", "--org", ORG, "--kind", "entity", "--json")).json()["ref"]
    blocking = missing(beian, entity)
    assert "entity.business_licence" in blocking and "entity.icp_proof" not in blocking
    assert "[entity.commitment]" in submit_refusals(beian, entity)[0]
    tick(beian, entity, blocking)
    ok(beian("advance", entity, "submit"))
    ok(beian("advance", entity, "approve"))


def test_a_new_user_takes_the_demo_third_party_filing_to_submission(beian: Beian) -> None:
    ok(beian("demo"))
    ref = "ALG-0021"
    assert ok(beian("show", ref, "--json")).json()["upstream_model"]
    refusals = submit_refusals(beian, ref)
    assert any("主体备案" in r for r in refusals) and any("缺少材料" in r for r in refusals)
    text = ok(beian("materials", ref)).out
    assert "third_party.cooperation_agreement" in text and "block 提交 (submit)" in text
    blocking = missing(beian, ref)
    assert {
        "third_party.upstream_filing_number",
        "third_party.registry_screenshot",
        "algo.self_assessment",
    } <= set(blocking)

    tick(beian, ref, ["《算法安全自评估报告》", "content for public disclosure"])
    rest = missing(beian, ref)
    assert "algo.self_assessment" not in rest and "algo.public_disclosure" not in rest
    done = tick(beian, ref, rest).out
    assert "every mandatory item is provided" in done
    [only] = submit_refusals(beian, ref)
    assert "主体备案" in only  # the organisation's entity filing is still under review

    entity = next(
        f["ref"]
        for f in ok(beian("list", "--kind", "entity", "--json")).json()
        if "天府" in f["organisation"]
    )
    ok(beian("advance", entity, "approve"))
    assert ok(beian("advance", ref, "submit", "--json")).json()["stage"] == "initial_review"

    due = ok(beian("due", "--json")).json()
    [d4] = [d for d in due["deadlines"] if d["ref"] == ref]
    assert (d4["id"], d4["trigger"], d4["working_days_left"], d4["regulator_sla"]) == (
        "D4",
        "submitted",
        30,
        True,
    )
    assert [d["working_days_left"] for d in due["deadlines"]] == sorted(
        d["working_days_left"] for d in due["deadlines"]
    )

    forecast = ok(beian("forecast", ref, "--json")).json()
    assert forecast["target"] == "approved" and forecast["median_date"] <= forecast["p80_date"]
    assert "in this database" in forecast["basis"] and forecast["stages"][0]["stage"] == "initial_review"
    text = ok(beian("forecast", ref)).out
    assert "(median)" in text and "basis: from" in text and "资质初审 (initial review)" in text


def test_a_filing_of_an_approved_entity_from_launch_to_review(beian: Beian) -> None:
    approved_org(beian)
    ref = ok(
        beian(
            "add",
            "星河写作助手",
            "--org",
            ORG,
            "--upstream-model",
            "星河对话大模型",
            "--upstream-filing-number",
            UPSTREAM,
            "--json",
        )
    ).json()["ref"]
    launched = ok(beian("dates", ref, "--launch", today(), "--json")).json()
    [d1] = launched["deadlines"]
    assert (d1["id"], d1["trigger_date"], d1["working_days_left"]) == ("D1", today(), 10)
    blocking = missing(beian, ref)
    [refusal] = submit_refusals(beian, ref)
    assert refusal.startswith("materials missing (缺少材料): ") and all(f"[{k}]" in refusal for k in blocking)
    tick(beian, ref, blocking)
    upstream = next(
        m
        for m in ok(beian("materials", ref, "--json")).json()["items"]
        if m["key"] == "third_party.upstream_filing_number"
    )
    assert upstream["provided"] and upstream["note"] == UPSTREAM and upstream["checked_by"] == "tester"
    ok(beian("advance", ref, "submit"))
    assert [d["id"] for d in ok(beian("dates", ref, "--json")).json()["deadlines"]] == ["D4"]
    listed = ok(beian("due")).out
    assert ref in listed and "网信部门备案决定 (regulator decides)" in listed


def test_generative_ai_tracks_work_end_to_end(beian: Beian) -> None:
    ok(beian("org", "add", ORG, "--credit-code", CODE, "--region", "110108"))
    gai = ok(beian("add", "星河对话大模型", "--org", ORG, "--kind", "genai_filing", "--json")).json()["ref"]
    blocking = missing(beian, gai)
    assert {"genai.filing_form", "genai.keyword_list", "genai.test_account", "common.complaint_entry"} <= set(
        blocking
    )
    assert "genai.filing_form" in beian("advance", gai, "submit").fails_cleanly(1)
    tick(beian, gai, ["附件4 拦截关键词列表", "annex 1: security assessment report"])
    tick(beian, gai, missing(beian, gai))
    for event, stage in (("submit", "provincial_review"), ("pass_review", "national_review")):
        assert ok(beian("advance", gai, event, "--json")).json()["stage"] == stage
    assert "Region-ModelName" in beian(
        "advance", gai, "approve", "--filing-number", "网信算备110108555010101260013号"
    ).fails_cleanly(1)
    approved = ok(
        beian("advance", gai, "approve", "--filing-number", "Beijing-XingHeDuiHua-202608030041", "--json")
    ).json()
    assert (approved["stage"], approved["filing_number"]) == ("approved", "Beijing-XingHeDuiHua-202608030041")

    reg = ok(beian("add", "星河客服（登记）", "--org", ORG, "--kind", "genai_registration", "--json")).json()[
        "ref"
    ]
    assert "reg.upstream_model_proof" in missing(beian, reg)
    tick(beian, reg, missing(beian, reg))
    assert ok(beian("advance", reg, "submit", "--json")).json()["stage"] == "provincial_review"
    assert ok(beian("forecast", reg, "--json")).json()["stages"][0]["stage"] == "provincial_review"
    done = ok(beian("advance", reg, "approve", "--filing-number", "京登记 2026-0007", "--json")).json()
    assert (done["stage"], done["filing_number"]) == ("approved", "京登记2026-0007")


def test_a_return_names_the_items_to_fix(beian: Beian) -> None:
    approved_org(beian)
    ref = ok(beian("add", "星河推荐", "--org", ORG, "--type", "recommendation", "--json")).json()["ref"]
    tick(beian, ref, missing(beian, ref))
    ok(beian("advance", ref, "submit"))
    ok(
        beian(
            "advance",
            ref,
            "return_for_revision",
            "--reason",
            "使用场景描述过于简单",
            "--reopen",
            "algo.detailed_attributes",
            "--reopen",
            "算法策略、算法风险与防范机制",
        )
    )
    items = {m["key"]: m for m in ok(beian("materials", ref, "--json")).json()["items"]}
    for key in ("algo.detailed_attributes", "algo.strategy_and_risks"):
        assert (items[key]["provided"], items[key]["reopened"]) == (False, 1)
    [refusal] = submit_refusals(beian, ref)
    assert "[algo.detailed_attributes]" in refusal and "[algo.strategy_and_risks]" in refusal
    assert "[!]" in ok(beian("materials", ref)).out
    tick(beian, ref, ["algo.detailed_attributes", "algo.strategy_and_risks"])
    assert ok(beian("advance", ref, "resubmit", "--json")).json()["stage"] == "initial_review"


def test_bad_materials_input_is_one_line_and_changes_nothing(beian: Beian) -> None:
    approved_org(beian)
    ref = ok(beian("add", "星河写作助手", "--org", ORG, "--upstream-model", "某大模型", "--json")).json()[
        "ref"
    ]
    before = missing(beian, ref)
    assert "no material" in beian("materials", ref, "--done", "nonsense").fails_cleanly(2)
    assert "exactly one --done" in beian(
        "materials", ref, "--done", "a", "--done", "b", "--file", "x.pdf"
    ).fails_cleanly(2)
    assert "--note" in beian("materials", ref, "--done", "third_party.upstream_filing_number").fails_cleanly(
        2
    )
    assert "21" in beian(
        "materials", ref, "--done", "third_party.upstream_filing_number", "--note", "网信算备12345号"
    ).fails_cleanly(2)
    assert "not on the checklist" in beian("materials", ref, "--done", "genai.filing_form").fails_cleanly(2)
    beian("materials", "ALG-0404").fails_cleanly(3)
    assert missing(beian, ref) == before
    partial = beian("materials", ref, "--done", "algo.self_assessment", "--done", "nonsense")
    partial.fails_cleanly(2)
    assert (
        "ticked algo.self_assessment" in partial.out
    )  # the items before the bad one went through, and say so


def test_dates_record_clear_and_scope_the_deadlines(beian: Beian) -> None:
    approved_org(beian)
    ref = ok(beian("add", "星河检索", "--org", ORG, "--json")).json()["ref"]
    assert ok(beian("dates", ref, "--launch", "2030-06-03", "--json")).json()["launch_date"] == "2030-06-03"
    text = beian("dates", ref)
    assert "2030-06-03" in text.out and "D1 上线后履行备案 (file after service launch)" in text.out
    assert "2030 调休 not yet published" in text.err  # a provisional calendar is never silent
    due = ok(beian("due", "--json")).json()
    assert any("2030" in w for w in due["warnings"])
    assert "2030 调休 not yet published" in ok(beian("due")).err
    assert ok(beian("dates", ref, "--no-public-opinion", "--json")).json()["deadlines"] == []
    ok(beian("dates", ref, "--public-opinion"))
    assert "contradict" in beian("dates", ref, "--launch", "2030-06-03", "--clear", "launch").fails_cleanly(2)
    assert "YYYY-MM-DD" in beian("dates", ref, "--change", "next week").fails_cleanly(2)
    cleared = ok(beian("dates", ref, "--clear", "launch", "--json")).json()
    assert cleared["launch_date"] is None and cleared["deadlines"] == []
    assert "no running deadlines" in ok(beian("due", "--within", "5")).out


@pytest.mark.parametrize("command", ["materials", "dates", "due", "forecast"])
def test_every_rules_command_has_help(beian: Beian, command: str) -> None:
    result = ok(beian(command, "--help"))
    assert result.out.startswith("Usage: ") and "--json" in result.out
