"""Names a hostile reader could still read: percent-encoded in links, split by markup, in `podcast feed --output`."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.id3 import COMM, ID3, WOAS, WXXX
from safeguarding_helpers import add_episode, copy_built_demo, edit_episode, write_redactions

from podcast.safeguarding.gate import scan_bytes, scan_id3
from podcast.show.redactions import parse_redactions

NAMES = parse_redactions("Ana\n= Zoë Example\nMarigold\n")


@pytest.mark.parametrize(
    "feed",
    [
        b"<rss><channel><item><title>Ep</title><link>https://x.org/a%C3%B1a-story</link></item></channel></rss>",
        b'<rss><channel><item><title>Ep</title><enclosure url="https://x.org/Zo%C3%AB%20Example.mp3"/></item></channel></rss>',
        b'<rss><channel><item><title>Ep</title><description><![CDATA[<p><a href="https://x.org">Mari</a>gold\'s story</p>]]></description></item></channel></rss>',
        b"<rss><channel><item><title>Ep</title><description>&lt;p&gt;&lt;em&gt;Mari&lt;/em&gt;gold&lt;/p&gt;</description></item></channel></rss>",
    ],
)
def test_the_feed_is_read_with_decoded_links_and_as_rendered(feed):
    assert scan_bytes("feed.xml", feed, NAMES)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("transcript.html", b'<p><cite>Host</cite> <a href="https://x.org">Mari</a>gold said</p>'),
        ("transcript.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\n<v Host><i>Mari</i>gold's here\n"),
        ("notes.txt", b"see https://x.org/stories/a%C3%B1a"),
    ],
)
def test_text_artefacts_are_read_as_rendered(name, data):
    assert scan_bytes(name, data, NAMES)


@pytest.mark.parametrize(
    "frame",
    [
        WXXX(encoding=3, desc="link", url="https://x.org/Zo%C3%AB%20Example"),
        WOAS(url="https://x.org/a%C3%B1a-story"),
        COMM(encoding=3, lang="eng", desc="", text=["<a href='https://x.org'>Mari</a>gold"]),
    ],
)
def test_mp3_tags_are_read_with_decoded_links_and_as_rendered(tmp_path, frame):
    path = tmp_path / "episode.mp3"
    tags = ID3()
    tags.add(frame)
    tags.save(path)
    assert scan_id3("media/episode.mp3", path, NAMES)


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    return copy_built_demo(built_demo, tmp_path)


def test_a_name_split_by_a_markdown_link_is_refused(show, tmp_path, monkeypatch, cli):
    write_redactions(tmp_path, monkeypatch, "Marigold => Jess\n")
    edit_episode(show, "trailer", description="[Mari](https://example.org/help)gold's story.")
    result = cli("-C", show, "publish")
    assert result.exit_code == 1 and "publishing refused" in result.stderr and "feed.xml" in result.stderr
    assert "marigold" not in result.stderr.lower()


def test_feed_output_passes_the_same_gate(show, tmp_path, monkeypatch, cli, tone):
    write_redactions(tmp_path, monkeypatch)
    add_episode(show, "ana-story", tone, number=1)
    out = tmp_path / "out.xml"
    result = cli("-C", show, "feed", "--output", out)
    assert result.exit_code == 1, result.stderr
    assert "writing the feed refused" in result.stderr and "nothing was written" in result.stderr
    assert not out.exists() and "ana-story" not in result.stderr
    to_stdout = cli("-C", show, "feed", "--output", "-")
    assert to_stdout.exit_code == 1 and to_stdout.stdout == ""
