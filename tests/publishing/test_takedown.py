"""`podcast takedown`: the feed loses the episode at once, every former URL answers 404, and it stays out."""

from __future__ import annotations

import contextlib
import json
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import http_helpers
import pytest
from safeguarding_helpers import add_episode, copy_built_demo, feed_items, write_redactions

from podcast.publishing.takedown import mark_withdrawn
from podcast.safeguarding.audit import read_audit
from podcast.show.redactions import parse_redactions


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    """The demo show with its audio already built (see s3_fixtures.built_demo)."""
    return copy_built_demo(built_demo, tmp_path)


BASE_URL = "https://media.example.org/survivor-voices"


def serving(root: Path) -> contextlib.AbstractContextManager[str]:
    """`podcast serve`'s server on a free loopback port, for real HTTP GETs."""
    return http_helpers.serving(root, BASE_URL)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_takedown_removes_everything_and_later_publishes_keep_it_out(show, tmp_path, monkeypatch, cli, tone):
    write_redactions(tmp_path, monkeypatch)
    folder = add_episode(show, "episode-1", tone, number=1, title="Episode one")
    guid = tomllib.loads((folder / "episode.toml").read_text())["guid"]
    assert cli("-C", show, "publish").exit_code == 0
    feed_dir = show / "feed"
    assert guid in feed_items(feed_dir / "feed.xml")
    episode_keys = sorted(p.relative_to(feed_dir).as_posix() for p in feed_dir.rglob("episode-1-*"))
    assert episode_keys and all(key.startswith("media/") for key in episode_keys)
    trailer_media = next(p.relative_to(feed_dir).as_posix() for p in feed_dir.rglob("trailer-*"))
    episode_keys = sorted([*episode_keys, "episodes/episode-1.html"])  # its web page goes too

    with serving(feed_dir) as server:
        assert all(http_status(f"{server}/{key}") == 200 for key in episode_keys)
        result = cli("-C", show, "takedown", "episode-1", "--reason", "Aña withdrew consent")
        assert result.exit_code == 0, result.stderr
        assert [f"deleted {key}" for key in episode_keys] == result.stdout.splitlines()[: len(episode_keys)]
        assert all(http_status(f"{server}/{key}") == 404 for key in episode_keys)
        assert http_status(f"{server}/{trailer_media}") == 200  # other episodes are untouched
        with urllib.request.urlopen(f"{server}/feed.xml") as response:
            feed = response.read()
        assert guid.encode() not in feed and b"Episode one" not in feed
        assert b"Welcome to Survivor Voices" in feed

    manifest = (folder / "episode.toml").read_text(encoding="utf-8")
    assert tomllib.loads(manifest)["withdrawn"] is True
    assert f'guid = "{guid}"' in manifest and 'description = "Notes for episode 1."' in manifest

    log = read_audit(show / "safeguarding" / "audit.log")
    assert len(log) == 1
    assert log[0]["action"] == "takedown" and log[0]["slug"] == "episode-1" and log[0]["guid"] == guid
    assert log[0]["reason"] == "[name withheld] withdrew consent"
    assert log[0]["objects_removed"] == episode_keys
    raw_log = (show / "safeguarding" / "audit.log").read_text(encoding="utf-8")
    assert parse_redactions("Ana").find(raw_log) == []

    # A later publish (cron, a colleague) keeps it out and uploads nothing of it.
    again = cli("-C", show, "--json", "publish")
    assert again.exit_code == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["withdrawn"] == ["episode-1"] and report["episodes"] == ["trailer"]
    assert not any("episode-1" in item["key"] for item in report["uploaded"])
    assert guid not in feed_items(feed_dir / "feed.xml")
    assert not list(feed_dir.rglob("episode-1-*"))
    status = json.loads(cli("-C", show, "--json", "status").stdout)["episodes"]
    assert {row["slug"]: row["release"] for row in status}["episode-1"] == "withdrawn"

    # Running it again is harmless: nothing left to delete, the log records it again.
    repeat = cli("-C", show, "--json", "takedown", "episode-1", "--reason", "checking")
    assert repeat.exit_code == 0, repeat.stderr
    assert json.loads(repeat.stdout)["removed"] == [] and json.loads(repeat.stdout)["feed_updated"] is False
    assert len(read_audit(show / "safeguarding" / "audit.log")) == 2


def test_takedown_usage_errors(show, cli):
    missing_reason = cli("-C", show, "takedown", "trailer")
    assert missing_reason.exit_code == 2
    unknown = cli("-C", show, "takedown", "no-such-episode", "--reason", "x")
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: ") and "no episode 'no-such-episode'" in unknown.stderr
    blank = cli("-C", show, "takedown", "trailer", "--reason", "  ")
    assert blank.exit_code == 1 and "needs a reason" in blank.stderr
    assert "withdrawn" not in (show / "episodes" / "trailer" / "episode.toml").read_text()


def test_mark_withdrawn_keeps_comments_and_places_the_key_before_tables(tmp_path):
    path = tmp_path / "episode.toml"
    path.write_text('# keep me\ntitle = "T"  # and me\n\n[[chapters]]\nstart = "0"\ntitle = "C"\n', encoding="utf-8")
    assert mark_withdrawn(path) is True
    text = path.read_text(encoding="utf-8")
    assert text.startswith('# keep me\ntitle = "T"  # and me\n') and "# and me" in text
    data = tomllib.loads(text)
    assert data["withdrawn"] is True and data["chapters"] == [{"start": "0", "title": "C"}]
    assert mark_withdrawn(path) is False


def test_takedown_works_when_the_episode_folder_is_already_gone(show, cli, tone):
    import shutil

    folder = add_episode(show, "episode-1", tone, number=1)
    assert cli("-C", show, "publish").exit_code == 0
    feed_dir = show / "feed"
    assert list(feed_dir.rglob("episode-1-*"))
    shutil.rmtree(folder)  # deleted locally, still online
    result = cli("-C", show, "--json", "takedown", "episode-1", "--reason", "Folder deleted before the takedown")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["withdrawn_marked"] is False and report["removed"]
    assert not list(feed_dir.rglob("episode-1-*"))
    assert b"episode-1" not in (feed_dir / "feed.xml").read_bytes()
    assert read_audit(show / "safeguarding" / "audit.log")[-1]["guid"]
