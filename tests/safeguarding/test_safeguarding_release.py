"""Content warnings first, support notice last, in every copy of the notes; embargoed episodes stay offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from safeguarding_helpers import add_episode, copy_built_demo, edit_episode, feed_items

from podcast.notes import compose_markdown


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    """The demo show with its audio already built (see s3_fixtures.built_demo)."""
    return copy_built_demo(built_demo, tmp_path)


SUPPORT = "If you have been affected by anything in this episode, help is available at https://example.org/support."


def test_warning_first_and_support_notice_last_in_feed_and_id3(show, cli):
    edit_episode(show, "trailer", content_warning="Discusses abuse.\n\nListener discretion is advised.")
    assert cli("-C", show, "publish").exit_code == 0
    entry = next(iter(feed_items(show / "feed" / "feed.xml").values()))
    for html in (entry.summary, entry.content[0].value):  # <description> and <content:encoded>
        assert html.startswith("<p><strong>Content warning:</strong> Discusses abuse.</p><p>Listener discretion")
        assert html.endswith(f"<p>{SUPPORT}</p>")
    tags = ID3(next((show / "feed" / "media").glob("*.mp3")))
    for text in (tags.getall("COMM")[0].text[0], tags.getall("TDES")[0].text[0]):
        assert text.startswith("Content warning: Discusses abuse.\n\nListener discretion is advised.\n\n")
        assert text.endswith(SUPPORT)


def test_no_warning_and_no_notice_leave_just_the_notes(show, cli):
    toml = show / "podcast.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("support_notice")))
    assert cli("-C", show, "publish").exit_code == 0
    entry = next(iter(feed_items(show / "feed" / "feed.xml").values()))
    assert entry.summary.startswith("<p>A short introduction") and "help is available" not in entry.summary


@pytest.mark.parametrize("blank", ["", "   ", "\n"])
def test_blank_warning_or_notice_adds_no_empty_heading(blank):
    assert compose_markdown("Notes.", content_warning=blank, support_notice=blank) == "Notes."


def test_embargoed_episode_is_not_uploaded_until_its_time(show, cli, tone, clock):
    add_episode(show, "episode-1", tone, number=1, published="2026-12-01T09:00:00Z")
    clock("2026-11-25T12:00:00Z")
    assert cli("-C", show, "build", "episode-1").exit_code == 0  # a producer may build ahead of time
    built = json.loads((show / "build" / "episode-1" / "build.json").read_text())

    early = cli("-C", show, "--json", "publish")
    assert early.exit_code == 0, early.stderr
    report = json.loads(early.stdout)
    assert report["embargoed"] == [{"slug": "episode-1", "until": "2026-12-01T09:00:00+00:00"}]
    assert report["episodes"] == ["trailer"]
    assert not any("episode-1" in item["key"] for item in report["uploaded"])
    feed_dir = show / "feed"
    assert not list(feed_dir.rglob("episode-1*")), "an embargoed episode's object is online"
    assert len(feed_items(feed_dir / "feed.xml")) == 1
    assert b"Episode 1" not in (feed_dir / "feed.xml").read_bytes()

    clock("2026-12-01T09:00:01Z")  # cron, one second after release
    released = json.loads(cli("-C", show, "--json", "publish").stdout)
    assert released["embargoed"] == [] and sorted(released["episodes"]) == ["episode-1", "trailer"]
    media = f"media/episode-1-{built['sha256'][:12]}.mp3"
    assert (feed_dir / media).stat().st_size == built["size_bytes"]
    assert len(feed_items(feed_dir / "feed.xml")) == 2
