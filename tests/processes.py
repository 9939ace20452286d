"""Running claimwatch's long-lived commands as real processes in tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import ROOT
from sqlalchemy import text
from sqlalchemy.engine import Engine

DONE = ("decided", "failed", "duplicate")


def start(argv: list[str], env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen:
    """Start a process with its output in `cwd/name.log`."""
    log = (cwd / f"{name}.log").open("w")
    return subprocess.Popen(
        argv,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CLAIMWATCH_LOG_FORMAT": "json", **env},
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(processes: Iterable[subprocess.Popen]) -> None:
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def logs(cwd: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(cwd.glob("*.log")))


def wait_decided(
    db: Engine,
    external_id: str,
    processes: Iterable[subprocess.Popen],
    cwd: Path,
    timeout: float = 60,
) -> None:
    """Wait until the article went through every step, failing fast if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, logs(cwd)
        with db.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM article WHERE external_id = :id"), {"id": external_id}
            ).scalar()
        if status in DONE:
            assert status == "decided", f"{external_id}: {status}"
            return
        time.sleep(0.25)
    pytest.fail(f"{external_id} not decided within {timeout} s:\n{logs(cwd)}")
