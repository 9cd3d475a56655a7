"""Hostile and careless input: a catalogue of `beian` command lines, by kind, run against a source tree.

Not a test: a survey. Each case runs in a fresh data folder (`BEIAN_DATA_DIR`, `BEIAN_CONFIG_FILE`) holding a
copy of a small seeded SQLite database (PostgreSQL cases use a throwaway schema), and counts per kind:

* tracebacks: stderr holds "Traceback";
* wrong exits: an exit code outside the documented table (0 ok, 1 refused, 2 usage, 3 not found, 4 conflict,
  5 storage, 6 notify), a command that did not end within the time limit, or, where a case says what it
  expects (refused, a given code, a word in the output), anything else;
* raw control characters: ESC, BEL, CR and the other C0 and C1 controls (LF and TAB aside) in human-readable
  stdout or stderr;
* changed on refusal: a command that failed but changed the database (a dump before and after).

A case whose command the tree does not have counts as n/a.

    uv run python bench/hostile.py [--tree PATH] [--kind N]… [--skip-pg] [--show-failures]

`BEIAN_BENCH_QUICK=1` (`bench/run --quick`) runs every fifth case only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _hostile_cases import KINDS, Case, catalogue  # noqa: E402

DOCUMENTED = {0, 1, 2, 3, 4, 5, 6}
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PG_URL = os.environ.get("BEIAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TIMEOUT = 25.0


@dataclass
class Outcome:
    """What one case did."""

    case: Case
    na: bool = False
    code: int | None = None
    traceback: bool = False
    wrong_exit: bool = False
    raw: bool = False
    changed: bool = False
    why: str = ""


@dataclass
class Tally:
    tried: int = 0
    na: int = 0
    tracebacks: int = 0
    wrong: int = 0
    raw: int = 0
    changed: int = 0
    failures: list[Outcome] = field(default_factory=list)


class Tree:
    """How to run `beian` from one source tree (its own virtual environment)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        script = root / ".venv" / "bin" / "beian"
        self.argv = [str(script)] if script.exists() else ["uv", "run", "--directory", str(root), "beian"]
        self.server: subprocess.Popen[str] | None = None
        self.commands: set[str] = set()

    def start(self) -> None:
        """Start the tree's fork server (see `_hostile_server.py`): one import of the CLI for every case."""
        python = self.root / ".venv" / "bin" / "python"
        server = Path(__file__).resolve().parent / "_hostile_server.py"
        self.server = subprocess.Popen(
            [str(python), str(server)],
            cwd=self.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")},
        )

    def stop(self) -> None:
        if self.server is not None:
            assert self.server.stdin is not None
            self.server.stdin.close()
            self.server.wait(timeout=30)

    def run(
        self, args: Sequence[str], env: dict[str, str], cwd: Path, stdin: bytes | None = None
    ) -> tuple[int | None, str, str]:
        """`beian ARGS`: through the fork server when it runs (and the case needs no interpreter of its own:
        another locale or output encoding), else as a new process."""
        needs_own = (
            "PYTHONIOENCODING" in env or env.get("LC_ALL") != "C.UTF-8" or env.get("LANG") != "C.UTF-8"
        )
        if self.server is not None and not needs_own:
            return self._forked(args, env, cwd, stdin)
        try:
            done = subprocess.run(
                [*self.argv, *args],
                env=env,
                cwd=cwd,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            return None, _text(exc.stdout), _text(exc.stderr)
        return done.returncode, _text(done.stdout), _text(done.stderr)

    def _forked(
        self, args: Sequence[str], env: dict[str, str], cwd: Path, stdin: bytes | None
    ) -> tuple[int | None, str, str]:
        assert self.server is not None and self.server.stdin is not None and self.server.stdout is not None
        io_dir = Path(tempfile.mkdtemp(prefix="io-"))
        (io_dir / "in").write_bytes(stdin or b"")
        request = {
            "args": list(args),
            "env": env,
            "cwd": str(cwd),
            "stdin": str(io_dir / "in"),
            "stdout": str(io_dir / "out"),
            "stderr": str(io_dir / "err"),
            "timeout": TIMEOUT,
        }
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        code = json.loads(self.server.stdout.readline())["code"]
        out, err = _text((io_dir / "out").read_bytes()), _text((io_dir / "err").read_bytes())
        shutil.rmtree(io_dir, ignore_errors=True)
        return code, out, err

    def compile(self) -> None:
        """Byte-compile the tree and its libraries once, so no case pays for compiling (as `bench/run` does)."""
        python = self.root / ".venv" / "bin" / "python"
        if not python.exists():
            return
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        subprocess.run(
            [str(python), "-m", "compileall", "-q", "-j", "0", site, "tracker", "states", "tui"],
            cwd=self.root,
            capture_output=True,
            check=False,
        )

    def list_commands(self) -> set[str]:
        """Every command path (`list`, `notify retry`, `org add`) of the tree, from its own help."""
        env = _base_env(Path(tempfile.mkdtemp(prefix="hostile-help-")))
        found: set[str] = set()

        def visit(prefix: list[str]) -> None:
            _, out, _ = self.run([*prefix, "--help"], env, Path(env["BEIAN_DATA_DIR"]).parent)
            section = out.split("Commands:", 1)
            if len(section) < 2:
                return
            for line in section[1].splitlines():
                m = re.match(r"^  (\S+)", line)
                if m:
                    path = [*prefix, m.group(1)]
                    found.add(" ".join(path))
                    if len(path) < 3:
                        visit(path)

        visit([])
        shutil.rmtree(Path(env["BEIAN_DATA_DIR"]).parent, ignore_errors=True)
        return found


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEIAN_", "PYTEST_"))}
    env.update(
        BEIAN_DATA_DIR=str(home / "data"),
        BEIAN_CONFIG_FILE=str(home / "config.toml"),
        TZ="Asia/Shanghai",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    env.pop("COLUMNS", None)
    return env


def dump(path: Path) -> dict[str, list[tuple[object, ...]]] | None:
    """Every row of every table of an SQLite file, or None when there is none."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.text_factory = bytes
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {
                t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in sorted(tables)
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return {"<unreadable>": [(str(exc),)]}


def pg_dump(url: str, schema: str) -> dict[str, list[tuple[object, ...]]]:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            )
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{schema}"."{t}"').fetchall(), key=repr)
            for t in sorted(tables)
        }


SEED: list[list[str]] = [
    ["init"],
    ["org", "add", "北京星河智算科技有限公司", "--credit-code", "91110108MA01A2B3CF", "--region", "110108"],
    ["org", "add", "Ｗｉｄｅ科技有限公司", "--credit-code", "91110108788888888K", "--region", "110108"],
    ["add", "星河 主体备案", "--org", "北京星河智算科技有限公司", "--kind", "entity"],
    ["materials", "ENT-0001", "--done", "*"],
    ["advance", "ENT-0001", "submit"],
    ["advance", "ENT-0001", "approve"],
    [
        "add",
        "ＡＩ写作 Écrivain",
        "--org",
        "北京星河智算科技有限公司",
        "--type",
        "generative",
        "--role",
        "provider",
    ],
    ["materials", "ALG-0001", "--done", "*"],
    [
        "add",
        "星河对话算法",
        "--org",
        "北京星河智算科技有限公司",
        "--type",
        "generative",
        "--role",
        "provider",
    ],
    ["materials", "ALG-0002", "--done", "*"],
    ["advance", "ALG-0002", "submit"],
    [
        "add",
        "星河终审算法",
        "--org",
        "北京星河智算科技有限公司",
        "--type",
        "generative",
        "--role",
        "provider",
    ],
    ["materials", "ALG-0003", "--done", "*"],
    ["advance", "ALG-0003", "submit"],
    ["advance", "ALG-0003", "pass_review"],
    ["advance", "ALG-0003", "pass_review"],
    ["add", "星河大模型", "--org", "北京星河智算科技有限公司", "--kind", "genai_filing"],
    ["notify", "recipients", "add", "13800138000", "--org", "北京星河智算科技有限公司"],
]
"""A small portfolio: ENT-0001 approved, ALG-0001 draft (materials done), ALG-0002 in 资质初审, ALG-0003 in
线上终审, GAI-0001 draft, a second organisation with a full-width name, one SMS recipient."""


def seed(tree: Tree, home: Path, db: str | None = None) -> None:
    """Build the portfolio with the tree's own commands (`--done *` ticks every item the filing lists)."""
    env = _base_env(home)
    extra = ["--db", db] if db else []
    for argv in SEED:
        if argv[-1] == "*":
            ref = argv[1]
            done = tree.run([*extra, "materials", ref, "--json"], env, home)
            try:
                items = [i["key"] for i in json.loads(done[1])["items"] if not i.get("provided")]
            except (ValueError, KeyError):
                items = []
            args = ["materials", ref]
            for key in items:
                args += ["--done", key]
            argv = args
        tree.run([*extra, *argv], env, home)


def run_case(tree: Tree, case: Case, template: Path, scratch: Path, pg: Callable[[], str] | None) -> Outcome:
    out = Outcome(case)
    if case.command_path(tree.commands) is None:
        out.na = True
        return out
    home = Path(tempfile.mkdtemp(prefix="case-", dir=scratch))
    shutil.copytree(template, home / "data")
    env = _base_env(home)
    url = None
    if case.pg:
        if pg is None:
            out.na = True
            return out
        url = pg()
        env["BEIAN_DATABASE_URL"] = url
    for name, data in case.files.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(data)
    if case.sql:
        conn = sqlite3.connect(home / "data" / "beian.db")
        try:
            for statement in case.sql:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute(statement)
            conn.commit()
        finally:
            conn.close()
    for k, v in case.env.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v.replace("{home}", str(home))
    fill = lambda s: s.replace("{home}", str(home))  # noqa: E731
    for pre in case.pre:
        tree.run([fill(a) for a in pre], env, home)
    db_file = home / "data" / "beian.db"
    schema = url.rsplit("%3D", 1)[1] if url else ""
    before = pg_dump(PG_URL, schema) if url else dump(db_file)
    code, stdout, stderr = tree.run([fill(a) for a in case.args], env, home, case.stdin)
    after = pg_dump(PG_URL, schema) if url else dump(db_file)
    out.code = code
    if (
        "No such command" in stderr and code == 2 and case.args[0] != "nonsense"
    ):  # `nonsense` expects exactly that
        out.na = True
        return out
    out.traceback = "Traceback" in stderr or "Traceback" in stdout
    if code is None:
        out.wrong_exit, out.why = True, f"no answer within {TIMEOUT:.0f} s"
    elif code not in DOCUMENTED:
        out.wrong_exit, out.why = True, f"exit {code}"
    elif case.expect is not None and code not in case.expect:
        out.wrong_exit, out.why = True, f"exit {code}, expected {sorted(case.expect)}"
    elif case.expect_out is not None and case.expect_out not in stdout:
        out.wrong_exit, out.why = True, f"{case.expect_out!r} not in the output"
    human = "--json" not in case.args and not case.data_out
    out.raw = bool(RAW.search(stderr) or (human and RAW.search(stdout)))
    out.changed = code not in (0, None) and not case.may_change and before != after
    if out.traceback:
        out.why = (out.why + "; " if out.why else "") + stderr.strip().splitlines()[-1][:200]
    elif out.raw and not out.why:
        out.why = "raw: " + repr((RAW.search(stderr) or RAW.search(stdout) or re.search("", "")).group())
    if out.changed and not out.why:
        out.why = "changed"
    out.why = (out.why + " | " + stderr.strip()[:160]).strip(" |")
    shutil.rmtree(home, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--kind", type=int, action="append", help="only these kinds (1-11)")
    parser.add_argument("--skip-pg", action="store_true", help="no PostgreSQL cases")
    parser.add_argument("--show-failures", action="store_true", help="list every failing case")
    opts = parser.parse_args(argv)
    tree = Tree(opts.tree.resolve())
    tree.compile()
    tree.start()
    tree.commands = tree.list_commands()
    scratch = Path(tempfile.mkdtemp(prefix="hostile-"))
    template_home = scratch / "template"
    template_home.mkdir()
    seed(tree, template_home)
    template = template_home / "data"
    pg = None if opts.skip_pg else _pg_factory(tree, scratch)
    cases = [c for c in catalogue() if not opts.kind or c.kind in opts.kind]
    if os.environ.get("BEIAN_BENCH_QUICK"):  # `bench/run --quick`: every fifth case, a smoke run
        cases = cases[::5]
    tallies = {k: Tally() for k in KINDS}
    try:
        for case in cases:
            o = run_case(tree, case, template, scratch, pg)
            t = tallies[case.kind]
            t.tried += 1
            if o.na:
                t.na += 1
                continue
            t.tracebacks += o.traceback
            t.wrong += o.wrong_exit
            t.raw += o.raw
            t.changed += o.changed
            if o.traceback or o.wrong_exit or o.raw or o.changed:
                t.failures.append(o)
    finally:
        tree.stop()
        if pg is not None:
            pg.close()  # type: ignore[attr-defined]
        shutil.rmtree(scratch, ignore_errors=True)
    _print(tree, tallies, opts.show_failures)
    return 0


class _PgSchemas:
    """Throwaway PostgreSQL schemas seeded with the portfolio; dropped at the end."""

    def __init__(self, tree: Tree, scratch: Path) -> None:
        import uuid

        import psycopg

        self.psycopg = psycopg
        self.plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        self.tree, self.scratch, self.names, self.url = tree, scratch, [], ""
        self.uuid = uuid
        with psycopg.connect(self.plain, autocommit=True, connect_timeout=3):
            pass

    def __call__(self) -> str:
        if self.names:  # one seeded schema per run: each case compares it before and after
            return self.url
        name = f"hostile_{self.uuid.uuid4().hex[:10]}"
        with self.psycopg.connect(self.plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        self.names.append(name)
        self.url = f"{PG_URL}?options=-csearch_path%3D{name}"
        home = Path(tempfile.mkdtemp(prefix="pgseed-", dir=self.scratch))
        seed(self.tree, home, self.url)
        return self.url

    def close(self) -> None:
        with self.psycopg.connect(self.plain, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _pg_factory(tree: Tree, scratch: Path) -> _PgSchemas | None:
    try:
        return _PgSchemas(tree, scratch)
    except Exception as exc:  # unreachable or not installed: the PostgreSQL cases count as n/a
        print(f"PostgreSQL cases skipped: {exc}", file=sys.stderr)
        return None


def _print(tree: Tree, tallies: dict[int, Tally], show: bool) -> None:
    print(f"tree: {tree.root}")
    head = f"{'kind':<34} {'cases':>5} {'n/a':>4} {'tracebacks':>10} {'wrong exits':>11} {'raw ctl':>7} {'changed':>7}"
    print(head)
    print("-" * len(head))
    total = Tally()
    for k, t in tallies.items():
        if not t.tried:
            continue
        print(
            f"{k:>2}. {KINDS[k]:<30} {t.tried:>5} {t.na:>4} {t.tracebacks:>10} {t.wrong:>11} {t.raw:>7} {t.changed:>7}"
        )
        for name in ("tried", "na", "tracebacks", "wrong", "raw", "changed"):
            setattr(total, name, getattr(total, name) + getattr(t, name))
    print("-" * len(head))
    print(
        f"{'all':<34} {total.tried:>5} {total.na:>4} {total.tracebacks:>10} {total.wrong:>11} {total.raw:>7} {total.changed:>7}"
    )
    if show:
        for k, t in tallies.items():
            for o in t.failures:
                flags = "".join(
                    f
                    for f, on in (("T", o.traceback), ("W", o.wrong_exit), ("R", o.raw), ("C", o.changed))
                    if on
                )
                print(f"[{k}] {flags:<4} {o.case.label()[:110]}\n        -> {o.why[:300]}")


if __name__ == "__main__":
    sys.exit(main())
