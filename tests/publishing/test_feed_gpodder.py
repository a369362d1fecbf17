"""gPodder's `gpo`, subscribed over HTTP, sees no new episodes when the show moves to a new base URL.

`gpo` exits 0 even when it fails, so every step is checked in what it leaves behind: its
database (GPODDER_HOME/Database, SQLite) and the downloaded files.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from http_helpers import serving

pytestmark = pytest.mark.slow


def gpo(home: Path, *args: str) -> str:
    assert shutil.which("gpo"), "gpo is missing: install the Debian package gpodder (scripts/setup.sh)"
    env = {**os.environ, "GPODDER_HOME": str(home / "home"), "GPODDER_DOWNLOAD_DIR": str(home / "downloads")}
    result = subprocess.run(["gpo", *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def episodes(home: Path) -> list[tuple[str, str, int]]:
    """(guid, url, state) of every episode gpo knows, from its own database."""
    with sqlite3.connect(home / "home" / "Database") as db:
        return sorted(db.execute("SELECT guid, url, state FROM episode"))


def test_gpo_sees_no_new_episodes_after_base_url_change(demo_show: Path, cli, tone: Path, tmp_path: Path) -> None:
    assert (
        cli(
            "-C",
            demo_show,
            "new",
            "second",
            "--audio",
            tone,
            "--title",
            "Second episode",
            "--published",
            "2026-11-21T09:00:00Z",
        ).exit_code
        == 0
    )
    assert cli("-C", demo_show, "publish").exit_code == 0
    target = demo_show / "feed"
    original = "https://media.example.org/survivor-voices"
    client = tmp_path / "gpodder"

    with serving(target, original) as first, serving(target, "https://unused.invalid") as second:
        feed_url = f"{first}/feed.xml"
        out = gpo(client, "subscribe", feed_url)
        assert "Error" not in out and "error" not in out.lower(), out
        before = episodes(client)
        assert len(before) == 2 and all(url.startswith(first) for _, url, _ in before), before
        gpo(client, "download")
        downloaded = sorted(p.name for p in (client / "downloads").rglob("*.mp3"))
        assert len(downloaded) == 2, out
        assert {state for _, _, state in episodes(client)} == {1}  # gPodder's STATE_DOWNLOADED

        # The show moves host: same folder, new base URL (here a second server), republished.
        moved = cli("-C", demo_show, "publish", "--base-url", second)
        assert moved.exit_code == 0, moved.stderr
        assert second.encode() in (target / "feed.xml").read_bytes()

        out = gpo(client, "update", feed_url)
        after = episodes(client)
        assert [guid for guid, _, _ in after] == [guid for guid, _, _ in before]  # no new episodes
        assert all(url.startswith(second) for _, url, _ in after), after  # it did read the moved feed
        assert {state for _, _, state in after} == {1}  # still downloaded, nothing to fetch again
        assert "0 new episodes" in gpo(client, "pending")
        gpo(client, "download")
        assert sorted(p.name for p in (client / "downloads").rglob("*.mp3")) == downloaded

        # Control: had a GUID changed, gpo would have seen a "new" episode (what this test guards against).
        # `publish` refuses such a feed, so it is written straight into the target with `podcast feed`.
        manifest = demo_show / "episodes" / "second" / "episode.toml"
        text = manifest.read_text()
        old_guid = next(line for line in text.splitlines() if line.startswith("guid"))
        manifest.write_text(text.replace(old_guid, 'guid = "00000000-0000-4000-8000-00000000c0de"'))
        refused = cli("-C", demo_show, "publish", "--base-url", second)
        assert refused.exit_code == 1 and "(second) changed since it was published" in refused.stderr, refused.stderr
        assert re.search(r"the guid of episode \d+ '[^']+' \(second\)", refused.stderr)  # slug, number, title
        written = cli("-C", demo_show, "feed", "--base-url", second, "--output", target / "feed.xml")
        assert written.exit_code == 0, written.stderr
        gpo(client, "update", feed_url)
        assert len(episodes(client)) == 3
