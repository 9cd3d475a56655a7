"""Sorting that means something: pinyin for Chinese text, process order for stages, empty values last, and the
deadline filters and sort that `beian list` and the dashboard share."""

from __future__ import annotations

from datetime import date

from states import Kind, Stage
from tests.helpers.tui import tick_materials
from tracker.domain import FilingDraft, FilingQuery
from tracker.filings.collation import sort_key
from tracker.filings.service import FilingService

BEIJING = ("北京星河智算科技有限公司", "91110108MA01A2B3CF")
SHANGHAI = ("上海云帆数据服务有限公司", "91310110MA1G2H3J4D")


def refs(service: FilingService, query: FilingQuery) -> list[str]:
    """References in the order the service lists them."""
    return [f.ref for f in service.filings(query)]


def test_sort_keys_follow_pinyin_not_code_points() -> None:
    assert "上海" < "北京"  # code points: the order readers complained about
    assert sort_key("北京") < sort_key("上海")
    assert sorted(["重庆", "上海", "阿里", "北京"], key=sort_key) == ["阿里", "北京", "重庆", "上海"]
    assert sort_key("重庆银行") == "chong2 qing4 yin2 hang2"  # a phrase reading, not 重 zhòng
    assert sort_key("AI 助手") == "ai zhu4 shou3"
    assert sort_key(None) is None


def test_organisations_and_titles_sort_by_pinyin(service: FilingService) -> None:
    service.add_organisation(*SHANGHAI)
    service.add_organisation(*BEIJING)
    shanghai = service.add_filing(FilingDraft(organisation=SHANGHAI[0], title="北京话语音算法")).ref
    beijing = service.add_filing(FilingDraft(organisation=BEIJING[0], title="上海话语音算法")).ref
    assert refs(service, FilingQuery(sort="organisation")) == [beijing, shanghai]
    assert refs(service, FilingQuery(sort="organisation", descending=True)) == [shanghai, beijing]
    assert refs(service, FilingQuery(sort="title")) == [shanghai, beijing]
    # an edited title gets a new key
    service.update_filing(shanghai, title="西安话语音算法")
    assert refs(service, FilingQuery(sort="title")) == [beijing, shanghai]


def test_stages_sort_in_process_order_and_empty_numbers_go_last(service: FilingService) -> None:
    service.add_organisation(*BEIJING)
    entity = service.add_filing(FilingDraft(organisation=BEIJING[0], title="主体", kind=Kind.ENTITY)).ref
    tick_materials(service, entity)
    service.advance(entity, "submit")
    service.advance(entity, "approve")
    draft = service.add_filing(FilingDraft(organisation=BEIJING[0], title="草稿算法")).ref
    review = service.add_filing(FilingDraft(organisation=BEIJING[0], title="初审算法")).ref
    returned = service.add_filing(FilingDraft(organisation=BEIJING[0], title="退回算法")).ref
    approved = service.add_filing(FilingDraft(organisation=BEIJING[0], title="通过算法")).ref
    for ref in (review, returned, approved):
        tick_materials(service, ref)
        service.advance(ref, "submit")
    service.advance(returned, "return_for_revision", reason="材料不全")
    for step in ("pass_review", "pass_review"):
        service.advance(approved, step)
    service.advance(approved, "approve", filing_number="网信算备110108555010101260013号")
    # alphabetical English keys would give approved, draft, initial_review, returned
    by_stage = refs(service, FilingQuery(sort="stage", kinds=(Kind.ALGORITHM,)))
    assert by_stage == [draft, review, returned, approved]
    assert refs(service, FilingQuery(sort="stage", descending=True, kinds=(Kind.ALGORITHM,))) == [
        approved,
        returned,
        review,
        draft,
    ]
    numbered = service.filing(approved).filing_number
    assert numbered
    for descending in (False, True):
        listed = service.filings(FilingQuery(sort="filing_number", descending=descending))
        numbers = [f.filing_number for f in listed]
        assert numbers[0] is not None and set(numbers[2:]) == {None}, numbers


def _drafts_with_deadlines(service: FilingService) -> dict[str, str]:
    """Drafts launched on different days (D1: file within 10 working days of launch), and one never launched."""
    service.add_organisation(*BEIJING)
    made = {}
    for name, launch in (
        ("late", date(2026, 10, 9)),
        ("soon", date(2026, 10, 30)),
        ("later", date(2026, 11, 2)),
        ("none", None),
    ):
        made[name] = service.add_filing(
            FilingDraft(organisation=BEIJING[0], title=f"{name} 算法", launch_date=launch)
        ).ref
    return made


def test_deadline_sort_puts_the_most_urgent_first_and_filings_without_one_last(
    service: FilingService,
) -> None:
    d = _drafts_with_deadlines(service)
    assert refs(service, FilingQuery(sort="deadline")) == [d["late"], d["soon"], d["later"], d["none"]]
    assert refs(service, FilingQuery(sort="deadline", descending=True)) == [
        d["later"],
        d["soon"],
        d["late"],
        d["none"],
    ]
    # windows of a deadline sort are slices of the same order
    assert refs(service, FilingQuery(sort="deadline", offset=1, limit=2)) == [d["soon"], d["later"]]


def test_deadline_filters_count_and_window_like_the_others(service: FilingService) -> None:
    d = _drafts_with_deadlines(service)
    overdue = FilingQuery(overdue=True)
    assert refs(service, overdue) == [d["late"]]
    assert service.count(overdue) == 1
    assert service.stage_counts(overdue) == {Stage.DRAFT: 1}
    left = {f.ref: v.working_days_left for f, v in service.rules.due()}
    within = left[d["soon"]]
    assert left[d["late"]] < 0 < within < left[d["later"]]
    assert refs(service, FilingQuery(due_within=within)) == [d["late"], d["soon"]]
    assert refs(service, FilingQuery(due_within=within, sort="title", descending=True)) == [
        d["soon"],
        d["late"],
    ]
    assert refs(service, FilingQuery(waiting_on="us")) == list(d.values())
    assert refs(service, FilingQuery(waiting_on="regulator")) == []
    assert service.count(FilingQuery(waiting_on="regulator")) == 0
