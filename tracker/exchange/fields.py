"""The fields a row of an import or export holds, their English and Chinese column names, and the CAC list layouts.

| field | English column | Chinese columns accepted |
|---|---|---|
| `ref` | ref | 参考号, 内部编号, 参考编号, 引用编号 |
| `kind` | kind | 备案类型, 备案种类 |
| `title` | title | 算法名称, 模型名称, 应用名称, 名称 |
| `organisation` | organisation | 主体名称, 备案单位, 登记单位, 备案主体, 公司名称, 单位名称, 企业名称 |
| `credit_code` | credit code | 统一社会信用代码, 信用代码, 社会信用代码 |
| `region` | region | 属地, 地区, 行政区划代码, 所属地区 |
| `stage` | stage | 当前阶段, 阶段, 状态, 当前状态, 备案状态 |
| `algorithm_type` | algorithm type | 算法类别, 算法类型, 算法种类 |
| `role` | role | 角色, 备案角色, 主体角色 |
| `product` | product | 应用产品, 产品, 应用产品名称 |
| `purpose` | purpose | 主要用途, 用途, 应用领域 |
| `filing_number` | filing number | 备案编号, 备案号, 上线编号, 登记编号, 登记号, 算法备案编号, 大模型备案号 |
| `approved_on` | approved on | 备案时间, 备案日期, 登记时间, 登记日期 |
| `note` | note | 备注 |
| `description` | description | 描述, 说明, 简介, 算法简介 |
| `launch_date` | launch date | 上线时间, 上线日期, 服务上线时间 |
| `change_date` | change date | 变更日期, 变更时间 |
| `termination_date` | termination date | 终止日期, 终止时间, 终止服务日期 |
| `public_opinion` | public opinion | 舆论属性, 舆论属性或社会动员能力 |
| `upstream_model` | upstream model | 上游模型, 调用模型, 基础模型, 所用模型 |
| `upstream_filing_number` | upstream filing number | 上游备案编号, 上游模型备案号, 调用模型备案号, 基础模型备案号 |
| `returned_from` | returned from | 退回阶段, 退回自 |
| `returns` | returns | 退回次数 |
| `history` | history | 历史, 历史记录 |
Column names are compared after NFKC, lower case, and without spaces, punctuation, a required-field `*` or a
parenthesised remark (`备案编号（网信算备…号）`). `--map COLUMN=FIELD` names a column the table does not know;
`--map COLUMN=-` ignores one. 序号/No. columns are row counters and are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from tracker.errors import UsageError


@dataclass(frozen=True, slots=True)
class Field:
    """One field: its name (the English export column), its Chinese column, and accepted spellings."""

    name: str
    zh: str
    aliases: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("ref", "参考号", ("reference", "内部编号", "参考编号", "引用编号")),
    Field("kind", "备案类型", ("filing kind", "备案种类")),
    Field(
        "title",
        "算法名称",
        ("name", "algorithm name", "模型名称", "model name", "应用名称", "app name", "名称"),
    ),
    Field(
        "organisation",
        "主体名称",
        (
            "organization",
            "org",
            "company",
            "备案单位",
            "登记单位",
            "备案主体",
            "公司名称",
            "单位名称",
            "企业名称",
        ),
    ),
    Field("credit_code", "统一社会信用代码", ("credit code", "uscc", "信用代码", "社会信用代码")),
    Field("region", "属地", ("region code", "jurisdiction", "地区", "行政区划代码", "所属地区")),
    Field("stage", "当前阶段", ("status", "阶段", "状态", "当前状态", "备案状态")),
    Field("algorithm_type", "算法类别", ("algorithm type", "type", "算法类型", "算法种类")),
    Field("role", "角色", ("备案角色", "主体角色")),
    Field("product", "应用产品", ("application", "产品", "应用产品名称")),
    Field("purpose", "主要用途", ("use", "用途", "应用领域")),
    Field(
        "filing_number",
        "备案编号",
        (
            "filing number",
            "number",
            "备案号",
            "上线编号",
            "登记编号",
            "登记号",
            "算法备案编号",
            "大模型备案号",
        ),
    ),
    Field(
        "approved_on",
        "备案时间",
        ("approval date", "approved", "备案日期", "登记时间", "登记日期", "filing date"),
    ),
    Field("note", "备注", ("notes", "remark", "remarks", "comment")),
    Field("description", "描述", ("说明", "简介", "算法简介")),
    Field("launch_date", "上线时间", ("launch", "上线日期", "服务上线时间")),
    Field("change_date", "变更日期", ("change", "变更时间")),
    Field("termination_date", "终止日期", ("termination", "终止时间", "终止服务日期")),
    Field("public_opinion", "舆论属性", ("public opinion attributes", "舆论属性或社会动员能力")),
    Field("upstream_model", "上游模型", ("调用模型", "基础模型", "所用模型")),
    Field("upstream_filing_number", "上游备案编号", ("上游模型备案号", "调用模型备案号", "基础模型备案号")),
    Field("returned_from", "退回阶段", ("returned by", "退回自")),
    Field("returns", "退回次数", ("return count",)),
    Field("history", "历史", ("events", "历史记录")),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
IGNORED = "-"
"""The pseudo-field of a column that is read and dropped (序号, or `--map COLUMN=-`)."""
_COUNTERS = ("序号", "no", "#", "index", "编号序号", "sn")


@lru_cache(maxsize=4096)
def normalise_header(text: str) -> str:
    """A column name as compared: NFKC, lower case, no spaces, punctuation, `*` or parenthesised remark."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    folded = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", folded)
    return re.sub(r"[\s_\-*:.·/]+", "", folded)


