"""A fork server for `bench/hostile.py`: imports a tree's `beian` once, then runs each request in a fork.

Run with the tree's own interpreter. Requests are JSON lines on stdin: {"args", "env", "cwd", "stdin",
"stdout", "stderr", "timeout"} (file paths); each answer is a JSON line {"code"}, null when the command did not
end within the timeout (it is killed). Each child starts from a process that has imported the CLI and nothing
else: no settings read, no database opened.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time


def child(req: dict) -> None:
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    time.tzset()
    for fd, path, flags in (
        (0, req["stdin"], os.O_RDONLY),
        (1, req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding="utf-8", line_buffering=True
    )
    code = 0
    try:
        from tracker.cli import main

        main(req["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


PRELOAD = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "pydantic_settings",
    "psycopg",
    "transitions",
    "chinese_calendar",
    "tracker.config",
    "tracker.factory",
    "tracker.services",
    "tracker.filings.service",
    "tracker.rules.service",
    "tracker.notify.service",
    "tracker.store.db",
)
"""What most commands import anyway: loaded once here, so a fork pays only for its own work."""


def main() -> None:
    import importlib

    from tracker.cli import main as _beian  # noqa: F401  (imported once, before any fork)

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # a module this tree does not have
            continue

    for line in sys.stdin:
        req = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                child(req)
            finally:
                os._exit(70)  # child() ends the process itself; this only catches a failure to set it up
        deadline = time.monotonic() + req["timeout"]
        code = None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.005)
        print(json.dumps({"code": code}), flush=True)


if __name__ == "__main__":
    main()
