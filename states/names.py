"""Names of kinds, stages, events, roles and algorithm types, with bilingual labels and forgiving parsers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Literal, TypeVar, cast

Lang = Literal["zh", "en", "both"]


class Kind(StrEnum):
    """The kind of filing; each kind has its own machine."""

    ALGORITHM = "algorithm"
    ENTITY = "entity"
    GENAI_FILING = "genai_filing"
    GENAI_REGISTRATION = "genai_registration"


class Stage(StrEnum):
    """Every stage of every machine."""

    DRAFT = "draft"
    INITIAL_REVIEW = "initial_review"
    SECOND_REVIEW = "second_review"
    OFFLINE_CHECK = "offline_check"
    FINAL_REVIEW = "final_review"
    UNDER_REVIEW = "under_review"
    PROVINCIAL_REVIEW = "provincial_review"
    NATIONAL_REVIEW = "national_review"
    RETURNED = "returned"
    APPROVED = "approved"
    CHANGE_REVIEW = "change_review"
    CANCELLATION_REVIEW = "cancellation_review"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    REVOKED = "revoked"


class Event(StrEnum):
    """Every event of every machine."""

    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    PASS_REVIEW = "pass_review"
    START_OFFLINE_CHECK = "start_offline_check"
    APPROVE = "approve"
    RETURN_FOR_REVISION = "return_for_revision"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    REQUEST_CHANGE = "request_change"
    APPROVE_CHANGE = "approve_change"
    WITHDRAW_CHANGE = "withdraw_change"
    REQUEST_CANCELLATION = "request_cancellation"
    CONFIRM_CANCELLATION = "confirm_cancellation"
    REVOKE = "revoke"
    CANCEL_BY_REGULATOR = "cancel_by_regulator"


class Role(StrEnum):
    """The filer's role for an algorithm filing."""

    PROVIDER = "provider"
    TECH_SUPPORTER = "tech_supporter"


_TYPE_CODES = {
    "generative": "01",
    "recommendation": "02",
    "ranking": "03",
    "retrieval": "04",
    "scheduling": "05",
}


class AlgorithmType(StrEnum):
    """Algorithm type, numbered in the order of Art. 2 of the recommendation rules."""

    GENERATIVE = "generative"
    RECOMMENDATION = "recommendation"
    RANKING = "ranking"
    RETRIEVAL = "retrieval"
    SCHEDULING = "scheduling"

    @property
    def code(self) -> str:
        """The two type digits used at positions 14-15 of an algorithm filing number."""
        return _TYPE_CODES[self.value]

    @classmethod
    def from_code(cls, code: str) -> AlgorithmType:
        """The type for a code such as "01"; raises UnknownName for anything else."""
        for member in cls:
            if member.code == code.strip().zfill(2):
                return member
        raise UnknownName(f"unknown algorithm type code {code!r}; valid codes: 01-05")


Named = Kind | Stage | Event | Role | AlgorithmType
N = TypeVar("N", Kind, Stage, Event, Role, AlgorithmType)

_ZH: dict[Named, str] = {
    Kind.ALGORITHM: "算法备案",
    Kind.ENTITY: "主体备案",
    Kind.GENAI_FILING: "大模型上线备案",
    Kind.GENAI_REGISTRATION: "大模型登记",
    Stage.DRAFT: "草稿",
    Stage.INITIAL_REVIEW: "资质初审",
    Stage.SECOND_REVIEW: "线上二审",
    Stage.OFFLINE_CHECK: "线下核查",
    Stage.FINAL_REVIEW: "线上终审",
    Stage.UNDER_REVIEW: "审核中",
    Stage.PROVINCIAL_REVIEW: "属地审核",
    Stage.NATIONAL_REVIEW: "国家复核",
    Stage.RETURNED: "退回修改",
    Stage.APPROVED: "已备案",
    Stage.CHANGE_REVIEW: "变更审核",
    Stage.CANCELLATION_REVIEW: "注销审核",
    Stage.REJECTED: "不予备案",
    Stage.WITHDRAWN: "已撤回",
    Stage.CANCELLED: "已注销",
    Stage.REVOKED: "已撤销",
    Event.SUBMIT: "提交",
    Event.WITHDRAW: "撤回",
    Event.PASS_REVIEW: "审核通过",
    Event.START_OFFLINE_CHECK: "启动线下核查",
    Event.APPROVE: "批准备案",
    Event.RETURN_FOR_REVISION: "退回修改",
    Event.REJECT: "不予备案",
    Event.RESUBMIT: "重新提交",
    Event.REQUEST_CHANGE: "申请变更",
    Event.APPROVE_CHANGE: "变更通过",
    Event.WITHDRAW_CHANGE: "撤回变更",
    Event.REQUEST_CANCELLATION: "申请注销",
    Event.CONFIRM_CANCELLATION: "确认注销",
    Event.REVOKE: "撤销备案",
    Event.CANCEL_BY_REGULATOR: "监管注销",
    Role.PROVIDER: "服务提供者",
    Role.TECH_SUPPORTER: "服务技术支持者",
    AlgorithmType.GENERATIVE: "生成合成类",
    AlgorithmType.RECOMMENDATION: "个性化推送类",
    AlgorithmType.RANKING: "排序精选类",
    AlgorithmType.RETRIEVAL: "检索过滤类",
    AlgorithmType.SCHEDULING: "调度决策类",
}

