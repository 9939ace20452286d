"""The worker's main process (``claimwatch worker``) registers every task but runs none: it
must not load what only running them needs (see tasks/__init__.py). What it loads is in
each pool process too, forked from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

# The analysis package (its entity lexicons) and the libraries behind the domain work.
HEAVY = ("analysis", "numpy", "scipy", "trafilatura", "lxml", "htmldate", "courlan",
         "feedparser", "httpx", "apprise")
MAIN_PROCESS = f"""
import importlib, json, sys
import cli.main, worker.app
for name in worker.app.TASK_MODULES:
    importlib.import_module(name)
print(json.dumps({{
    "tasks": sorted(worker.app.app.tasks),
    "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})),
}}))
"""


def test_loading_the_task_modules_leaves_the_heavy_parts_to_the_pool(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", MAIN_PROCESS],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(out.stdout)
    assert {"tasks.articles.extract_article", "tasks.analyse.analyse_article",
            "tasks.deliver.deliver"} <= set(loaded["tasks"])
    assert loaded["heavy"] == []
