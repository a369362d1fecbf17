"""Real consumers read our feeds: podcast-partytime (Podcast Index), podcastparser (gPodder), feedparser."""

from __future__ import annotations

import io
from pathlib import Path

import feedparser
import podcastparser
import pytest
from feedcases import case_paths, load_case

from podcast.publishing.feed import build_feed

CASES = case_paths()
FULL = next(p for p in CASES if p.stem == "full")


def _write(case: Path, tmp_path: Path) -> tuple[Path, list]:
    channel, items = load_case(case)
    path = tmp_path / f"{case.stem}.xml"
    path.write_bytes(build_feed(channel, items))
    return path, items


def test_partytime_reads_podcasting20_tags(tmp_path: Path, partytime) -> None:
    path, _ = _write(FULL, tmp_path)
    feed = partytime(path)
    support = {tag for tags in feed["pc20support"].values() for tag in tags}
    assert support >= {
        "guid",
        "locked",
        "funding",
        "person",
        "season",
        "episode",
        "transcript",
        "chapters",
        "license",
        "medium",
        "txt",
    }
    assert feed["guid"] == "d0a278d3-5aea-54c2-818d-db9b9d81fa3e"
    assert feed["locked"] is True and feed["podcastOwner"] == "podcast@example.org"
    assert feed["podcastFunding"] == [{"message": "Make a donation", "url": "https://example.org/donate"}]
    assert [(p["name"], p["role"], p["group"]) for p in feed["podcastPeople"]] == [
        ("Alex Host", "Host", "Cast"),
        ("Sam Producer", "Producer", "Audio Production"),
    ]
    assert feed["podcastTxt"] == [{"value": "abcdef0123456789", "purpose": "applepodcastsverify"}]
    assert feed["medium"] == "podcast" and feed["license"]["identifier"] == "cc-by-nc-nd-4.0"
    assert feed["itunesNewFeedUrl"] == "https://feeds.example.net/full.xml"
    episode = next(item for item in feed["items"] if item["guid"] == "00000000-0000-4000-8000-000000000001")
    assert episode["podcastSeason"] == {"number": 1} and episode["podcastEpisode"] == {"number": 1}
    assert episode["itunesEpisodeType"] == "full" and episode["itunesSeason"] == 1 and episode["itunesEpisode"] == 1
    assert [t["type"] for t in episode["podcastTranscripts"]] == ["text/vtt", "text/plain"]
    assert episode["podcastChapters"]["type"] == "application/json+chapters"
    assert episode["podcastPeople"] == [
        {"name": "Jordan Guest", "role": "Guest", "group": "Cast", "img": "https://example.org/guests/jordan.png"}
    ]
    assert episode["enclosure"] == {
        "url": "https://media.example.org/full/media/episode-1-1a2b3c4d5e6f.mp3",
        "length": 31415926,
        "type": "audio/mpeg",
    }
    assert [item["title"] for item in feed["items"]][0].startswith("Bonus")  # newest first


def test_partytime_reads_block_and_complete(tmp_path: Path, partytime) -> None:
    path, _ = _write(next(p for p in CASES if p.stem == "serial-complete"), tmp_path)
    feed = partytime(path)
    assert feed["itunesBlock"] is True and feed["itunesComplete"] is True and feed["itunesType"] == "serial"


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_podcastparser_reads_every_case(case: Path, tmp_path: Path) -> None:
    path, items = _write(case, tmp_path)
    parsed = podcastparser.parse(path.as_uri(), io.BytesIO(path.read_bytes()))
    show = load_case(case)[0].show.manifest
    expected = sorted(items, key=lambda i: i.episode.manifest.published, reverse=True)[: show.feed.max_items]
    if show.show.type == "serial":
        expected.reverse()  # podcastparser lists serials oldest first, as apps play them
    assert [e["guid"] for e in parsed["episodes"]] == [i.episode.guid for i in expected]
    for episode, item in zip(parsed["episodes"], expected, strict=True):
        assert episode["title"] == item.episode.manifest.title
        assert episode["enclosures"][0]["url"] == item.media_url
        assert episode["enclosures"][0]["file_size"] == item.media_length
        assert episode["enclosures"][0]["mime_type"] == item.media_type
        assert episode["total_time"] == round(item.duration_s)
        assert episode["published"] == int(item.episode.manifest.published.timestamp())


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_feedparser_reads_every_case(case: Path, tmp_path: Path) -> None:
    path, items = _write(case, tmp_path)
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    channel = load_case(case)[0]
    assert parsed.feed.title == channel.show.manifest.show.title
    guids = {i.episode.guid for i in items}
    for entry in parsed.entries:
        assert entry.id in guids
        assert entry.enclosures[0].href.startswith("https://")
        assert int(entry.enclosures[0].length) > 0
        assert entry.content[0].value  # content:encoded
