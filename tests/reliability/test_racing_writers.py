"""Four processes updating the same ten filings at once, each update conditional on the version it read:
history gains exactly one row per successful exit, every lost race exits 4, no lock error escapes."""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers.figures import Recorder, scaled
from tests.helpers.load import Inspector, disagreements, next_event, seed_cycling
from tests.helpers.spawn import spawner
from tracker.config import Settings
from tracker.factory import open_store
from tracker.filings.service import FilingService

pytestmark = pytest.mark.slow

WRITERS = 4
FILINGS = 10


def test_racing_writers_one_history_row_per_success_and_exit_4_for_every_conflict(
    any_url: str, child_env: dict[str, str], rng: random.Random, figures: Recorder, tmp_path: Path
) -> None:
    store = open_store(any_url)
    refs = seed_cycling(FilingService(store, Settings()), FILINGS)
    store.dispose()
    look = Inspector(any_url)
    base, rows_before = look.states(), look.history_rows()
    updates = scaled(300, 1000)
    codes: Counter[int] = Counter()
    bad: list[str] = []
    guard = threading.Lock()

    def writer(number: int, seed: float) -> None:
        mine = random.Random(seed)
        reader = Inspector(any_url, pooled=True)
        folder = tmp_path / f"w{number}"
        folder.mkdir()
        try:
            with spawner(folder) as fork:
                for i in range(updates):
                    ref = mine.choice(refs)
                    stage, version = reader.stage_version(ref)
                    step = next_event(stage)
                    argv = ["--db", any_url, "advance", ref, step["event"], "--if-version", str(version)]
                    argv += ["--reason", step["reason"]] if "reason" in step else []
                    argv += ["--note", f"w{number}-{i}"]
                    done = fork.run(argv, child_env)
                    with guard:
                        codes[done.status] += 1
                        err = done.stderr.strip().splitlines()
                        clean = "Traceback" not in done.stderr and (
                            done.status == 0 or (len(err) == 1 and err[0].startswith("beian: error: "))
                        )
                        if not clean or done.status not in (0, 4, 5):
                            bad.append(f"{argv[3:6]} → {done.status}: {done.stderr.strip()}")
        finally:
            reader.dispose()

    threads = [threading.Thread(target=writer, args=(n, rng.random())) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        added = look.history_rows() - rows_before
        problems = disagreements(base, look.states())
        integrity = look.integrity()
    finally:
        look.dispose()
    figures.add(
        updates_attempted=sum(codes.values()),
        updates_succeeded=codes[0],
        conflicts_reported=codes[4],
        tracebacks=len(bad),
        inconsistent=len(problems) + (integrity != ["ok"]),
    )
    backend = any_url.split(":")[0].split("+")[0]
    figures.note(
        f"racing writers on {backend}: {WRITERS} processes x {updates} updates on {FILINGS} filings:"
        f" {codes[0]} ok, {codes[4]} conflicts (exit 4), {codes[5]} busy (exit 5, one line)"
    )
    assert bad == []
    assert added == codes[0], "one history row per successful exit"
    assert problems == [] and integrity == ["ok"]
    assert codes[0] > 0 and sum(codes.values()) == WRITERS * updates