# An entity filing is "passed", not "filed": it carries no number of its own.
_ZH_BY_KIND: dict[tuple[Kind, Named], str] = {
    (Kind.ENTITY, Stage.APPROVED): "已通过",
    (Kind.ENTITY, Event.APPROVE): "批准",
}

# Extra spellings accepted by the parsers only (never displayed).
_ALIASES: dict[Named, tuple[str, ...]] = {
    Kind.ALGORITHM: ("algorithm filing", "算法"),
    Kind.ENTITY: ("entity filing", "主体"),
    Kind.GENAI_FILING: ("大模型备案", "生成式人工智能备案", "上线备案"),
    Kind.GENAI_REGISTRATION: ("登记", "上线登记", "生成式人工智能登记"),
    Stage.DRAFT: ("填报中",),
    Stage.CANCELLATION_REVIEW: ("注销申请",),
    Role.PROVIDER: ("提供者", "service provider"),
    Role.TECH_SUPPORTER: ("技术支持者", "technical supporter", "tech support"),
    AlgorithmType.GENERATIVE: ("深度合成", "deep synthesis"),
}


class UnknownName(ValueError):
    """A name that no parser spelling matches; the message suggests close spellings."""


def zh(value: Named, kind: Kind | None = None) -> str:
    """The Chinese label of a name (kind-specific where the wording differs)."""
    if kind is not None:
        special = _ZH_BY_KIND.get((kind, value))
        if special is not None:
            return special
    return _ZH[value]


def label(value: Named, lang: Lang = "both", kind: Kind | None = None) -> str:
    """Display label: "资质初审 (initial review)" for both, or just the Chinese or English words."""
    english = value.value.replace("_", " ")
    if lang == "en":
        return english
    chinese = zh(value, kind)
    return chinese if lang == "zh" else f"{chinese} ({english})"


def _norm(text: str) -> str:
    return re.sub(r"[\s\-_]+", "_", text.strip().lower()).strip("_")


_SPELLINGS: dict[type, dict[str, Named]] = {}


def _spellings(enum: type[StrEnum]) -> dict[str, Named]:
    cached = _SPELLINGS.get(enum)
    if cached is not None:
        return cached
    table: dict[str, Named] = {}
    for member in cast("Iterable[Named]", enum):
        names: list[str] = [member.value, *_ALIASES.get(member, ())]
        for kind in (None, *Kind):
            names += [zh(member, kind), label(member, "both", kind)]
        if isinstance(member, AlgorithmType):
            names += [member.code, member.code.lstrip("0"), _ZH[member].removesuffix("类")]
        for name in names:
            table.setdefault(_norm(name), member)
    _SPELLINGS[enum] = table
    return table


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _show(member: Named, chinese_first: bool) -> str:
    return f"{_ZH[member]} ({member.value})" if chinese_first else f"{member.value} ({_ZH[member]})"


def _parse(enum: type[N], what: str, text: str) -> N:
    table = _spellings(enum)
    found = table.get(_norm(text))
    if isinstance(found, enum):
        return found
    import difflib  # only on the error path

    chinese = _has_cjk(text)
    close = difflib.get_close_matches(_norm(text), list(table), n=8, cutoff=0.55)
    members = list(dict.fromkeys(table[c] for c in close))[:3]
    if members:
        shown = [_show(m, chinese) for m in members]
        choice = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        raise UnknownName(f"unknown {what} {text!r}: did you mean {choice}?")
    raise UnknownName(f"unknown {what} {text!r}; valid choices: {_choices(enum, chinese)}")


def _choices(members: Iterable[Named], chinese_first: bool) -> str:
    return ", ".join(_show(m, chinese_first) for m in members)


def parse_kind(text: str) -> Kind:
    """Parse a kind from its value, English words or Chinese label."""
    return _parse(Kind, "kind", text)


def parse_stage(text: str) -> Stage:
    """Parse a stage from its value, English words or any Chinese label (已通过 and 已备案 both mean approved)."""
    return _parse(Stage, "stage", text)


def parse_event(text: str) -> Event:
    """Parse an event from its value, English words or Chinese label."""
    return _parse(Event, "event", text)


def parse_role(text: str) -> Role:
    """Parse a role from its value, English words or Chinese label."""
    return _parse(Role, "role", text)


def parse_algorithm_type(text: str) -> AlgorithmType:
    """Parse an algorithm type from its value, code ("01"), Chinese label or short form (生成合成)."""
    return _parse(AlgorithmType, "algorithm type", text)