def _spellings() -> dict[str, str]:
    table: dict[str, str] = {}
    for f in FIELDS:
        for spelling in (f.name, f.name.replace("_", " "), f.zh, *f.aliases):
            table.setdefault(normalise_header(spelling), f.name)
    for counter in _COUNTERS:
        table.setdefault(normalise_header(counter), IGNORED)
    return table


SPELLINGS = _spellings()


@lru_cache(maxsize=4096)
def field_for(header: str) -> str | None:
    """The field a column name stands for, IGNORED for a row counter, or None when it is unknown."""
    return SPELLINGS.get(normalise_header(header))


def parse_maps(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--map COLUMN=FIELD` options as {normalised column: field}; FIELD in English or Chinese, or `-`.

    Raises UsageError naming the option when it has no `=` or names no known field.
    """
    out: dict[str, str] = {}
    for item in items:
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise UsageError(f"--map {item!r} is not COLUMN=FIELD", hint="e.g. --map 公司=organisation")
        target = target.strip()
        if target in (IGNORED, "ignore", "忽略"):
            out[normalise_header(column)] = IGNORED
            continue
        found = SPELLINGS.get(normalise_header(target))
        if found is None or found == IGNORED:
            raise UsageError(
                f"--map {item!r}: unknown field {target!r}",
                hint="fields: " + ", ".join(FIELD_NAMES) + " (or - to ignore the column)",
            )
        out[normalise_header(column)] = found
    return out


class Layout(StrEnum):
    """How a file is laid out: our own spreadsheet, or one of the CAC's published lists."""

    SPREADSHEET = "spreadsheet"
    CAC_ALGORITHM = "cac_algorithm"
    """境内互联网信息服务算法备案清单: 序号, 算法名称, 算法类别, 主体名称, 应用产品, 主要用途, 备案编号, 备注."""
    CAC_DEEP_SYNTHESIS = "cac_deep_synthesis"
    """境内深度合成服务算法备案清单: 序号, 算法名称, 角色, 主体名称, 应用产品, 主要用途, 备案编号, 备注."""
    CAC_GENAI = "cac_genai"
    """生成式人工智能服务已备案信息: 序号, 属地, 模型名称, 备案单位, 备案号, 备案时间 (and the 登记 series)."""


LAYOUT_TITLES = {
    Layout.SPREADSHEET: "spreadsheet (表格)",
    Layout.CAC_ALGORITHM: "境内互联网信息服务算法备案清单 (CAC algorithm list)",
    Layout.CAC_DEEP_SYNTHESIS: "境内深度合成服务算法备案清单 (CAC deep-synthesis list)",
    Layout.CAC_GENAI: "生成式人工智能服务已备案信息 (CAC generative-AI list)",
}
_GENAI_MARKERS = {
    "属地",
    "模型名称",
    "备案单位",
    "备案号",
    "上线编号",
    "登记单位",
    "应用名称",
    "备案时间",
    "登记时间",
}


def recognise_layout(headers: list[str]) -> Layout:
    """Which layout a header row belongs to, from the CAC lists' own column names (DOMAIN.md §4; issue 11)."""
    names = {normalise_header(h) for h in headers if h}
    cac_common = {"序号", "算法名称", "主体名称", "应用产品", "主要用途", "备案编号"}
    if cac_common <= names and "算法类别" in names:
        return Layout.CAC_ALGORITHM
    if cac_common <= names and "角色" in names:
        return Layout.CAC_DEEP_SYNTHESIS
    genai = {normalise_header(m) for m in _GENAI_MARKERS}
    if "序号" in names and len(names & genai) >= 3 and ("备案号" in names or "上线编号" in names):
        return Layout.CAC_GENAI
    return Layout.SPREADSHEET


def field_table_markdown() -> str:
    """The documented mapping as Markdown table rows (the README and this module's docstring show it)."""
    rows = []
    for f in FIELDS:
        chinese = ", ".join(dict.fromkeys(a for a in (f.zh, *f.aliases) if re.search(r"[\u3400-\u9fff]", a)))
        rows.append(f"| `{f.name}` | {f.name.replace('_', ' ')} | {chinese} |")
    return "\n".join(rows)
