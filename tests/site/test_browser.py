"""The website in a real browser: Playwright drives Debian's Chromium against `podcast serve` on 127.0.0.1.

One browser and one published show serve the whole session; each test opens its own context
(no shared cookies, storage or history), so the tests stay independent and fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from site_fixtures import REPO

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
EXIT_URL = "https://www.bbc.co.uk/weather"
PAGES = ["index.html", "episodes/episode-1.html", "episodes/trailer.html", "no-such-page.html"]
# Records every attempt to use cookies or storage, before any script of the page runs.
WATCH_STORAGE = """
window.__stored = [];
for (const name of ["localStorage", "sessionStorage"]) {
  try { const store = window[name]; const set = store.setItem.bind(store);
        store.setItem = (k, v) => { window.__stored.push(name); return set(k, v); }; } catch (e) {}
}
const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
Object.defineProperty(document, "cookie", {
  get() { return cookie.get.call(document); },
  set(v) { window.__stored.push("cookie"); return cookie.set.call(document, v); },
});
"""


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def wait_until(page: Any, expression: str, *, timeout_s: float) -> None:
    """Poll ``expression`` in the page (wait_for_function would need 'unsafe-eval', which our CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def start_playing(page: Any, served: str) -> None:
    page.goto(f"{served}/episodes/episode-1.html")
    page.get_by_text("Continue to the episode").click()
    page.locator("ol.chapters button.seek").first.click()
    wait_until(page, "document.getElementById('audio').currentTime > 0.5", timeout_s=15)


def test_the_audio_plays_and_its_time_advances(page, served):
    start_playing(page, served)
    assert page.evaluate("!document.getElementById('audio').paused")
    assert page.evaluate("document.getElementById('audio').currentSrc").endswith(".mp3")


def test_the_content_warning_comes_before_playing(page, served):
    page.goto(f"{served}/episodes/episode-1.html")
    assert page.locator("aside.warning").is_visible()
    assert not page.locator("audio").is_visible()
    page.get_by_role("group").get_by_text("Continue to the episode").press("Enter")  # by keyboard
    assert page.locator("audio").is_visible()
    assert page.evaluate("document.getElementById('audio').paused")  # continuing does not start it


def test_chapters_and_transcript_cues_seek(page, served):
    start_playing(page, served)
    page.get_by_role("button", name="The roses").click()
    wait_until(page, "document.getElementById('audio').currentTime >= 5", timeout_s=10)
    page.get_by_role("button", name="Play from 0:03").click()
    position = page.evaluate("document.getElementById('audio').currentTime")
    assert 3 <= position < 5
    page.locator("#follow").check()
    page.wait_for_selector(".cue.now[aria-current='true']", timeout=10000)


def test_speed_and_share_from_this_moment(page, served):
    start_playing(page, served)
    page.select_option("#speed", "1.5")
    assert page.evaluate("document.getElementById('audio').playbackRate") == 1.5
    page.get_by_role("button", name="The roses").click()
    wait_until(page, "document.getElementById('audio').currentTime >= 5", timeout_s=10)
    page.get_by_role("button", name="Share from this moment").click()
    shared = page.locator("#share-url").input_value()
    assert shared.startswith(f"{served}/episodes/episode-1.html#t=") and int(shared.split("=")[1]) >= 5
    other = page.context.new_page()  # whoever opens the link starts there, after the warning step
    other.goto(shared)
    other.get_by_text("Continue to the episode").click()
    other.evaluate("document.getElementById('audio').play()")
    wait_until(other, "document.getElementById('audio').currentTime >= 5", timeout_s=10)


def test_quick_exit_leaves_no_history_entry(page, served):
    page.route(EXIT_URL, lambda route: route.fulfill(body="<title>Weather</title>", content_type="text/html"))
    page.goto(f"{served}/index.html")
    page.get_by_role("link", name="Marigold's garden").click()
    page.wait_for_url("**/episodes/episode-1.html")
    length = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT_URL)
    assert page.evaluate("history.length") == length  # replaced, not added
    page.go_back()
    assert page.url == f"{served}/index.html"  # the episode page is gone from the history
    page.goto(f"{served}/index.html")
    page.get_by_role("link", name="Leave this site").click()
    page.wait_for_url(EXIT_URL)


def test_no_request_leaves_the_site_and_nothing_is_stored(context, served):
    context.add_init_script(WATCH_STORAGE)
    page = context.new_page()
    hosts, blocked = set(), []
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    for key in PAGES:
        page.goto(f"{served}/{key}")
    start_playing(page, served)
    page.get_by_role("button", name="Share from this moment").click()
    page.goto(f"{served}/index.html")
    page.locator("button.copy").click()
    assert hosts == {urlsplit(served).netloc}
    assert blocked == []  # nothing of ours trips the Content-Security-Policy
    assert page.evaluate("window.__stored") == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert context.cookies() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(browser, served, scheme):
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)  # only to inject axe-core itself
    try:
        page = context.new_page()
        for key in ["index.html", "episodes/episode-1.html", "no-such-page.html"]:
            page.goto(f"{served}/{key}")
            if key.startswith("episodes/"):
                page.get_by_text("Continue to the episode").click()
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']})"
            )
            violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
            assert violations == [], (key, violations)
    finally:
        context.close()


def test_the_site_works_without_javascript(browser, served):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{served}/episodes/episode-1.html")
        page.get_by_text("Continue to the episode").click()  # <details> needs no script
        audio = page.locator("audio")
        assert audio.is_visible() and audio.get_attribute("controls") is not None
        assert page.get_by_text("The roses came back this year.").is_visible()
        assert not page.locator(".controls").is_visible()  # script-only controls stay hidden
        assert page.locator("a.download").is_visible()
        page.goto(f"{served}/index.html")
        page.get_by_role("link", name="Marigold's garden").click()
        page.wait_for_url("**/episodes/episode-1.html")
        assert page.get_by_role("link", name="Leave this site").get_attribute("href") == EXIT_URL
    finally:
        context.close()


def test_keyboard_skip_link_and_reflow_at_320_px(browser, served):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        for key in ["index.html", "episodes/episode-1.html"]:
            page.goto(f"{served}/{key}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, key
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused == "Skip to content"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # visible focus
        assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0  # shown, not off-screen
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        context.close()


def test_screenshots_for_the_readme(browser, served, tmp_path: Path):
    """The README's screenshots are made the same way (scripts/site_screenshots.py); here: they render."""
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{served}/index.html")
        shot = page.screenshot(path=str(tmp_path / "show.png"), full_page=True)
        assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        context.close()
