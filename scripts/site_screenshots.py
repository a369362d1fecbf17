"""Make the README's website screenshots: the show page and an episode page at 375 px and 1280 px.

    PYTHONPATH=. .venv/bin/python scripts/site_screenshots.py     # writes docs/site-*.png

It publishes the demo show plus the tests' sample episode (a content warning, a transcript,
chapters) to a temporary folder, serves it with `podcast serve`'s server on 127.0.0.1 and
photographs it with Playwright and Debian's chromium, exactly as tests/site/ does.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from http_helpers import serving  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from site_fixtures import CHROMIUM, make_site_show, publish  # noqa: E402

BASE_URL = "https://media.example.org/survivor-voices"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="site-shots-"))
    try:
        demo = work / "demo"
        demo.mkdir()
        for name in ("podcast.toml", "artwork.jpg"):
            shutil.copy2(REPO / name, demo / name)
        shutil.copytree(REPO / "episodes", demo / "episodes")
        show = make_site_show(work / "show", demo)
        publish(show)
        with serving(show / "feed", BASE_URL) as address, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            for width in (375, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(f"{address}/index.html")
                page.screenshot(path=str(REPO / "docs" / f"site-show-{width}.png"), full_page=True)
                page.goto(f"{address}/episodes/episode-1.html")
                page.get_by_text("Continue to the episode").click()
                page.screenshot(path=str(REPO / "docs" / f"site-episode-{width}.png"), full_page=True)
                page.close()
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("wrote docs/site-show-{375,1280}.png and docs/site-episode-{375,1280}.png")


if __name__ == "__main__":
    main()
