"""The website's files as published: what is on each page, what is not, and how they are named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from podcast.site.render import CSP

FEED = "https://media.example.org/survivor-voices/feed.xml"


def page(site_show: Path, key: str) -> str:
    return (site_show / "feed" / key).read_text(encoding="utf-8")


def test_every_page_is_published_and_embargoed_episodes_have_none(site_show):
    feed = site_show / "feed"
    pages = sorted(p.relative_to(feed).as_posix() for p in feed.rglob("*.html") if p.parent.name != "transcripts")
    assert pages == ["404.html", "episodes/episode-1.html", "episodes/trailer.html", "index.html"]
    everything = "".join(
        p.read_text(encoding="utf-8") for p in feed.rglob("*") if p.suffix in (".html", ".xml", ".txt")
    )
    assert "Not yet" not in everything and "later" not in re.findall(r"episodes/([a-z0-9-]+)\.html", everything)


def test_the_show_page_lists_episodes_newest_first_with_their_warnings(site_show):
    tree = html.fromstring(page(site_show, "index.html"))
    links = [a.get("href") for a in tree.cssselect("ol.episodes h3 a")]
    assert links == ["episodes/episode-1.html", "episodes/trailer.html"]
    assert "Talks about a garden accident." in tree.cssselect("ol.episodes li")[0].text_content()
    assert tree.cssselect("img.art")[0].get("alt") == "Survivor Voices artwork"
    assert tree.cssselect("#feed-url")[0].get("value") == FEED
    assert tree.cssselect('link[rel="alternate"][type="application/rss+xml"]')[0].get("href") == FEED
    assert "help is available" in tree.cssselect("aside.notice")[0].text_content()
    assert tree.cssselect('a[href="https://example.org/donate"]')
    apps = {a.text_content(): a.get("href") for a in tree.cssselect("ul.apps a")}
    assert (
        apps["Overcast"]
        == "overcast://x-callback-url/add?url=https%3A%2F%2Fmedia.example.org%2Fsurvivor-voices%2Ffeed.xml"
    )
    assert apps["Pocket Casts"] == "pktc://subscribe/media.example.org/survivor-voices/feed.xml"
    assert tree.cssselect("figure.qr-code svg path")  # the QR code is drawn here, not fetched


def test_the_episode_page_has_warning_before_player_chapters_and_transcript(site_show):
    text = page(site_show, "episodes/episode-1.html")
    tree = html.fromstring(text)
    assert text.index('class="warning"') < text.index("<audio")
    gate = tree.cssselect("details.gate")[0]
    assert gate.cssselect("summary")[0].text_content() == "Continue to the episode" and gate.get("open") is None
    audio = tree.cssselect("audio")[0]
    assert audio.get("preload") == "none" and audio.get("controls") is not None
    sources = audio.cssselect("source")
    assert sources[0].get("type") == "audio/mpeg" and re.fullmatch(
        r"\.\./media/episode-1-[0-9a-f]{12}\.mp3", sources[0].get("src")
    )
    track = audio.cssselect("track")[0]
    assert track.get("kind") == "captions" and track.get("src").endswith(".vtt") and track.get("srclang") == "en-GB"
    assert [b.get("data-t") for b in tree.cssselect("ol.chapters button.seek")] == ["0.0", "5.0"]
    cues = tree.cssselect(".cues p.cue")
    assert [c.get("data-start") for c in cues] == ["0.0", "3.0", "6.0"]
    assert "The roses came back this year." in cues[1].text_content()
    assert tree.cssselect("a.download")[0].get("href") == sources[0].get("src")
    assert "help is available" in tree.cssselect("footer .support")[0].text_content()


def test_pages_are_private_by_construction(site_show):
    for key in ("index.html", "episodes/episode-1.html", "404.html"):
        tree = html.fromstring(page(site_show, key))
        assert tree.cssselect('meta[name="referrer"]')[0].get("content") == "no-referrer"
        assert tree.cssselect('meta[http-equiv="Content-Security-Policy"]')[0].get("content") == CSP
        loaded = [e.get("src") for e in tree.cssselect("[src]")] + [
            e.get("href") for e in tree.cssselect('link[rel="stylesheet"]')
        ]
        assert loaded and not [url for url in loaded if "//" in url or url.startswith("/") and key != "404.html"]
        assert tree.get("lang") == "en-GB"
        assert tree.cssselect("a.skip")[0].get("href") == "#main"
        assert tree.cssselect("a#quick-exit")[0].get("href") == "https://www.bbc.co.uk/weather"


def test_links_point_to_files_not_folders(site_show):
    for key in ("index.html", "episodes/episode-1.html", "episodes/trailer.html"):
        tree = html.fromstring(page(site_show, key))
        local = [
            a.get("href")
            for a in tree.cssselect("a[href]")
            if ":" not in a.get("href") and not a.get("href").startswith("#")
        ]
        assert local and all(re.search(r"\.[a-z0-9]+$", href) for href in local), local


def test_json_ld_open_graph_robots_and_sitemap(site_show):
    import json

    tree = html.fromstring(page(site_show, "episodes/episode-1.html"))
    data = json.loads(tree.cssselect('script[type="application/ld+json"]')[0].text)
    assert data["@type"] == "PodcastEpisode" and data["partOfSeries"]["webFeed"] == FEED
    assert tree.cssselect('meta[property="og:title"]')[0].get("content") == "Marigold's garden"
    show_ld = json.loads(
        html.fromstring(page(site_show, "index.html")).cssselect('script[type="application/ld+json"]')[0].text
    )
    assert show_ld["@type"] == "PodcastSeries"
    assert "Sitemap: https://media.example.org/survivor-voices/sitemap.xml" in page(site_show, "robots.txt")
    sitemap = page(site_show, "sitemap.xml")
    assert "/episodes/episode-1.html</loc>" in sitemap and "/episodes/later.html" not in sitemap


def test_page_weight_is_at_most_40_kb(site_show):
    feed = site_show / "feed"
    assets = sum(p.stat().st_size for p in (feed / "assets").iterdir())
    for key in ("index.html", "episodes/episode-1.html", "404.html"):
        tree = html.fromstring(page(site_show, key))
        transcript = sum(len(c.text_content().encode()) for c in tree.cssselect(".cues p"))
        weight = len(page(site_show, key).encode()) - transcript + assets
        assert weight <= 40_000, (key, weight)


def test_state_record_lists_the_pages_so_unchanged_ones_are_skipped(site_show):
    import json

    state = json.loads((site_show / "feed/.podcast/state.json").read_text())
    assert {"index.html", "episodes/episode-1.html", "sitemap.xml", "robots.txt", "404.html"} <= set(state["objects"])
    assert not [key for key in state["objects"] if "later" in key]


@pytest.mark.parametrize("block", [True, False])
def test_robots_honours_block(tmp_path, block):
    import shutil

    from site_fixtures import REPO

    from podcast.show.model import load_show
    from podcast.site.render import render_site

    shutil.copy2(REPO / "artwork.jpg", tmp_path / "artwork.jpg")
    text = (REPO / "podcast.toml").read_text().replace("locked = true", f"locked = true\nblock = {str(block).lower()}")
    (tmp_path / "podcast.toml").write_text(text)
    files = {
        f.key: f
        for f in render_site(
            load_show(tmp_path),
            base_url="https://x.org",
            feed_url="https://x.org/feed.xml",
            artwork_key="artwork/a.jpg",
            episodes=[],
        )
    }
    robots = files["robots.txt"].data.decode()
    assert ("Disallow: /\n" in robots) is block
    assert (b'name="robots" content="noindex' in files["index.html"].data) is block


def test_subscribe_links_for_apple_and_spotify_appear_when_set(tmp_path):
    import shutil

    from lxml import html as lxml_html
    from site_fixtures import REPO

    from podcast.show.model import load_show
    from podcast.site.render import render_site

    shutil.copy2(REPO / "artwork.jpg", tmp_path / "artwork.jpg")
    base = (REPO / "podcast.toml").read_text()
    options = {"base_url": "https://x.org", "feed_url": "https://x.org/feed.xml", "artwork_key": "artwork/a.jpg"}
    (tmp_path / "podcast.toml").write_text(base)
    plain = next(f for f in render_site(load_show(tmp_path), episodes=[], **options) if f.key == "index.html")
    assert b"Apple Podcasts" not in plain.data and b"Spotify" not in plain.data
    apple, spotify = "https://podcasts.apple.com/gb/podcast/id1", "https://open.spotify.com/show/abc"
    (tmp_path / "podcast.toml").write_text(
        f'{base}\n[site]\napple_podcasts_url = "{apple}"\nspotify_url = "{spotify}"\n'
    )
    page = next(f for f in render_site(load_show(tmp_path), episodes=[], **options) if f.key == "index.html")
    links = {a.text_content(): a.get("href") for a in lxml_html.fromstring(page.data).cssselect("ul.apps a")}
    assert links["Apple Podcasts"] == apple and links["Spotify"] == spotify
