"""The feed: a golden file for the demo show, and the published demo feed read by real parsers.

Golden cases are ``tests/data/feeds/<case>.toml`` (fixed inputs) -> ``<case>.xml``. A change
to the feed shows up as a unified diff; regenerate on purpose with ``--update-goldens``.
"""

from __future__ import annotations

import dataclasses
import difflib
import email.utils
import io
import shutil
from datetime import timedelta
from pathlib import Path

import feedparser
import podcastparser
import pytest
from conftest import REPO
from lxml import etree
from typer.testing import CliRunner

from podcast.publishing.feed import ITUNES_NS, build_feed
from podcast.publishing.plan import plan_release
from podcast.show.model import load_show
from podcast.show.reading import load_episode_manifest
from podcast.show.settings import resolve_settings

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "feeds"
CASES = sorted(GOLDEN_DIR.glob("*.toml"))
NS = {"itunes": ITUNES_NS}


def feed_from_case(case: Path) -> bytes:
    """build_feed on the case's fixed inputs (both case forms: see tests/feedcases.py)."""
    from feedcases import load_case

    return build_feed(*load_case(case))


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_golden_feed(case, request):
    actual = feed_from_case(case)
    golden = case.with_suffix(".xml")
    if request.config.getoption("--update-goldens"):
        golden.write_bytes(actual)
    assert golden.is_file(), f"{golden} is missing: create it with `pytest {__file__} --update-goldens`"
    expected = golden.read_bytes()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.decode().splitlines(keepends=True),
            actual.decode().splitlines(keepends=True),
            fromfile=str(golden),
            tofile="build_feed output",
        )
        pytest.fail(
            "the feed differs from the golden file (if intended, rerun with --update-goldens):\n" + "".join(diff)
        )


def test_golden_cases_exist():
    assert "demo" in [case.stem for case in CASES]
    for case in CASES:
        assert case.with_suffix(".xml").is_file(), f"{case} has no golden .xml: run pytest with --update-goldens"


def test_feed_is_deterministic_and_dated_by_its_newest_episode():
    """Same inputs, same bytes, whatever the input order; lastBuildDate is the newest episode, not the clock."""
    show = load_show(REPO)
    settings = resolve_settings(show, base_url="https://media.example.org/survivor-voices")
    trailer = show.episode("trailer")
    newer = dataclasses.replace(
        trailer,
        slug="episode-1",
        manifest=trailer.manifest.model_copy(
            update={
                "number": 1,
                "type": "full",
                "title": "Episode one",
                "published": trailer.manifest.published + timedelta(days=7),
                "guid": "11111111-2222-4333-8444-555555555555",
            }
        ),
    )
    records = {
        "trailer": {
            "guid": trailer.guid,
            "media_key": "media/trailer-aaaaaaaaaaaa.mp3",
            "size": 1000,
            "duration_s": 17.0,
        },
        "episode-1": {
            "guid": newer.guid,
            "media_key": "media/episode-1-bbbbbbbbbbbb.mp3",
            "size": 2000,
            "duration_s": 60.0,
        },
    }
    first = plan_release(show, settings, {}, records, [trailer, newer])
    second = plan_release(show, settings, {}, records, [newer, trailer])
    data = build_feed(first.channel, first.items)
    assert data == build_feed(second.channel, list(reversed(second.items)))
    channel = etree.fromstring(data).find("channel")
    last_build = email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate"))
    assert last_build == newer.manifest.published
    assert [item.findtext("guid") for item in channel.findall("item")] == [newer.guid, trailer.guid]  # newest first


