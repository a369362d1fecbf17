"""`podcast review` uploads one private page for the contributor: player, transcript, warning, bleeps, loudness."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from s3_fixtures import anonymous

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def unsigned(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def test_the_review_page_is_private_and_names_only_signed_links(make_s3_show, site_show, cli, browser: Any):
    show = make_s3_show(source=site_show)
    result = cli("-C", show.root, "build", "episode-1")
    assert result.exit_code == 0, result.stderr
    (show.root / "build/episode-1/loudness.svg").write_text(SVG)  # drawn by the build where it exists
    result = cli("-C", show.root, "--json", "review", "episode-1", "--expires", "1h")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    page = report["page"]
    assert page["key"].startswith("review/episode-1-") and page["key"].endswith("/index.html")
    status, headers, body = anonymous(page["url"])
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    text = body.decode()
    for expected in (
        "Review copy: Marigold&#39;s garden",
        "Talks about a garden accident.",
        "No names were hidden",
        "The roses came back this year.",
        "loudness.svg",
        "do not share",
        '<section class="support" aria-label="Support"><p>If you have been affected',  # the support notice
        '<audio id="audio" controls',  # the player
    ):
        assert expected in text, expected
    assert anonymous(unsigned(page["url"]))[0] == 403  # never public

    context = browser.new_context()
    try:
        tab = context.new_page()
        hosts: set[str] = set()
        tab.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        failed: list[str] = []
        tab.on("requestfailed", lambda request: failed.append(request.url))
        tab.goto(page["url"])
        assert tab.locator("img.loudness").evaluate("img => img.naturalWidth") == 10  # the signed picture loads
        assert tab.evaluate("getComputedStyle(document.querySelector('.exit')).borderRadius") != "0px"  # styled
        tab.evaluate("document.getElementById('audio').play()")
        tab.wait_for_timeout(1500)
        assert tab.evaluate("document.getElementById('audio').currentTime") > 0
        assert hosts == {urlsplit(page["url"]).netloc} and failed == []
    finally:
        context.close()
