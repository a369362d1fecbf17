"""Issue 17: the feed with every reach option set, as `podcast validate` and the real clients read it.

The show (tests/reach_fixtures.py) sets artwork alt text, an update frequency, no public comments,
a podroll, a per-service block, a blocked episode, a trailer, WebSub hubs and Opus/AAC alternates.
partytime 5.0.0 (the newest) has no parser for podcast:image or podcast:updateFrequency; feedparser
reads those two back instead, and the item's itunes:block.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
from http_helpers import serving
from lxml import etree
from s3_fixtures import run_gpo

from podcast.publishing.feed import PODCAST_NS
from podcast.show.manifest import show_guid

BASE = "https://media.example.org/survivor-voices"
FEED_URL = f"{BASE}/feed.xml"


def _feed(template: dict[str, Any]) -> Path:
    return template["root"] / "feed" / "feed.xml"


def test_every_option_passes_validate(reach_show: Path, cli) -> None:
    result = cli("-C", reach_show, "validate")
    assert result.exit_code == 0, result.stdout
    # The test show keeps example.org addresses (no test may reach a real host): those, and only those, warn.
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert all(line.endswith("[scaffold-address]") for line in warnings), result.stdout
    assert "0 error(s)" in result.stdout and "— the feed is valid" in result.stdout, result.stdout


def test_validate_warns_when_artwork_has_no_alt(reach_show: Path, cli) -> None:
    toml = reach_show / "podcast.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("artwork_alt")))
    result = cli("-C", reach_show, "validate")
    assert result.exit_code == 0  # a warning, not an error
    assert "warning: feed.xml: channel: <podcast:image>" in result.stdout and "[podcast-image-alt]" in result.stdout


def test_partytime_reads_every_option(reach_template: dict[str, Any], partytime, notify_servers) -> None:
    feed = partytime(_feed(reach_template))
    assert feed["guid"] == show_guid(FEED_URL)
    assert feed["pubsub"] == {"self": FEED_URL, "hub": f"{notify_servers.base}/hub"}
    [trailer] = feed["trailers"]
    assert trailer["title"] == "Welcome to Survivor Voices" and trailer["season"] == 1
    assert trailer["url"].startswith(f"{BASE}/media/trailer-") and trailer["type"] == "audio/mpeg"
    assert feed["podroll"] == [
        {
            "feedGuid": "917393e3-1b1e-5cef-ace4-edaa54e1f810",
            "feedUrl": "https://mp3s.nashownotes.com/pc20rss.xml",
            "title": "Podcasting 2.0",
        }
    ]
    assert feed["podcastBlocked"] == "no" and feed["podcastBlockedPlatforms"] == {"google": True}
    episodes = {item["guid"]: item for item in feed["items"]}
    assert set(episodes) == {"8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b", "00000000-0000-4000-8000-000000000171"}
    for item in episodes.values():
        assert item["podcastSocialInteraction"][0]["platform"] == "disabled"
        mp3, opus, aac = item["alternativeEnclosures"]
        assert mp3["default"] is True and mp3["source"][0]["uri"] == item["enclosure"]["url"]
        assert (opus["type"], opus["bitrate"], opus["codecs"]) == ("audio/ogg", 24000, "opus")
        assert (aac["type"], aac["bitrate"], aac["codecs"]) == ("audio/mp4", 64000, "mp4a.40.2")
        for alternate in (mp3, opus, aac):
            assert alternate["integrity"]["type"] == "sri" and alternate["integrity"]["value"].startswith("sha256-")
            published = reach_template["root"] / "feed" / alternate["source"][0]["uri"].removeprefix(f"{BASE}/")
            assert published.stat().st_size == alternate["length"]  # the exact length of the object it names


def test_feedparser_reads_image_alt_frequency_and_episode_block(reach_template: dict[str, Any]) -> None:
    parsed = feedparser.parse(_feed(reach_template).read_bytes())
    assert not parsed.bozo
    assert parsed.feed["podcast_image"]["alt"] == "The words Survivor Voices on a dark blue square"
    assert parsed.feed["podcast_updatefrequency"]["rrule"] == "FREQ=WEEKLY;BYDAY=TU"
    blocked = {entry["id"]: entry.get("itunes_block") for entry in parsed.entries}
    assert blocked == {"00000000-0000-4000-8000-000000000171": 1, "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b": None}
    channel = etree.parse(str(_feed(reach_template))).find("channel")
    frequency = channel.find(f"{{{PODCAST_NS}}}updateFrequency")
    assert frequency.text == "Weekly, on Tuesdays"


def test_podcastparser_keeps_the_mp3_as_the_enclosure(reach_template: dict[str, Any]) -> None:
    parsed = podcastparser.parse(FEED_URL, io.BytesIO(_feed(reach_template).read_bytes()))
    assert [ep["title"] for ep in parsed["episodes"]] == ["A conversation about recovery", "Welcome to Survivor Voices"]
    for episode in parsed["episodes"]:
        [enclosure] = episode["enclosures"]
        assert enclosure["mime_type"] == "audio/mpeg" and enclosure["url"].endswith(".mp3")


def test_gpo_subscribes_and_downloads(reach_show: Path, tmp_path: Path) -> None:
    home, downloads = tmp_path / "gpodder", tmp_path / "downloads"
    with serving(reach_show / "feed", BASE) as url:
        subscribed = run_gpo(home, downloads, "subscribe", f"{url}/feed.xml")
        assert subscribed.returncode == 0 and "error" not in (subscribed.stdout + subscribed.stderr).lower()
        run_gpo(home, downloads, "download")
    with sqlite3.connect(home / "Database") as db:
        rows = sorted(db.execute("SELECT guid, mime_type, state FROM episode"))
    assert [(guid, mime) for guid, mime, _ in rows] == [
        ("00000000-0000-4000-8000-000000000171", "audio/mpeg"),
        ("8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b", "audio/mpeg"),
    ]
    assert {state for _, _, state in rows} == {1}  # gPodder's STATE_DOWNLOADED
    assert len(list(downloads.rglob("*.mp3"))) == 2


def test_validate_online_fetches_the_alternates_like_the_mp3(reach_show: Path, cli) -> None:
    with serving(reach_show / "feed", BASE) as url:
        result = cli("-C", reach_show, "validate", "--online", "--base-url", url)
        assert result.exit_code == 0, result.stdout
        opus = next((reach_show / "feed" / "media").glob("recovery-*.opus"))
        opus.rename(opus.with_suffix(".gone"))
        result = cli("-C", reach_show, "validate", "--online", "--base-url", url)
    assert result.exit_code == 1 and "[online-head]" in result.stdout and opus.name in result.stdout
