"""The README's first command: `claimwatch demo` tells the seed story in under a minute."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_demo_tells_the_story_then_serves_its_page(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    demo = subprocess.Popen(
        [sys.executable, "-m", "cli", "demo", "--serve", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.append(line)
            if line.startswith("serving until Ctrl-C"):
                break
        elapsed = time.monotonic() - started
        output = "".join(lines)
        assert "serving until Ctrl-C" in output, output
        page_line = next(line for line in lines if line.startswith("story page: "))
        page = httpx.get(page_line.removeprefix("story page: ").strip(), timeout=10)
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
    assert elapsed < 60, output
    assert output.count("ALERT contradiction") == 2, output
    for seed in ("002", "001", "000", "003", "004"):
        assert f"  {seed}  story 1" in output, output
    assert page.status_code == 200
    assert "The New Yorker" in page.text and "Obozrevatel" in page.text
