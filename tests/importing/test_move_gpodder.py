"""Moving a show here, end to end, as a listener's app sees it (gPodder's `gpo`, see tests/publishing/test_gpodder.py).

1. A listener subscribes to the show on its old host and downloads every episode.
2. `podcast import` brings the show in; `podcast publish` writes the new feed; `podcast serve` serves it.
3. The old host announces the move: a 301 on the feed's address (and ``itunes:new-feed-url`` in its
   feed, which Apple follows; gPodder 3.11 follows only the 301, so the test moves by the 301).
4. The listener's app updates: it follows the move, lists every episode once, downloads nothing again.

And `podcast validate --previous OLD.xml` confirms every GUID of the old feed is in the new one.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from http_helpers import serving
from old_host import OldHost

NEW_BASE_URL = "https://media.example.org/reading-room"


def gpo(env: dict[str, str], *args: str) -> str:
    exe = shutil.which("gpo")
    assert exe, "gpo is missing: install the Debian package gpodder (scripts/setup.sh does)"
    result = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result.stdout


def rows(home: Path, table: str) -> list[dict]:
    with sqlite3.connect(home / "Database") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY id")]


def test_a_listener_follows_the_move_without_duplicates(old_site: OldHost, tmp_path: Path, cli) -> None:
    home, downloads = tmp_path / "gpodder-home", tmp_path / "downloads"
    env = {**os.environ, "GPODDER_HOME": str(home), "GPODDER_DOWNLOAD_DIR": str(downloads), "HOME": str(tmp_path)}
    old_url = old_site.feed_url("transistor")
    assert f"Successfully added {old_url}" in gpo(env, "subscribe", old_url)
    assert "2 episodes downloaded" in gpo(env, "download")
    old_guids = sorted(e["guid"] for e in rows(home, "episode"))
    old_feed = tmp_path / "old-feed.xml"
    old_feed.write_bytes(old_site.feed_bytes("transistor"))

    show = tmp_path / "show"
    imported = cli("import", old_url, show, "--base-url", NEW_BASE_URL)
    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout.count("audio: kept as it is (already at target)") == 2  # no second lossy encode
    published = cli("-C", show, "publish")
    assert published.exit_code == 0, published.stderr
    assert cli("-C", show, "validate", "--previous", old_feed).exit_code == 0

    with serving(show / "feed", NEW_BASE_URL) as new_base:
        new_url = f"{new_base}/feed.xml"
        old_site.feeds["transistor"] = old_site.feed_bytes("transistor").replace(
            f"<itunes:new-feed-url>{old_url}<".encode(), f"<itunes:new-feed-url>{new_url}<".encode()
        )
        old_site.moved_feeds["/feeds/transistor.xml"] = new_url
        gpo(env, "update")
        [podcast] = rows(home, "podcast")
        assert podcast["url"] == new_url
        episodes = rows(home, "episode")
        assert sorted(e["guid"] for e in episodes) == old_guids  # every episode once: no duplicates
        assert all(e["url"].startswith(f"{new_base}/media/") for e in episodes)  # now served from here
        assert "0 episodes downloaded" in gpo(env, "download")  # nothing downloaded twice


def test_validate_previous_names_a_lost_guid(old_site: OldHost, tmp_path: Path, cli) -> None:
    # Part 1 loses its <guid> on the old host: apps know it by its enclosure URL, and so does the import.
    data = re.sub(rb'<guid isPermaLink="false">0a1b2c3d[^<]*</guid>', b"", old_site.feed_bytes("transistor"))
    old_site.feeds["transistor"] = data
    old_feed = tmp_path / "old-feed.xml"
    old_feed.write_bytes(data)
    show = tmp_path / "show"
    assert cli("import", old_site.feed_url("transistor"), show, "--base-url", NEW_BASE_URL).exit_code == 0
    assert cli("-C", show, "validate", "--previous", old_feed).exit_code == 0  # every old identity is still there

    part1 = show / "episodes" / "the-lighthouse-keeper-part-1" / "episode.toml"
    enclosure = old_site.url("/moved/audio/target/efgh5678.mp3")
    assert f'guid = "{enclosure}"' in part1.read_text(encoding="utf-8")
    part2 = show / "episodes" / "the-lighthouse-keeper-part-2" / "episode.toml"
    part2.write_text(part2.read_text(encoding="utf-8").replace("9f1e2d3c-4b5a", "9f1e2d3c-ffff"))
    part1.write_text(part1.read_text(encoding="utf-8").replace(enclosure, "a-new-guid-for-part-1"))
    result = cli("-C", show, "validate", "--previous", old_feed)
    assert result.exit_code == 1
    assert "[guid-changed]" in result.stdout and "9f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1" in result.stdout
    assert enclosure in result.stdout  # the item without a <guid> is checked by the URL apps know it by
