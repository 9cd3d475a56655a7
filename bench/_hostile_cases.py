"""The catalogue of `bench/hostile.py`: command lines by kind of hostile or careless input.

The portfolio every case starts from (see `hostile.SEED`): ENT-0001 approved, ALG-0001 in draft with its
materials (`ＡＩ写作 Écrivain`), ALG-0002 in 资质初审, ALG-0003 in 线上终审 (generative, type digits 01),
GAI-0001 in draft, organisations `北京星河智算科技有限公司` (91110108MA01A2B3CF) and `Ｗｉｄｅ科技有限公司`
(91110108788888888K), SMS recipient 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS = {
    1: "references and ids",
    2: "dates and times",
    3: "apply streams",
    4: "terminal output",
    5: "storage and settings",
    6: "same rules on both databases",
    7: "silently ignored input",
    8: "pasted filing numbers",
    9: "exit codes",
    10: "files and the README",
    11: "matching and time zones",
}

REFUSED = frozenset({1, 2, 3, 4})
USAGE = frozenset({2})
NOT_FOUND = frozenset({3})
OK = frozenset({0})
ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"
NUMBER = "网信算备110108555010101250013号"
GROUPS = ("org", "notify")


@dataclass
class Case:
    """One command line and what it may do."""

    kind: int
    args: list[str]
    expect: frozenset[int] | None = None
    pre: list[list[str]] = field(default_factory=list)
    stdin: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    sql: list[str] = field(default_factory=list)
    expect_out: str | None = None
    may_change: bool = False
    data_out: bool = False
    pg: bool = False

    def command_path(self, commands: set[str]) -> str | None:
        """The command this case runs (`notify recipients add`), if the tree has it."""
        words: list[str] = []
        args = iter(self.args)
        for arg in args:
            if arg == "--db":
                next(args, None)
                continue
            if arg.startswith("-"):
                continue
            words.append(arg)
            if len(words) == 3 or words[0] not in GROUPS or (len(words) == 2 and words[1] != "recipients"):
                break
        if not words:
            return ""
        path = " ".join(words)
        while path and path not in commands:
            if " " not in path:
                return None
            path = path.rsplit(" ", 1)[0]
        return path

    def label(self) -> str:
        shown = " ".join(a if len(a) < 40 else a[:20] + f"…({len(a)})" for a in self.args)
        extra = f" env={dict(self.env)}" if self.env else ""
        return repr(shown)[1:-1] + extra + (" [pg]" if self.pg else "")


def _jsonl(*objects: object) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()


# -- 1 ---------------------------------------------------------------------------------------------------

BAD_REFS = [
    "99999999999999999999",
    "2147483648",
    "9" * 5000,
    "²",
    "ＡＬＧ－０００９",
    "ALG-9999",
    "-1",
    "",
    "\x00",
    "ALG-\x1b[2J",
]


def kind1() -> Iterable[Case]:
    for ref in BAD_REFS:
        for cmd in (
            ["show", ref],
            ["history", ref],
            ["forecast", ref],
            ["materials", ref],
            ["advance", ref, "submit"],
            ["notify", "retry", ref],
            ["notify", "recipients", "remove", ref],
            ["list", "--org", ref],
            ["notify", "list", "--filing", ref],
        ):
            yield Case(1, cmd, expect=REFUSED)
    for ref in ("ＡＬＧ－０００１", "alg-1", "ALG-0001\u200b", "1"):
        yield Case(1, ["show", ref], expect=OK)
    for ref in ("99999999999999999999", "²", "ＡＬＧ－０００９", "2147483648"):
        yield Case(1, ["add", "标题", "--org", ref], expect=REFUSED)
        yield Case(1, ["notify", "recipients", "add", "13800138001", "--filing", ref], expect=REFUSED)
        yield Case(1, ["notify", "resolve", ref], expect=REFUSED)
        yield Case(1, ["apply", "-"], stdin=_jsonl({"ref": ref, "event": "submit"}), expect=REFUSED)
        for cmd in (
            ["show", ref],
            ["advance", ref, "submit"],
            ["notify", "retry", ref],
            ["list", "--org", ref],
        ):
            yield Case(1, cmd, expect=REFUSED, pg=True)


# -- 2 ---------------------------------------------------------------------------------------------------

BAD_DATES = [
    "0001-01-01",
    "9999-12-31T23:00:00-08:00",
    "9999-12-31",
    "",
    "2026-02-30",
    "2101-01-01",
    "nan",
    "2026-11-02T25:00",
    "+10000-01-01",
    "\x1b[2J",
]


def kind2() -> Iterable[Case]:
    for d in BAD_DATES:
        yield Case(2, ["advance", "ALG-0001", "submit", "--at", d], expect=REFUSED)
        yield Case(2, ["dates", "ALG-0001", "--launch", d], expect=REFUSED)
        yield Case(2, ["dates", "ALG-0001", "--change", d], expect=REFUSED)
        yield Case(2, ["add", "标题", "--org", ORG, "--launch-date", d], expect=REFUSED)
        yield Case(2, ["rules", "--at", d], expect=REFUSED)
        yield Case(2, ["digest", "--since", d], expect=REFUSED)
    for late in ("9999-12-31", "2099-12-31"):
        for cmd in (["due"], ["list", "--overdue"], ["dates", "ALG-0001"], ["show", "ALG-0001"], ["list"]):
            yield Case(
                2, cmd, pre=[["dates", "ALG-0001", "--launch", late]], expect=OK if late < "9" else None
            )
    for stored in ("9999-12-31", "0001-01-01", "garbage"):
        for cmd in (["due"], ["list", "--overdue"], ["dates", "ALG-0001"], ["show", "ALG-0001"]):
            yield Case(2, cmd, sql=[f"UPDATE filing SET launch_date = '{stored}' WHERE ref = 'ALG-0001'"])
    yield Case(
        2,
        ["dates", "ALG-0001", "--termination", "2025-01-01"],
        pre=[["dates", "ALG-0001", "--launch", "2026-01-01"]],
        expect=REFUSED,
    )
    yield Case(
        2, ["advance", "ALG-0002", "pass_review", "--at", "２０２６－１１－０２"], expect=REFUSED
    )  # before submit


# -- 3 ---------------------------------------------------------------------------------------------------


def kind3() -> Iterable[Case]:
    ok_line = {"ref": "ALG-0002", "event": "pass_review"}
    streams: dict[str, bytes] = {
        "random bytes": bytes(range(256)) * 4,
        "utf-16": json.dumps(ok_line).encode("utf-16"),
        "latin-1 byte": b'{"ref": "ALG-0002", "event": "pass_review", "note": "caf\xe9"}\n',
        "lone surrogate": b'{"ref": "ALG-0002", "event": "pass_review", "note": "\\ud800"}\n',
        "nested": b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "5000 digits": b'{"ref": ' + b"9" * 5000 + b', "event": "submit"}\n',
        "bom": b"\xef\xbb\xbf" + json.dumps(ok_line).encode() + b"\n",
        "duplicate keys": b'{"ref": "ALG-0002", "event": "pass_review", "event": "withdraw"}\n',
        "array": b'["ALG-0002", "pass_review"]\n',
        "string": b'"pass_review"\n',
        "null": b"null\n",
        "empty": b"",
        "blank lines": b"\n\n   \n",
        "no event": b'{"ref": "ALG-0002"}\n',
        "unknown event": b'{"ref": "ALG-0002", "event": "fly"}\n',
        "ref as float": b'{"ref": 1.5, "event": "submit"}\n',
        "ref as list": b'{"ref": ["ALG-0002"], "event": "submit"}\n',
        "if_version huge": b'{"ref": "ALG-0002", "event": "pass_review", "if_version": 1e400}\n',
        "at 9999": b'{"ref": "ALG-0002", "event": "pass_review", "at": "9999-12-31T23:00:00-08:00"}\n',
        "control characters": b'{"ref": "ALG-0002", "event": "pass_review", "note": "\\u001b[2J\\u0007"}\n',
        "long line": b'{"ref": "ALG-0002", "event": "pass_review", "note": "' + b"x" * 2_000_000 + b'"}\n',
        "nan": b'{"ref": "ALG-0002", "event": "pass_review", "if_version": NaN}\n',
        "unknown key": b'{"ref": "ALG-0002", "event": "pass_review", "colour": "red"}\n',
        "reason on pass": b'{"ref": "ALG-0002", "event": "pass_review", "reason": "x"}\n',
        "crlf": json.dumps(ok_line).encode() + b"\r\n",
        "truncated": b'{"ref": "ALG-0002", "event": "pass_re',
    }
    for _name, data in streams.items():
        yield Case(3, ["apply", "{home}/s.jsonl"], files={"s.jsonl": data})
        yield Case(3, ["apply", "-", "--json", "--all-or-nothing"], stdin=data)
    mixed = _jsonl(ok_line, {"ref": "ALG-0001", "event": "fly"}, {"ref": "ALG-0003", "event": "approve"})
    yield Case(3, ["apply", "-"], stdin=mixed, may_change=True)
    yield Case(3, ["apply", "-", "--all-or-nothing"], stdin=mixed, expect=REFUSED)
    yield Case(3, ["apply", "/dev/zero"], expect=REFUSED)
    yield Case(3, ["apply", "{home}/absent.jsonl"], expect=REFUSED)
    yield Case(3, ["apply", "{home}"], expect=REFUSED)


# -- 4 ---------------------------------------------------------------------------------------------------

HOSTILE = {
    "colour": "\x1b[31mred\x1b[0m",
    "clear": "\x1b[2J\x1b[H",
    "title": "\x1b]0;pwned\x07",
    "cr": "over\rwrite",
}


def kind4() -> Iterable[Case]:
    for p in HOSTILE.values():
        store = {
            "title": ["add", f"标题{p}", "--org", ORG],
            "note": ["advance", "ALG-0002", "withdraw", "--note", p, "--by", f"王{p}", "--reason", p],
            "org": ["org", "add", f"恶意{p}有限公司", "--credit-code", "91110108788888888K"],
            "material": ["materials", "ALG-0001", "--undo", "algo.self_assessment"],
            "material note": [
                "materials",
                "ALG-0001",
                "--done",
                "algo.self_assessment",
                "--note",
                p,
                "--file",
                f"/tmp/{p}.pdf",
            ],
            "recipient": ["notify", "recipients", "add", "13800138002", "--org", ORG],
        }
        yield Case(4, store["title"], expect=OK)
        yield Case(4, store["note"], expect=OK)
        yield Case(4, ["org", "add", f"恶意{p}有限公司", "--credit-code", "91440300MA5FXXXX0U"])
        yield Case(4, store["material note"], expect=OK)
        yield Case(4, ["show", f"ALG-{p}"], expect=REFUSED)
        yield Case(4, ["advance", "ALG-0002", f"fly{p}"], expect=REFUSED)
        yield Case(4, ["list", "--search", p], expect=OK)
        for cmd in (["list"], ["show", "ALG-0004"], ["notify", "preview", "ALG-0004", "--event", "submit"]):
            yield Case(4, cmd, pre=[store["title"]])
        for cmd in (["history", "ALG-0002"], ["show", "ALG-0002"], ["list"]):
            yield Case(4, cmd, pre=[store["note"]], expect=OK)
        for cmd in (["materials", "ALG-0001"], ["forecast", "ALG-0001"], ["dates", "ALG-0001"]):
            yield Case(4, cmd, pre=[store["material note"]], expect=OK)
        for cmd in (["org", "list"], ["list"], ["notify", "recipients", "list"]):
            yield Case(
                4,
                cmd,
                pre=[
                    ["org", "add", f"恶意{p}有限公司", "--credit-code", "91440300MA5G9XXX0K"],
                    ["notify", "recipients", "add", "13800138003", "--org", f"恶意{p}有限公司"],
                    ["add", "恶意标题", "--org", f"恶意{p}有限公司"],
                ],
            )
        yield Case(4, ["notify", "list"], pre=[store["note"]], expect=OK)
        yield Case(
            4, ["due"], pre=[["dates", "ALG-0001", "--launch", "2025-01-01"], store["title"]], expect=OK
        )


# -- 5 ---------------------------------------------------------------------------------------------------


def kind5() -> Iterable[Case]:
    for url in (
        "mysql://root@localhost/beian",
        "postgresql+asyncpg://postgres@127.0.0.1/test",
        "foo://x",
        "sqlite:///:memory:",
        "sqlite://",
        "postgresql://postgres@127.0.0.1:notaport/test",
        "postgresql+psycopg//postgres:pw@127.0.0.1/test",
        "\x00",
    ):
        yield Case(5, ["--db", url, "list"], expect=frozenset({2, 5}))
        if "\x00" not in url:  # an environment cannot hold NUL
            yield Case(5, ["list"], env={"BEIAN_DATABASE_URL": url}, expect=frozenset({2, 5}))
    for _name, content in {
        "not utf-8": b"language = '\xff\xfe'\n",
        "bom": b"\xef\xbb\xbflanguage = 'en'\n",
        "nested": b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "invalid toml": b"language = \n",
        "wrong type": b"language = 5\n",
        "unknown key": b"colour = 'red'\n",
        "control char": b"language = 'e\x1bn'\n",
    }.items():
        yield Case(5, ["list"], files={"config.toml": content}, expect=frozenset({0, 2}))
    yield Case(
        5,
        ["list"],
        env={
            "HOME": "{home}/notadir",
            "BEIAN_DATA_DIR": None,
            "BEIAN_CONFIG_FILE": None,
            "XDG_DATA_HOME": None,
            "XDG_CONFIG_HOME": None,
        },
        files={"notadir": b""},
        expect=frozenset({5}),
    )
    yield Case(
        5,
        ["init"],
        env={
            "HOME": "{home}/notadir",
            "BEIAN_DATA_DIR": None,
            "BEIAN_CONFIG_FILE": None,
            "XDG_DATA_HOME": None,
            "XDG_CONFIG_HOME": None,
        },
        files={"notadir": b""},
        expect=frozenset({5}),
    )
    yield Case(
        5, ["list"], sql=["UPDATE alembic_version SET version_num = 'ffffffffffff'"], expect=frozenset({5})
    )
    yield Case(
        5, ["init"], sql=["UPDATE alembic_version SET version_num = 'ffffffffffff'"], expect=frozenset({5})
    )
    yield Case(
        5,
        ["--db", "{home}/corrupt.db", "init"],
        files={"corrupt.db": b"not a database\n" * 100},
        expect=frozenset({5}),
    )
    yield Case(
        5,
        ["--db", "{home}/corrupt.db", "list"],
        files={"corrupt.db": b"not a database\n" * 100},
        expect=frozenset({5}),
    )
    yield Case(5, ["--db", "{home}", "list"], expect=frozenset({2, 5}))
    yield Case(5, ["--db", "{home}/nowhere/x/beian.db", "list"], expect=frozenset({5}))
    yield Case(5, ["list"], env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"}, expect=OK)
    yield Case(
        5, ["show", "ALG-0001"], env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"}, expect=OK
    )
    yield Case(
        5,
        ["show", "ALG-9999"],
        env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"},
        expect=NOT_FOUND,
    )
    yield Case(5, ["list", "--limit", "-1"], expect=USAGE)
    yield Case(5, ["list"], env={"BEIAN_LOCK_TIMEOUT": "nan"}, expect=frozenset({0, 2}))
    yield Case(5, ["list"], env={"BEIAN_LANGUAGE": "xx"}, expect=frozenset({2}))


# -- 6 ---------------------------------------------------------------------------------------------------


def kind6() -> Iterable[Case]:
    big = "长" * 100_000
    for pg in (False, True):
        for cmd in (
            ["add", "标题\x00", "--org", ORG],
            ["add", big, "--org", ORG],
            ["org", "add", "有" * 201, "--credit-code", "91440300MA5FXXXX0U"],
            ["org", "add", "恶意\x00公司", "--credit-code", "91440300MA5FXXXX0U"],
            ["advance", "ALG-0002", "withdraw", "--note", "a\x00b"],
            ["advance", "ALG-0002", "withdraw", "--reason", big],
            ["advance", "ALG-0002", "withdraw", "--by", "王" * 500],
            ["advance", "ALG-0002", "withdraw", "--note", big],
            ["list", "--search", "\x00"],
            ["list", "--search", big],
            ["add", "标题", "--org", ORG, "--upstream-model", big],
            ["materials", "ALG-0001", "--done", "algo.self_assessment", "--note", big],
            ["materials", "ALG-0001", "--done", "algo.self_assessment", "--file", "/tmp/a\x00b"],
            ["notify", "recipients", "add", "13800138000\x00", "--org", ORG],
            ["show", "\x00"],
            ["apply", "-"],
        ):
            expect = REFUSED  # a NUL character or 100,000 characters: refused alike on both databases
            stdin = _jsonl({"ref": "ALG-0002", "event": "withdraw", "note": "a\x00b", "by": "王" * 500})
            yield Case(6, cmd, expect=expect, pg=pg, stdin=stdin if cmd[0] == "apply" else None)


# -- 7 ---------------------------------------------------------------------------------------------------


def kind7() -> Iterable[Case]:
    cases = [
        ["advance", "ALG-0002", "pass_review", "--filing-number", NUMBER],
        ["advance", "ALG-0001", "submit", "--reason", "why"],
        ["advance", "ALG-0002", "return_for_revision", "--reason", "\u200b"],
        ["advance", "ALG-0002", "return_for_revision", "--reason", " \u200b\ufeff "],
        ["advance", "ALG-0001", "submit", "--at", ""],
        ["advance", "ALG-0002", "pass_review", "--reopen", "algo.self_assessment"],
        ["org", "add", ORG + "\u200b", "--credit-code", "91440300MA5FXXXX0U"],
        ["org", "add", ORG + " ", "--credit-code", "91440300MA5FXXXX0U"],
        ["org", "add", "1", "--credit-code", "91440300MA5FXXXX0U"],
        ["org", "add", "91110108788888888K", "--credit-code", "91440300MA5FXXXX0U"],
        ["org", "add", "新公司", "--credit-code", "91440300MA5FXXXX0U", "--region", "000000"],
        ["notify", "run", "--interval", "nan"],
        ["notify", "run", "--interval", "inf"],
        ["notify", "run", "--interval", "-1"],
        ["notify", "status", "--days", "nan"],
        ["notify", "status", "--days", "-5"],
        ["due", "--within", "nan"],
        ["due", "--within", "-3"],
        ["list", "--due-within", "inf"],
        ["list", "--limit", "0"],
        ["show", "x" * 120_000],
        ["add", "标题", "--org", "x" * 120_000],
        ["advance", "ALG-0002", "x" * 120_000],
        ["advance", "ALG-0002", "withdraw", "--if-version", "nan"],
        ["advance", "ALG-0002", "withdraw", "--if-version", "99999999999999999999"],
        ["add", "", "--org", ORG],
        ["add", "\u200b", "--org", ORG],
        ["add", "标题", "--org", ORG, "--kind", "entity", "--type", "generative"],
        ["notify", "recipients", "add", "13800138000", "--org", ORG, "--events", "fly"],
        ["notify", "recipients", "add", "13800138000", "--org", ORG, "--events", ""],
        ["notify", "recipients", "add", "+86 138 0013 8000 ext 5", "--org", ORG],
        ["materials", "ALG-0001", "--done", "algo.self_assessment", "--undo", "algo.self_assessment"],
        ["materials", "ALG-0001", "--done", ""],
    ]
    for cmd in cases:
        yield Case(7, cmd, expect=REFUSED)
    yield Case(
        7,
        ["org", "list"],
        pre=[["org", "add", "新公司", "--credit-code", "91440300MA5FXXXX0U", "--region", "４４０３００"]],
        expect_out="440300",
    )
    yield Case(7, ["org", "add", "ALG-0001", "--credit-code", "91440300MA5FXXXX0U"])  # a filing's reference
    yield Case(7, ["org", "add", "新公司", "--credit-code", "91440300MA5FXXXX0U", "--region", "999999"])
    yield Case(7, ["notify", "send"], env={"BEIAN_TWILIO_TIMEOUT": "inf"}, expect=frozenset({2, 6}))
    yield Case(7, ["notify", "send"], env={"BEIAN_TWILIO_TIMEOUT": "nan"}, expect=frozenset({2, 6}))
    yield Case(7, ["notify", "send"], env={"BEIAN_TWILIO_TIMEOUT": "-1"}, expect=frozenset({2, 6}))


# -- 8 ---------------------------------------------------------------------------------------------------


def kind8() -> Iterable[Case]:
    accepted = [
        NUMBER,
        "算法备案号：" + NUMBER,
        "生成式人工智能服务备案号：" + NUMBER,
        NUMBER[:-1],
        "110108555010101250013",
        "网信算备１１０１０８５５５０１０１０１２５００１３号",
        NUMBER + " 星河终审算法",
        "\x1b[2J" + NUMBER,
        "网信算备 110108 5550101 01 25 0013 号",
    ]
    refused = [
        "待定",
        "N/A",
        "[待填写]",
        "",
        "网信算备11010855501010125001号",
        NUMBER + " " + NUMBER.replace("0013", "0014"),
        "Beijing-DeepseekChat-202404280016",
        "网信算备110108555010102250013号",  # type digits of another algorithm type
        "x" * 5000,
    ]
    for n in accepted:
        yield Case(8, ["advance", "ALG-0003", "approve", "--filing-number", n], expect=OK)
    for n in refused:
        yield Case(8, ["advance", "ALG-0003", "approve", "--filing-number", n], expect=REFUSED)
    for n in accepted[:4]:
        yield Case(
            8,
            ["add", "下游", "--org", ORG, "--upstream-filing-number", n],
            expect=OK,
        )


# -- 9 ---------------------------------------------------------------------------------------------------


def kind9() -> Iterable[Case]:
    yield Case(9, ["list", "--org", "不存在"], expect=NOT_FOUND)
    yield Case(9, ["list", "--org", "91440300MA5FXXXX0U"], expect=NOT_FOUND)
    yield Case(9, ["add", "标题", "--org", "不存在"], expect=NOT_FOUND)
    yield Case(9, ["advance", "ALG-0002", "pass_review", "--at", "2000-01-01"], expect=frozenset({1}))
    yield Case(9, ["advance", "ALG-0001", "approve"], expect=frozenset({1}))
    yield Case(9, ["advance", "ALG-0002", "fly"], expect=USAGE)
    yield Case(9, ["advance", "ALG-0002", "withdraw", "--if-version", "999"], expect=frozenset({4}))
    yield Case(9, ["org", "add", ORG, "--credit-code", CODE], expect=frozenset({2, 4}))
    yield Case(9, ["org", "add", "别的公司", "--credit-code", CODE], expect=frozenset({2, 4}))
    yield Case(9, ["org", "add", "别的公司", "--credit-code", "91110108MA01A2B3CX"], expect=USAGE)
    yield Case(9, ["show", "ALG-9999"], expect=NOT_FOUND)
    yield Case(9, ["notify", "retry", "9999"], expect=NOT_FOUND)
    yield Case(9, ["notify", "recipients", "remove", "9999"], expect=NOT_FOUND)
    yield Case(9, ["advance", "ALG-0002", "return_for_revision"], expect=frozenset({1, 2}))
    yield Case(9, ["list", "--stage", "飞"], expect=USAGE)
    yield Case(9, ["list", "--kind", "fly"], expect=USAGE)
    yield Case(9, ["nonsense"], expect=USAGE)
    yield Case(9, ["advance", "ALG-0003", "approve", "--filing-number", NUMBER, "--json"], expect=OK)
    yield Case(
        9,
        ["list"],
        env={"BEIAN_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"},
        expect=frozenset({5}),
    )


# -- 10 --------------------------------------------------------------------------------------------------


def kind10() -> Iterable[Case]:
    tour = [
        [
            "org",
            "add",
            "北京星河智算科技有限公司X",
            "--credit-code",
            "91440300MA5FXXXX0U",
            "--region",
            "440300",
        ],
    ]
    yield Case(10, tour[0], expect=OK)
    db = "{home}/data/beian.db"
    yield Case(10, ["list", "--db", db], expect=OK, expect_out="ALG-0001")
    yield Case(10, ["advance", "ALG-0002", "pass_review", "--db", db], expect=OK)
    yield Case(10, ["show", "ALG-0001", "--db", db], expect=OK)
    yield Case(10, ["org", "list", "--db", db], expect=OK, expect_out="91110108MA01A2B3CF")
    yield Case(10, ["notify", "recipients", "list", "--db", db], expect=OK)
    yield Case(10, ["history", "ENT-0001", "--db", db, "--json"], expect=OK)
    yield Case(10, ["due", "--db", db], expect=OK)
    yield Case(10, ["list", "--db", "{home}/absent.db"], expect=frozenset({5}))
    for args in (
        ["list"],
        ["org", "list"],
        ["history", "ALG-0003"],
        ["materials", "ALG-0001"],
        ["notify", "list"],
        ["due"],
        ["forecast", "ALG-0002"],
        ["dates", "ALG-0001"],
    ):
        yield Case(10, args, env={"COLUMNS": "60"}, expect=OK)
    yield Case(10, ["init"], expect=OK)
    yield Case(
        10, ["--db", "{home}/fresh/new.db", "init"], expect=frozenset({5})
    )  # no such folder: said, not made


# -- 11 --------------------------------------------------------------------------------------------------


def kind11() -> Iterable[Case]:
    yield Case(11, ["list", "--search", "ＡＩ写作"], expect=OK, expect_out="ALG-0001")
    yield Case(11, ["list", "--search", "AI写作"], expect=OK, expect_out="ALG-0001")
    yield Case(11, ["list", "--search", "Écrivain"], expect=OK, expect_out="ALG-0001")
    yield Case(11, ["list", "--search", "écrivain"], expect=OK, expect_out="ALG-0001")
    yield Case(11, ["list", "--search", "ÉCRIVAIN"], expect=OK, expect_out="ALG-0001")
    yield Case(11, ["add", "标题", "--org", "Ｗｉｄｅ科技有限公司"], expect=OK)
    yield Case(11, ["add", "标题", "--org", "Wide科技有限公司"], expect=OK)
    yield Case(11, ["add", "标题", "--org", "wide科技有限公司"], expect=OK)
    yield Case(11, ["list", "--org", "Ｗｉｄｅ科技有限公司"], expect=OK)
    yield Case(11, ["list", "--org", "WIDE科技有限公司"], expect=OK)
    for tz in ("Asia/Tokyo", "America/Los_Angeles", "UTC", "Pacific/Kiritimati", "Etc/GMT+12"):
        yield Case(
            11,
            ["add", "标题", "--org", ORG, "--launch-date", "2026-11-02", "--json"],
            env={"TZ": tz},
            expect=OK,
            expect_out='"2026-11-02"',
        )
        yield Case(
            11,
            ["dates", "ALG-0001", "--launch", "2026-11-02"],
            env={"TZ": tz},
            expect=OK,
            expect_out="2026-11-02",
        )


def catalogue() -> list[Case]:
    """Every case, kind by kind."""
    out: list[Case] = []
    for make in (kind1, kind2, kind3, kind4, kind5, kind6, kind7, kind8, kind9, kind10, kind11):
        out.extend(make())
    return out
