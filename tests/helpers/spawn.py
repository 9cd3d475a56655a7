"""`beian` processes started in milliseconds: a fork server that has imported the CLI once.

Starting a fresh interpreter and importing SQLAlchemy, SQLModel and the CLI costs a few hundred milliseconds;
the reliability tests start thousands of `beian` processes and kill many of them. The server (run as
`python -m tests.helpers.spawn`) imports everything once, then forks one child per request. A child is a real
process running `beian ARGV` exactly as the console entry point would (`tracker.cli.main`), with its own
stdin, stdout and stderr files, environment and exit code; it can be SIGKILLed by pid like any other.

Protocol, one JSON object per line on the server's stdin/stdout:
`{"op": "spawn", "argv": [...], "env": {...}, "stdin": path|null, "stdout": path, "stderr": path}` → `{"pid": N}`;
`{"op": "wait", "pid": N}` → `{"status": code}` (negative: killed by that signal); `{"op": "exit"}`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.probes import ROOT

PREIMPORT = (
    "tracker.cli.main",
    "tracker.cli.commands.events",
    "tracker.cli.commands.filings",
    "tracker.cli.commands.notify",
    "tracker.cli.commands.setup",
    "tracker.cli.commands.orgs",
    "tracker.cli.commands.rules",
    "tracker.factory",
    "tracker.config",
    "tracker.filings.service",
    "tracker.filings.apply",
    "tracker.notify.service",
    "tracker.notify.dispatch",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "twilio.rest",
)


@dataclass(frozen=True)
class Exit:
    """How a child ended: its exit code, or minus the signal that killed it; and what it wrote."""

    status: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        """Ended by a signal."""
        return self.status < 0


class Spawner:
    """A running fork server, used from one thread (start one per concurrent worker)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._serial = 0
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self._server = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.spawn"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
            bufsize=1,
        )
        self._ask({"op": "ping"})
        self._files: dict[int, tuple[Path, Path]] = {}

    def _ask(self, request: Mapping[str, object]) -> dict[str, int]:
        assert self._server.stdin is not None and self._server.stdout is not None
        self._server.stdin.write(json.dumps(request) + "\n")
        self._server.stdin.flush()
        line = self._server.stdout.readline()
        if not line:
            raise RuntimeError("the fork server died")
        answer: dict[str, int] = json.loads(line)
        return answer

    def spawn(self, argv: Sequence[str], env: Mapping[str, str], stdin: Path | None = None) -> int:
        """Start `beian ARGV`; returns its pid."""
        self._serial += 1
        out, err = (
            self.workdir / f"{id(self)}-{self._serial}.out",
            self.workdir / f"{id(self)}-{self._serial}.err",
        )
        pid = self._ask(
            {
                "op": "spawn",
                "argv": list(argv),
                "env": dict(env),
                "stdin": str(stdin) if stdin else None,
                "stdout": str(out),
                "stderr": str(err),
            }
        )["pid"]
        self._files[pid] = (out, err)
        return pid

    def wait(self, pid: int) -> Exit:
        """Wait for the child and read what it wrote."""
        status = self._ask({"op": "wait", "pid": pid})["status"]
        out, err = self._files.pop(pid)
        return Exit(status, _read(out), _read(err))

    def run(self, argv: Sequence[str], env: Mapping[str, str], stdin: Path | None = None) -> Exit:
        """Start `beian ARGV` and wait for it."""
        return self.wait(self.spawn(argv, env, stdin))

    @staticmethod
    def kill(pid: int) -> None:
        """SIGKILL the child (it may have exited already)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Stop the server."""
        with contextlib.suppress(Exception):
            self._ask({"op": "exit"})
        with contextlib.suppress(Exception):
            self._server.wait(timeout=10)
        if self._server.poll() is None:
            self._server.kill()
            self._server.wait()


def _read(path: Path) -> str:
    """What a child wrote to the file (nothing, when it was killed before opening it)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


@contextlib.contextmanager
def spawner(workdir: Path) -> Iterator[Spawner]:
    """A fork server for the duration of the block; children's output files go to `workdir`."""
    running = Spawner(workdir)
    try:
        yield running
    finally:
        running.close()


def _child(request: dict[str, object]) -> int:  # pragma: no cover - runs in the forked child
    import io
    import time
    import traceback

    def fd(path: object, flags: int, target: int) -> None:
        opened = os.open(str(path) if path else os.devnull, flags, 0o600)
        os.dup2(opened, target)
        os.close(opened)

    fd(request["stdin"], os.O_RDONLY, 0)
    fd(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 1)
    fd(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 2)
    # fresh streams as a new process would have them: a file is block-buffered, nothing inherited
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    from tracker.cli import main

    code = 0
    try:
        argv = request["argv"]
        assert isinstance(argv, list)
        main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 70
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def _warm_up() -> None:  # pragma: no cover - the server process
    """Run the commands children run most (`advance`, `apply`) once on a throwaway SQLite file, so that what
    Python and SQLAlchemy build on first use (lazy imports, statements, mapper set-up) is inherited by every
    child instead of being built in each one. Nothing of it is printed."""
    import io
    import tempfile

    from tests.helpers.load import seed_cycling
    from tracker.cli import main
    from tracker.config import Settings
    from tracker.factory import open_store
    from tracker.filings.service import FilingService

    with (
        tempfile.TemporaryDirectory() as folder,
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        url = f"sqlite:///{folder}/warm.db"
        store = open_store(url, create=True)
        [ref] = seed_cycling(FilingService(store, Settings()), 1)
        store.dispose()
        lines = Path(folder) / "warm.jsonl"
        lines.write_text(f'{{"ref": "{ref}", "event": "resubmit"}}\n', encoding="utf-8")
        for argv in (
            ["advance", ref, "return_for_revision", "--reason", "warm", "--if-version", "1"],
            ["advance", ref, "return_for_revision", "--reason", "warm"],
            ["apply", "--json", str(lines)],
        ):
            with contextlib.suppress(SystemExit):
                main(["--db", url, *argv])


def _serve() -> None:  # pragma: no cover - the server process
    import importlib

    for name in PREIMPORT:
        importlib.import_module(name)
    sys.modules["tracker.cli.main"]._register_commands()
    _warm_up()
    import gc

    gc.collect()
    gc.freeze()  # children's collections leave the inherited objects alone: fewer copied pages per child
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "ping":
            answer: dict[str, int] = {"ok": 1}
        elif op == "spawn":
            out.flush()
            pid = os.fork()
            if pid == 0:
                os._exit(_child(request))
            answer = {"pid": pid}
        elif op == "wait":
            _, status = os.waitpid(int(request["pid"]), 0)
            answer = {"status": -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)}
        else:
            break
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":  # pragma: no cover
    _serve()
