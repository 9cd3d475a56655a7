"""Write the import test files in tests/data/exchange/ with real libraries (csv, openpyxl, json).

Run from the repository root: `uv run python tests/data/make_exchange_files.py`. The files are committed; the
script is here so that anyone can see how they were made and make them again. Rows are laid out like the CAC's
published lists; organisations, names and numbers are realistic but invented (the number formats of
DOMAIN.md §3: region digits of the organisation's district, type digits of its algorithm type).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

OUT = Path(__file__).parent / "exchange"

# -- our own spreadsheet, Chinese headers ---------------------------------------------------------------------------

SPREADSHEET_HEADER: list[Any] = [
    "参考号",
    "主体名称",
    "统一社会信用代码",
    "算法名称",
    "备案类型",
    "算法类型",
    "角色",
    "当前阶段",
    "备案编号",
    "备案时间",
    "上线时间",
    "备注",
]
SPREADSHEET_ROWS: list[list[Any]] = [
    [
        "ENT-0001",
        "北京星河智算科技有限公司",
        "91110108MA01A2B3CF",
        "星河 主体备案",
        "主体备案",
        "",
        "",
        "已通过",
        "",
        "",
        "",
        "",
    ],
    [
        "ALG-0001",
        "北京星河智算科技有限公司",
        "91110108MA01A2B3CF",
        "星河写作助手生成合成算法",
        "算法备案",
        "生成合成类",
        "服务提供者",
        "线上二审",
        "",
        "",
        "2026-09-01",
        "自评估报告已提交",
    ],
    [
        "ALG-0002",
        "北京星河智算科技有限公司",
        "91110108MA01A2B3CF",
        "星河资讯个性化推送算法",
        "算法备案",
        "个性化推送类",
        "服务提供者",
        "已备案",
        "网信算备110108555010102250013号",
        "2025-06-20",
        "2025-03-01",
        "",
    ],
    [
        "ALG-0003",
        "上海青禾数据服务有限公司",
        "",
        "青禾检索过滤算法",
        "算法备案",
        "检索过滤类",
        "技术支持者",
        "资质初审",
        "",
        "",
        "",
        "主体备案由集团办理",
    ],
    [
        "GAI-0001",
        "上海青禾数据服务有限公司",
        "",
        "青禾大模型",
        "大模型上线备案",
        "",
        "",
        "属地审核",
        "",
        "",
        "",
        "",
    ],
    [
        "REG-0001",
        "杭州云栖问答科技有限公司",
        "",
        "云栖问答助手",
        "登记",
        "",
        "",
        "已备案",
        "Zhejiang-YunQiWenDa-20260310S0012",
        "2026-04-02",
        "",
        "调用已备案大模型",
    ],
]

# -- 境内互联网信息服务算法备案清单 ----------------------------------------------------------------------------------

ALGORITHM_HEADER: list[Any] = [
    "序号",
    "算法名称",
    "算法类别",
    "主体名称",
    "应用产品",
    "主要用途",
    "备案编号",
    "备注",
]
ALGORITHM_ROWS: list[list[Any]] = [
    [
        1,
        "星河资讯个性化推送算法",
        "个性化推送类",
        "北京星河智算科技有限公司",
        "星河资讯APP",
        "根据用户浏览记录推荐资讯内容",
        "网信算备 110108555010102250013 号",
        "",
    ],
    [
        2,
        "青禾电商排序精选算法",
        "排序精选类",
        "上海青禾数据服务有限公司",
        "青禾优选小程序",
        "对商品搜索结果进行排序",
        "网信算备 310115606600103250021 号",
        "",
    ],
    [
        3,
        "鹭岛出行调度决策算法",
        "调度决策类",
        "厦门鹭岛出行科技有限公司",
        "鹭岛打车APP",
        "为网约车订单匹配司机",
        "网信算备 350206712345605250017 号",
        "",
    ],
    [
        4,
        "天府检索过滤算法",
        "检索过滤类",
        "成都天府云搜信息技术有限公司",
        "天府搜索网站",
        "过滤搜索结果中的违法不良信息",
        "网信算备 510107398765404250033 号",
        "服务于企业端用户",
    ],
    [
        5,
        "珠江生成合成算法",
        "生成合成类",
        "广州珠江智媒科技有限公司",
        "珠江AI写作",
        "根据用户输入生成文本",
        "网信算备 440106223344501250041 号",
        "",
    ],
]

# -- 境内深度合成服务算法备案清单 --------------------------------------------------------------------------------------

DEEP_SYNTHESIS_HEADER: list[Any] = [
    "序号",
    "算法名称",
    "角色",
    "主体名称",
    "应用产品",
    "主要用途",
    "备案编号",
    "备注",
]
DEEP_SYNTHESIS_ROWS: list[list[Any]] = [
    [
        1,
        "星河写作助手生成合成算法",
        "服务提供者",
        "北京星河智算科技有限公司",
        "星河写作助手",
        "根据用户输入的主题生成文章",
        "网信算备110108555010101250027号",
        "",
    ],
    [
        2,
        "青禾语音合成算法",
        "服务技术支持者",
        "上海青禾数据服务有限公司",
        "无",
        "为企业端用户提供文本转语音能力",
        "网信算备310115606600101250035号",
        "服务于企业端用户",
    ],
    [
        3,
        "西湖数字人视频合成算法",
        "服务提供者",
        "杭州西湖灵境科技有限公司",
        "西湖数字人APP",
        "根据用户上传的照片生成数字人播报视频",
        "网信算备330106445566701250019号",
        "",
    ],
    [
        4,
        "西湖数字人视频合成算法",
        "服务技术支持者",
        "杭州西湖灵境科技有限公司",
        "",
        "为企业端用户提供数字人视频生成接口",
        "网信算备330106445566701250023号",
        "",
    ],
]

# -- 生成式人工智能服务已备案信息 (备案 series, then the 登记 series) -----------------------------------------------------

GENAI_FILED_HEADER: list[Any] = ["序号", "属地", "模型名称", "备案单位", "备案号", "备案时间"]
GENAI_FILED_ROWS: list[list[Any]] = [
    [1, "北京", "星河大模型", "北京星河智算科技有限公司", "Beijing-XingHe-202511140031", date(2025, 12, 2)],
    [2, "上海", "青禾大模型", "上海青禾数据服务有限公司", "Shanghai-QingHe-202510280044", date(2025, 12, 2)],
    [
        3,
        "国资委",
        "九州大模型",
        "中国九州通信集团有限公司",
        "ZhongYangQiYe-JiuZhou-202511050007",
        date(2025, 12, 2),
    ],
    [
        4,
        "浙江",
        "西湖灵境大模型",
        "杭州西湖灵境科技有限公司",
        "ZheJiang-XiHuLingJing-202511200052",
        date(2025, 12, 2),
    ],
]
GENAI_REGISTERED_HEADER: list[Any] = ["序号", "属地", "模型名称", "登记单位", "上线编号", "登记时间"]
GENAI_REGISTERED_ROWS: list[list[Any]] = [
    [
        1,
        "广东",
        "珠江AI写作",
        "广州珠江智媒科技有限公司",
        "Guangdong-ZhuJiangXieZuo-20251118S0031",
        date(2025, 12, 2),
    ],
    [
        2,
        "浙江",
        "云栖问答助手",
        "杭州云栖问答科技有限公司",
        "Zhejiang-YunQiWenDa-20251120S0012",
        date(2025, 12, 2),
    ],
]


def write_csv(path: Path, rows: Sequence[Sequence[Any]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)


def sheet(book: openpyxl.Workbook, title: str, rows: Sequence[Sequence[Any]], *, first: bool = False) -> None:
    ws: Any = book.active if first else book.create_sheet()
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    (OUT / "__init__.py").write_text("")  # the tests' folders are packages, this one too
    table: list[list[Any]] = [SPREADSHEET_HEADER, *SPREADSHEET_ROWS]
    write_csv(OUT / "portfolio_utf8.csv", table, "utf-8")
    write_csv(OUT / "portfolio_utf8_bom.csv", table, "utf-8-sig")
    write_csv(OUT / "portfolio_gbk.csv", table, "gbk")  # as Excel on Chinese Windows saves "CSV"

    book = openpyxl.Workbook()
    sheet(book, "备案台账", table, first=True)
    book.save(OUT / "portfolio.xlsx")

    history = [
        {"event": "提交", "effective_at": "2025-04-01T09:30:00+08:00"},
        {"event": "pass_review", "effective_at": "2025-04-15T10:00:00+08:00"},
        {"event": "退回修改", "effective_at": "2025-05-06T10:00:00+08:00", "reason": "自评估报告缺少签字"},
        {"event": "resubmit", "effective_at": "2025-05-12T10:00:00+08:00"},
        {"event": "pass_review", "effective_at": "2025-05-30T10:00:00+08:00"},
        {
            "event": "approve",
            "effective_at": "2025-06-20T10:00:00+08:00",
            "filing_number": "网信算备110108555010102250013号",
        },
    ]
    lines: list[dict[str, Any]] = [
        {"ref": "ENT-0001", "organisation": "北京星河智算科技有限公司", "credit_code": "91110108MA01A2B3CF", "title": "星河 主体备案", "kind": "entity",
         "history": [{"event": "submit", "effective_at": "2025-03-01T09:00:00+08:00"}, {"event": "approve", "effective_at": "2025-03-10T09:00:00+08:00"}]},
        {"ref": "ALG-0002", "organisation": "北京星河智算科技有限公司", "title": "星河资讯个性化推送算法", "kind": "algorithm",
         "algorithm_type": "recommendation", "role": "provider", "history": history},
        {"ref": "ALG-0001", "organisation": "北京星河智算科技有限公司", "title": "星河写作助手生成合成算法", "kind": "algorithm", "stage": "线上二审"},
    ]  # fmt: skip
    (OUT / "portfolio.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )

    # the CAC lists, with a title line above the header as published
    book = openpyxl.Workbook()
    sheet(
        book,
        "算法备案清单",
        [["境内互联网信息服务算法备案清单（2025年6月）"], ALGORITHM_HEADER, *ALGORITHM_ROWS],
        first=True,
    )
    book.save(OUT / "cac_algorithm.xlsx")
    translated = [
        [*row[:6], row[6].replace("网信算备", "").replace("号", "").replace(" ", ""), row[7]]
        for row in ALGORITHM_ROWS
    ]
    write_csv(OUT / "cac_algorithm_bare_digits.csv", [ALGORITHM_HEADER, *translated], "utf-8")
    write_csv(
        OUT / "cac_deep_synthesis_gbk.csv",
        [["境内深度合成服务算法备案清单（2025年5月）"], DEEP_SYNTHESIS_HEADER, *DEEP_SYNTHESIS_ROWS],
        "gb18030",
    )
    book = openpyxl.Workbook()
    sheet(
        book,
        "附件",
        [
            ["生成式人工智能服务已备案信息（截至2025年12月）"],
            ["一、已备案的生成式人工智能服务"],
            GENAI_FILED_HEADER,
            *GENAI_FILED_ROWS,
            [],
            ["二、已登记的生成式人工智能应用或功能"],
            GENAI_REGISTERED_HEADER,
            *GENAI_REGISTERED_ROWS,
        ],
        first=True,
    )
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, date | datetime):
                    cell.number_format = "yyyy/m/d"
    book.save(OUT / "cac_genai.xlsx")

    # -- bad input ------------------------------------------------------------------------------------------------
    (OUT / "bad_not_xlsx.xlsx").write_text(
        "参考号,主体名称\nALG-0001,北京星河智算科技有限公司\n", encoding="utf-8"
    )
    whole = (OUT / "portfolio.xlsx").read_bytes()
    (OUT / "bad_truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    (OUT / "bad_xlsx_named_csv.csv").write_bytes(whole)
    mixed = ",".join(SPREADSHEET_HEADER).encode("utf-8") + b"\r\n"
    mixed += ",".join(map(str, SPREADSHEET_ROWS[1])).encode("utf-8") + b"\r\n"
    mixed += ",".join(map(str, SPREADSHEET_ROWS[3])).encode("gbk") + b"\r\n"
    (OUT / "bad_mixed_encodings.csv").write_bytes(mixed)
    write_csv(
        OUT / "bad_rows.csv",
        [
            SPREADSHEET_HEADER,
            SPREADSHEET_ROWS[1],
            ["ALG-0001", "北京星河智算科技有限公司", "", "另一个算法", "算法备案", "生成合成类", "", "资质初审", "", "", "", ""],  # duplicate ref
            ["ALG-0009", "北京星河智算科技有限公司", "", "星河翻译算法", "算法备案", "生成合成类", "", "二审中了", "", "", "", ""],  # unknown stage
            ["ALG-0010", "北京星河智算科技有限公司", "91110108MA01A2B3CX", "星河绘图算法", "算法备案", "生成合成类", "", "草稿", "", "", "", ""],  # check character
            ["ALG-0011", "北京星河智算科技有限公司", "", "星河排序算法", "算法备案", "生成合成类", "", "已备案", "网信算备110108555010103250019号", "", "", ""],  # type digits 03
            ["ALG-0012", "北京星河智算科技有限公司", "", "星河检索算法", "算法备案", "检索过滤类", "", "已备案", "待定", "", "", ""],  # placeholder
            ["ALG-0013", "北京星河智算科技有限公司", "", "星河调度算法", "算法备案", "调度决策类", "", "线上二审", "网信算备110108555010105250011号", "", "", ""],  # number before approval
            ["ALG-0014", "", "", "无主算法", "算法备案", "", "", "草稿", "", "", "", ""],  # no organisation
            SPREADSHEET_ROWS[2],  # a good row among the bad ones
        ],
        "utf-8-sig",
    )  # fmt: skip
    backwards = dict(lines[1])
    backwards["ref"] = "ALG-0005"
    backwards["history"] = [history[0], history[2], history[1]]
    disallowed = {**lines[2], "ref": "ALG-0006", "title": "跳步算法", "stage": None,
                  "history": [{"event": "submit", "effective_at": "2025-04-01"}, {"event": "approve", "effective_at": "2025-04-02", "filing_number": "网信算备110108555010101250035号"}]}  # fmt: skip
    (OUT / "bad_history.jsonl").write_text(
        json.dumps(backwards, ensure_ascii=False) + "\n" + json.dumps(disallowed, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    book = openpyxl.Workbook()
    sheet(book, "台账", [SPREADSHEET_HEADER, SPREADSHEET_ROWS[1], SPREADSHEET_ROWS[2]], first=True)
    formula_sheet: Any = book.active
    formula_sheet["D3"] = '=CONCATENATE("星河资讯","个性化推送算法")'
    book.save(OUT / "bad_formula.xlsx")


if __name__ == "__main__":
    main()
