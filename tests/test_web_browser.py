"""The story page in a real browser: `claimwatch web` serving the replayed seeds story.

Drives Debian's headless Chromium with Playwright (never a browser Playwright downloads).
Screenshots go to artifacts/ for people to look at. Without Chromium the tests fail with
the reason, unless CLAIMWATCH_SKIP_BROWSER=1 says to skip them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port
from test_web_support import (
    SEED_CONTRADICTIONS,
    SEED_ORDER,
    SEED_SOURCES,
    SEED_STANCES,
    TOKEN,
    seeds_environment,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"

if os.environ.get("CLAIMWATCH_SKIP_BROWSER") == "1":
    pytest.skip("CLAIMWATCH_SKIP_BROWSER=1", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.integration  # Chromium and the web server as a process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`claimwatch web` on a free loopback port over a copy of the seeds database."""
    seeds = seeds_environment()
    copy = tmp_path_factory.mktemp("web") / "claimwatch.sqlite"
    source = sqlite3.connect(seeds["CLAIMWATCH_DATABASE_URL"].removeprefix("sqlite:///"))
    with closing(source), closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        **seeds,
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{copy}",
        "CLAIMWATCH_API_TOKEN": TOKEN,
        "CLAIMWATCH_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "web", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"claimwatch web did not start:\n{process.communicate()[0]}")
        time.sleep(0.1)
    yield base
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert TOKEN not in output, "the API token leaked into the server's output"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's browser with "
            "`apt-get update && apt-get install -y chromium` (.ci/run does), "
            "or set CLAIMWATCH_SKIP_BROWSER=1 to skip the browser tests"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_story_page_shows_the_seeds_story(server: str, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server)
    page.get_by_role("link", name="Elon Musk spoke to Putin").first.click()
    expect(page.locator("h1")).to_contain_text("Putin")
    assert "/stories/" in page.url

    reports = page.locator("li.report")
    assert [reports.nth(i).get_attribute("data-ref") for i in range(5)] == SEED_ORDER
    for i, ref in enumerate(SEED_ORDER):
        report = reports.nth(i)
        assert report.get_attribute("data-stance") == SEED_STANCES[ref]
        expect(report.locator(".badge")).to_have_text(SEED_STANCES[ref].capitalize())

    marks = page.locator("svg.timeline a.mark")
    assert marks.count() == 5
    assert [marks.nth(i).get_attribute("data-stance") for i in range(5)] == [
        SEED_STANCES[ref] for ref in SEED_ORDER
    ]
    assert page.locator("svg.timeline a.contradiction-link").count() == 3

    cards = page.locator("article.contradiction")
    found = {
        cards.nth(i).get_attribute("data-article"): set(
            (cards.nth(i).get_attribute("data-contradicts") or "").split()
        )
        for i in range(cards.count())
    }
    assert found == SEED_CONTRADICTIONS
    denial = page.locator('article.contradiction[data-article="000"]')
    expect(denial).to_contain_text("Musk denies any such conversation.")
    expect(denial).to_contain_text("spoke with Russian President Vladimir Putin")

    sources = page.locator("#sources").locator("xpath=following-sibling::div[1]")
    for name in SEED_SOURCES:
        expect(sources.locator(f'tr[data-source="{name}"]')).to_be_visible()
    expect(sources).to_contain_text("The US Sun")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "story-page.png", full_page=True)
    page.locator("figure").screenshot(path=ARTIFACTS / "story-timeline.png")
    assert all(url.startswith(server) for url in requested), requested


def test_operator_signs_in_and_manages_a_feed(server: str, page: Page) -> None:
    page.goto(f"{server}/feeds")
    expect(page.get_by_text("Changes need the operator token")).to_be_visible()
    page.goto(f"{server}/signin?next=/feeds")
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text("Signed in.")
    page.get_by_label("Feed URL").fill("https://news.example/rss.xml")
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_role("status")).to_contain_text("added")
    row = page.locator("tr", has_text="https://news.example/rss.xml")
    expect(row).to_be_visible()
    page.screenshot(path=ARTIFACTS / "feeds-page.png", full_page=True)
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_contain_text("removed")
    expect(page.locator("tr", has_text="https://news.example/rss.xml")).to_have_count(0)


def test_front_and_alerts_pages(server: str, page: Page) -> None:
    page.goto(server)
    expect(page.locator("tr.story-row")).to_have_count(1)
    expect(page.locator("tr.story-row")).to_contain_text("Disputed")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "front-page.png", full_page=True)
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.locator("article[data-kind]")).to_have_count(4)
    page.get_by_label("Kind").select_option("contradiction")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("article[data-kind]")).to_have_count(2)
    page.screenshot(path=ARTIFACTS / "alerts-page.png", full_page=True)


def test_write_api_on_the_real_server(server: str) -> None:
    body = {"id": "browser-test-claim", "text": "Musk spoke with Putin in 2022"}
    assert httpx.post(f"{server}/api/claims", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.post(f"{server}/api/claims", json=body, headers=wrong).status_code == 403
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(f"{server}/api/claims", json=body, headers=auth).status_code == 201
    removed = httpx.delete(f"{server}/api/claims/browser-test-claim", headers=auth)
    assert removed.status_code == 204
