"""kill -9 at random moments of `beian apply` and `beian advance`, on SQLite and PostgreSQL.

After every kill: each transition a process acknowledged is present exactly once, no transition is present
twice, every filing's stage, version, return count, history and outbox agree, SQLite's integrity check is
clean, and the next process simply runs (no repair step exists or is needed).
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest

from tests.helpers.figures import Recorder, scaled
from tests.helpers.load import NEXT_STAGE, Inspector, disagreements, next_event, seed_cycling
from tests.helpers.spawn import Exit, Spawner
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = pytest.mark.slow

FILINGS = 10
LINES = 24
"""Lines per `beian apply` run."""
_TEXT_ACK = re.compile(r"^line (\d+): \S+ \S+ → ")


def _acknowledged_lines(out: str) -> set[int]:
    """Line numbers `beian apply` reported as applied: JSON objects (one per line) or its text report."""
    done: set[int] = set()
    for raw in out.splitlines():
        text = raw.strip()
        if text.startswith("{"):
            try:
                item = json.loads(text)
            except ValueError:
                continue  # the last line of a killed run may be cut short
            number = item.get("line", item.get("number"))
            if item.get("ok") and isinstance(number, int):
                done.add(number)
        elif match := _TEXT_ACK.match(text):
            done.add(int(match.group(1)))
    return done


def _apply_run(
    url: str, stages: dict[str, str], refs: list[str], rng: random.Random, tag: str, folder: Path
) -> tuple[list[str], Path, list[str]]:
    """A JSON Lines file of events that follow on from `stages`; returns argv, the file and each line's note."""
    simulated = dict(stages)
    lines, notes = [], []
    for i in range(LINES):
        ref = rng.choice(refs)
        step = next_event(simulated[ref])
        simulated[ref] = NEXT_STAGE[simulated[ref]]
        note = f"{tag}-{i + 1}"
        lines.append(json.dumps({"ref": ref, **step, "note": note, "by": "kill-test"}, ensure_ascii=False))
        notes.append(note)
    path = folder / f"{tag}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["--db", url, "apply", "--json", str(path)], path, notes


def test_kill_9_during_apply_and_advance_loses_and_duplicates_nothing(
    any_url: str,
    fork: Spawner,
    child_env: dict[str, str],
    rng: random.Random,
    figures: Recorder,
    tmp_path: Path,
) -> None:
    store = open_store(any_url)
    refs = seed_cycling(FilingService(store, Settings()), FILINGS)
    store.dispose()
    look = Inspector(any_url)
    base = look.states()
    wanted = scaled(100, 500)
    kills = finished = 0
    acknowledged: set[str] = set()
    estimate: dict[str, float] = {}
    runs = 0
    try:
        while kills < wanted and runs < wanted * 3:
            runs += 1
            stages = {ref: s.stage for ref, s in look.states().items()}
            mode = "apply" if rng.random() < 0.6 else "advance"
            tag = f"k{runs}"
            if mode == "apply":
                argv, _, notes = _apply_run(any_url, stages, refs, rng, tag, tmp_path)
            else:
                ref = rng.choice(refs)
                step = next_event(stages[ref])
                argv = ["--db", any_url, "advance", ref, step["event"], "--note", tag, "--by", "kill-test"]
                argv += ["--reason", step["reason"]] if "reason" in step else []
                notes = [tag]
            started = time.monotonic()
            pid = fork.spawn(argv, child_env)
            if mode in estimate:
                time.sleep(
                    rng.uniform(0.0, estimate[mode])
                )  # a random moment of the run, from the seeded RNG
                fork.kill(pid)
            done: Exit = fork.wait(pid)
            took = time.monotonic() - started
            if not done.killed:
                finished += 1
                estimate[mode] = took if mode not in estimate else 0.7 * estimate[mode] + 0.3 * took
                assert done.status == 0, (argv, done)
                assert "Traceback" not in done.stderr, done.stderr
            else:
                kills += 1
            if mode == "advance":
                acknowledged.update(notes if done.status == 0 else [])
            else:
                acknowledged.update(notes[n - 1] for n in _acknowledged_lines(done.stdout))
                if done.status == 0:
                    assert _acknowledged_lines(done.stdout) == set(range(1, LINES + 1)), done.stdout

            present = look.notes()
            assert [n for n in acknowledged if present[n] != 1] == [], "an acknowledged transition is missing"
            assert [n for n, c in present.items() if c > 1] == [], "a transition was recorded twice"
            assert disagreements(base, look.states()) == []
            assert look.integrity() == ["ok"]

        # the next runs need no repair: they simply work
        stages = {ref: s.stage for ref, s in look.states().items()}
        argv, _, notes = _apply_run(any_url, stages, refs, rng, "final", tmp_path)
        final = fork.run(argv, child_env)
        assert final.status == 0 and _acknowledged_lines(final.stdout) == set(range(1, LINES + 1)), final
        assert all(look.notes()[n] == 1 for n in notes)
        assert disagreements(base, look.states()) == [] and look.integrity() == ["ok"]
        checked = look.history_rows()
    finally:
        look.dispose()
    assert kills >= wanted, f"only {kills} of {runs} runs were killed before they finished"
    backend = any_url.split(":")[0].split("+")[0]
    figures.add_named("kills survived, " + ("SQLite" if backend == "sqlite" else "PostgreSQL"), kills)
    figures.add(
        transitions_checked=checked,
        acknowledged=len(acknowledged),
        lost=0,
        duplicated=0,
        inconsistent=0,
    )
    figures.note(
        f"kill -9 on {backend}: {kills} kills in {runs} runs of apply ({LINES} lines) and advance, {finished} finished"
    )
