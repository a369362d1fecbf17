"""The tolerant feed reader on the quirks hosts really write (the host-shaped feeds are in test_import_hosts.py)."""

from __future__ import annotations

import pytest

from podcast.errors import FeedInvalid
from podcast.importing import run
from podcast.importing.source import parse_feed, real_audio_url
from podcast.show import manifest

HEAD = b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T</title>'


def feed(items: bytes, head: bytes = HEAD) -> bytes:
    return head + items + b"</channel></rss>"


def test_guids_are_kept_byte_for_byte_and_missing_ones_are_the_enclosure_url() -> None:
    parsed = parse_feed(
        feed(
            b"<item><title>A</title><guid>  Spaced-GUID-1 \n</guid><enclosure url='https://x.org/a.mp3'/></item>"
            b"<item><title>B</title><enclosure url='https://dts.podtrac.com/redirect.mp3/x.org/b.mp3' length='0'/></item>"
            b"<item><title>C</title><guid></guid><enclosure url='https://x.org/c.mp3'/></item>"
        ),
        source="t",
    )
    assert [(i.guid, i.guid_from) for i in parsed.items] == [
        ("  Spaced-GUID-1 \n", "guid"),  # exactly as written: apps compare what they stored
        ("https://dts.podtrac.com/redirect.mp3/x.org/b.mp3", "enclosure"),  # the URL apps saw, prefix and all
        ("https://x.org/c.mp3", "enclosure"),
    ]
    assert parsed.items[1].enclosure is not None and parsed.items[1].enclosure.length == 0
    assert real_audio_url(parsed.items[1].enclosure.url) == "https://x.org/b.mp3"


def test_a_repeated_guid_is_one_episode_and_an_item_without_identity_is_left_out() -> None:
    parsed = parse_feed(
        feed(
            b"<item><title>First</title><guid>g-12345678</guid><enclosure url='https://x.org/1.mp3'/></item>"
            b"<item><title>Again</title><guid>g-12345678</guid><enclosure url='https://x.org/2.mp3'/></item>"
            b"<item><title>Nothing</title></item>"
        ),
        source="t",
    )
    assert [i.title for i in parsed.items] == ["First"]
    assert parsed.duplicates == ("g-12345678",) and parsed.unnamed == ("Nothing",)


def test_broken_xml_html_entities_and_summary_only_notes_are_read() -> None:
    parsed = parse_feed(
        feed(
            b"<item><title>Fish & chips&nbsp;&eacute;t&eacute;</title><guid>g-12345678</guid>"
            b"<itunes:summary>Only a summary\x01.</itunes:summary><enclosure url='https://x.org/1.mp3'/>"
            b"<pubDate>Tue, 6 Jan 2026 9:00:00 PST</pubDate></item>"
        ),
        source="t",
    )
    [item] = parsed.items
    assert item.title == "Fish & chips\u00a0\u00e9t\u00e9"  # a bare & (invalid XML) kept, HTML entities decoded
    assert item.notes_html == "Only a summary."  # control characters dropped
    assert item.published is not None and item.published.isoformat() == "2026-01-06T17:00:00+00:00"


@pytest.mark.parametrize("data", [b"<html><body>Not a feed</body></html>", b"", b"\x00\x01garbage", b"<rss/>"])
def test_what_is_not_a_feed_is_refused(data: bytes) -> None:
    with pytest.raises(FeedInvalid, match="is not an RSS podcast feed"):
        parse_feed(data, source="page.html")


def test_entities_are_never_resolved_from_outside() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><title>&x;</title><item><guid>g-12345678</guid><title>&x;</title></item></channel></rss>"
    )
    parsed = parse_feed(hostile, source="t")
    assert "root:" not in parsed.show.title and "root:" not in parsed.items[0].title


def test_the_light_copies_of_the_manifest_patterns_match_the_schema() -> None:
    # run.py keeps copies so a no-op re-sync does not load pydantic; they must not drift.
    assert (run.URL_PATTERN, run.EMAIL_PATTERN, run.LANGUAGE_PATTERN) == (
        manifest.URL_PATTERN,
        manifest.EMAIL_PATTERN,
        manifest.LANGUAGE_PATTERN,
    )
    from podcast.show.scaffold import PLACEHOLDER_BASE_URL

    assert run.PLACEHOLDER_BASE_URL == PLACEHOLDER_BASE_URL and run.SHOW_FILE == manifest.SHOW_FILE


@pytest.mark.parametrize(
    "url", ["https://feeds.example.org/show.xml/", "http://127.0.0.1:8000/feeds/a.xml", "feeds.example.org/x"]
)
def test_the_feed_guid_is_the_manifests_show_guid(url: str) -> None:
    from podcast.importing.source import feed_guid

    assert feed_guid(url) == manifest.show_guid(url)
