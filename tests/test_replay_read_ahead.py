"""A replay prepares the next articles in other processes (`tasks.prepared`): the tasks
take what was prepared from the same inputs, and the replay decides exactly as without."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from loopback import PARAGRAPHS, Claimwatch
from seeds_expectations import assert_seeds_story

from tasks import prepared

PAGE = ("<html><head><title>Harbour bridge approved</title></head><body><article>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article></body></html>")


@pytest.fixture(autouse=True)
def nothing_prepared() -> Iterator[None]:
    prepared._ready.clear()
    yield
    prepared._ready.clear()


def test_tasks_take_what_was_prepared_from_the_same_inputs_only() -> None:
    ready = prepared.prepare(PAGE, "https://news.example/a", None, None, "News Example", True)
    assert ready is not None and ready.extraction is not None
    prepared.keep(ready)
    extracted = ready.extraction[1]
    assert prepared.extraction(PAGE, "https://news.example/b", date_known=True) is not extracted
    assert prepared.extraction(PAGE, "https://news.example/a", date_known=True) is extracted
    assert prepared.extraction(PAGE, "https://news.example/a", date_known=True) is not extracted
    assert prepared.signature(extracted.text) is ready.signature[1]

    title, read = extracted.title or "", ready.reading[1]
    text, _ = prepared.capped_text(extracted.text)
    assert prepared.reading(title, text, "Other Outlet") is not read
    assert prepared.reading(title, text, "News Example") is read
    assert prepared.reading(title, text, "News Example") == read  # worked out alike


def test_a_page_that_does_not_extract_is_left_to_its_task() -> None:
    assert prepared.prepare("<html></html>", None, None, None, None, False) is None


def test_only_the_newest_results_are_kept() -> None:
    for n in range(prepared.KEPT + 5):
        prepared.keep(prepared.prepare(None, None, f"Headline {n}", None, None, True))
    assert len(prepared._ready) == prepared.KEPT


def test_replay_decides_the_same_with_and_without_reading_ahead(
    claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import analysis.reading
    import cli.replay

    calls: Counter[str] = Counter()
    read_article = analysis.reading.read_article

    def counted(*args: object) -> object:
        calls["read"] += 1  # in this process only: the preparing ones count in their own copies
        return read_article(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis.reading, "read_article", counted)
    ahead = cli.replay.replay(SEEDS)
    assert calls["read"] == 0  # every article was read by a preparing process

    monkeypatch.setenv("CLAIMWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'alone.sqlite'}")
    claimwatch.reset()
    monkeypatch.setattr(cli.replay.os, "cpu_count", lambda: 1)
    alone = cli.replay.replay(SEEDS)
    assert calls["read"] == len([a for a in alone["articles"] if a["story_id"] is not None])
    assert _decisions(ahead) == _decisions(alone)


def _decisions(report: dict) -> list[object]:
    """What the replay decided, without the clock times that differ between two runs."""
    def without_times(value: object) -> object:
        if isinstance(value, dict):
            return {k: without_times(v) for k, v in value.items() if not k.endswith("_at")}
        if isinstance(value, list):
            return [without_times(v) for v in value]
        return value

    return [without_times(report[k]) for k in ("articles", "stories", "alerts")]


def _broken_prepare(*_args: object) -> None:
    raise RuntimeError("a preparing process broke")


def test_a_broken_preparing_process_costs_only_time(
    claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli.replay

    monkeypatch.setattr(prepared, "prepare", _broken_prepare)
    report = cli.replay.replay(SEEDS)
    assert_seeds_story(report)
    assert not report["errors"]


def test_what_warm_up_loads_is_frozen_out_of_collections_and_the_collector_stays_on() -> None:
    """The models and modules loaded before the fork live as long as the process: the
    collector no longer scans them (nor writes to the pages the processes share), but it
    still collects what the articles leave behind."""
    probe = (
        "import gc, json\n"
        "from tasks.context import warm_up\n"
        "before = gc.get_freeze_count()\n"
        "warm_up()\n"
        "class Cycle: pass\n"
        "c = Cycle(); c.me = c; del c\n"
        "print(json.dumps([before, gc.get_freeze_count(), gc.isenabled(), gc.collect()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    before, frozen, enabled, collected = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == 0 and frozen > 100_000  # the stance model, lexicons and libraries
    assert enabled
    assert collected >= 1  # the cycle made after the warm-up is still collected