# --- the published demo feed, read the way listeners' apps read it ----------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A private copy of the demo show, published once into its feed/ folder."""
    from typer_app import app

    root = tmp_path_factory.mktemp("clients") / "show"
    root.mkdir()
    shutil.copy2(REPO / "podcast.toml", root / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    shutil.copytree(REPO / "episodes", root / "episodes")
    result = CliRunner().invoke(app, ["-C", str(root), "publish"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return root


def published_media(root: Path, url: str) -> Path:
    base = "https://media.example.org/survivor-voices/"
    assert url.startswith(base), url
    return root / "feed" / url.removeprefix(base)


def test_podcastparser_reads_the_published_feed(published):
    data = (published / "feed" / "feed.xml").read_bytes()
    parsed = podcastparser.parse("https://media.example.org/survivor-voices/feed.xml", io.BytesIO(data))
    trailer = load_episode_manifest(published / "episodes" / "trailer" / "episode.toml")
    assert parsed["title"] == "Survivor Voices"
    assert parsed["explicit"] is False
    [episode] = parsed["episodes"]
    assert episode["title"] == trailer.title
    assert episode["guid"] == trailer.guid
    assert episode["published"] == int(trailer.published.timestamp())
    assert episode["explicit"] is False
    [enclosure] = episode["enclosures"]
    media = published_media(published, enclosure["url"])
    assert media.is_file()
    assert enclosure["file_size"] == media.stat().st_size
    assert enclosure["mime_type"] == "audio/mpeg"
    assert enclosure["url"].endswith(".mp3")
    from mutagen.mp3 import MP3

    assert episode["total_time"] == round(MP3(media).info.length)


def test_feedparser_reads_the_published_feed(published):
    parsed = feedparser.parse((published / "feed" / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    trailer = load_episode_manifest(published / "episodes" / "trailer" / "episode.toml")
    [entry] = parsed.entries
    assert entry.title == trailer.title
    assert entry.id == trailer.guid
    assert entry.guidislink is False  # isPermaLink="false": the GUID is an opaque id, not a URL
    [enclosure] = entry.enclosures
    assert int(enclosure.length) == published_media(published, enclosure.href).stat().st_size
    assert enclosure.type == "audio/mpeg"
    assert parsed.feed.title == "Survivor Voices"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["https://media.example.org/survivor-voices/feed.xml"]


def test_guid_is_not_a_permalink(published):
    channel = etree.parse(published / "feed" / "feed.xml").getroot().find("channel")
    for item in channel.findall("item"):
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        assert guid.text == "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b"


@pytest.mark.parametrize("explicit", [False, True])
def test_itunes_explicit_is_true_or_false(published, tmp_path, explicit):
    root = tmp_path / "show"
    shutil.copytree(published, root)
    word = "true" if explicit else "false"
    for manifest in (root / "podcast.toml", root / "episodes" / "trailer" / "episode.toml"):
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("explicit = false", f"explicit = {word}"))
    out = tmp_path / "feed.xml"
    from typer_app import app

    result = CliRunner().invoke(app, ["-C", str(root), "feed", "--output", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    channel = etree.parse(out).getroot().find("channel")
    values = [element.text for element in channel.iterfind(".//itunes:explicit", NS)]
    assert values == [word, word]  # the channel's and the item's
    parsed = podcastparser.parse("https://example.org/feed.xml", io.BytesIO(out.read_bytes()))
    assert parsed["explicit"] is explicit and parsed["episodes"][0]["explicit"] is explicit


def test_last_build_date_comes_from_the_newest_episode(published, tmp_path):
    data = (published / "feed" / "feed.xml").read_bytes()
    channel = etree.fromstring(data).find("channel")
    trailer = load_episode_manifest(published / "episodes" / "trailer" / "episode.toml")
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate")) == trailer.published
    assert channel.findtext("lastBuildDate") == channel.find("item").findtext("pubDate")
    # Written again later (by `podcast feed`, twice), the feed is the same bytes as the published one.
    from typer_app import app

    for name in ("again.xml", "again-2.xml"):
        result = CliRunner().invoke(app, ["-C", str(published), "feed", "--output", str(tmp_path / name)])
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / name).read_bytes() == data


def test_validate_accepts_the_demo_show(published):
    from typer_app import app

    result = CliRunner().invoke(app, ["-C", str(published), "--json", "validate"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    import json

    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert [f for f in report["findings"] if f["severity"] == "error"] == []
    # And the published file itself, checked as a feed.
    again = CliRunner().invoke(
        app, ["validate", "--feed", str(published / "feed" / "feed.xml")], catch_exceptions=False
    )
    assert again.exit_code == 0, again.stdout
    assert "0 error(s)" in again.stdout
