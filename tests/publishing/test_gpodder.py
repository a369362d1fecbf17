"""gPodder's command-line client `gpo` (Debian package gpodder) subscribes to `podcast serve` on
127.0.0.1 and downloads the demo episode byte for byte.

`gpo` exits 0 even when it fails, so each step is checked by its output, the downloaded file
and gPodder's own database. gpo is isolated with GPODDER_HOME and GPODDER_DOWNLOAD_DIR.
The commands, in order: `gpo subscribe URL`, `gpo update`, `gpo download`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from podcast.publishing.serve import make_server
from podcast.show.reading import load_episode_manifest

BASE_URL = "https://media.example.org/survivor-voices"
STATE_DOWNLOADED = 1  # gpodder.STATE_DOWNLOADED


@dataclass(frozen=True)
class Subscribed:
    show: Path
    feed_url: str
    home: Path
    downloads: Path
    env: dict[str, str]

    def gpo(self, *args: str) -> subprocess.CompletedProcess[str]:
        gpo = shutil.which("gpo")
        assert gpo, "gpo is missing: install the Debian package gpodder (scripts/setup.sh does)"
        result = subprocess.run([gpo, *args], capture_output=True, text=True, env=self.env, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
        return result

    def episodes(self) -> list[dict]:
        with sqlite3.connect(self.home / "Database") as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM episode ORDER BY id")]

    def podcasts(self) -> list[dict]:
        with sqlite3.connect(self.home / "Database") as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM podcast ORDER BY id")]


def publish(show: Path) -> None:
    from typer_app import app

    result = CliRunner().invoke(app, ["-C", str(show), "publish"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def published_mp3(show: Path) -> Path:
    [mp3] = (show / "feed" / "media").glob("trailer-*.mp3")
    return mp3


@pytest.fixture(scope="module")
def published_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo show built and published once for the module; each test subscribes to its own copy."""
    show = tmp_path_factory.mktemp("gpodder-demo") / "show"
    show.mkdir()
    shutil.copy2(REPO / "podcast.toml", show / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", show / "artwork.jpg")
    shutil.copytree(REPO / "episodes", show / "episodes")
    publish(show)
    return show


@pytest.fixture
def subscribed(published_demo: Path, tmp_path: Path) -> Iterator[Subscribed]:
    """A private copy of the published demo show, served on 127.0.0.1, and a fresh gpo subscribed to it.

    Per test, so no test depends on what another one did to gpo's database or the show.
    """
    base = tmp_path
    show = base / "show"
    shutil.copytree(published_demo, show)
    server = make_server(show / "feed", host="127.0.0.1", port=0, published_base_url=BASE_URL)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home, downloads = base / "gpodder-home", base / "downloads"
    env = {**os.environ, "GPODDER_HOME": str(home), "GPODDER_DOWNLOAD_DIR": str(downloads), "HOME": str(base)}
    feed_url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    try:
        state = Subscribed(show, feed_url, home, downloads, env)
        result = state.gpo("subscribe", feed_url)
        assert f"Successfully added {feed_url}" in result.stdout
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_gpo_subscribes(subscribed):
    [podcast] = subscribed.podcasts()
    assert podcast["title"] == "Survivor Voices"
    assert podcast["url"] == subscribed.feed_url
    # The feed was served with this server's address, so the cover comes from here too.
    assert podcast["cover_url"].startswith(subscribed.feed_url.removesuffix("feed.xml") + "artwork/")
    listed = subscribed.gpo("list").stdout
    assert "Survivor Voices" in listed and subscribed.feed_url in listed


def test_gpo_downloads_the_episode_byte_identical(subscribed):
    trailer = load_episode_manifest(subscribed.show / "episodes" / "trailer" / "episode.toml")
    update = subscribed.gpo("update")
    assert "WARNING" not in update.stderr and "ERROR" not in update.stderr, update.stderr
    episodes = subscribed.gpo("episodes", "--guid").stdout
    assert trailer.guid in episodes and trailer.title in episodes

    download = subscribed.gpo("download")
    assert "1 episodes downloaded" in download.stdout, download.stdout + download.stderr
    assert "failed" not in download.stdout.lower()

    source = published_mp3(subscribed.show)
    files = [path for path in subscribed.downloads.rglob("*") if path.is_file()]
    assert [path.name for path in files] == [source.name]
    assert files[0].read_bytes() == source.read_bytes()

    [episode] = subscribed.episodes()
    assert episode["guid"] == trailer.guid
    assert episode["title"] == trailer.title
    assert episode["state"] == STATE_DOWNLOADED
    assert episode["file_size"] == source.stat().st_size
    assert episode["mime_type"] == "audio/mpeg"
    assert episode["published"] == int(trailer.published.timestamp())
    assert episode["url"] == subscribed.feed_url.removesuffix("feed.xml") + f"media/{source.name}"
    assert episode["download_filename"] == source.name


def test_gpo_never_duplicates_a_changed_episode(subscribed):
    """New notes mean a retagged MP3 under a new URL; the same GUID keeps it one episode in the app."""
    subscribed.gpo("update")
    first = subscribed.gpo("download")  # the listener has the episode already
    assert "1 episodes downloaded" in first.stdout, first.stdout + first.stderr
    manifest = subscribed.show / "episodes" / "trailer" / "episode.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("Stories of recovery", "Stories of hope"))
    before = published_mp3(subscribed.show).name
    publish(subscribed.show)
    after = published_mp3(subscribed.show).name
    assert after != before  # the media really moved

    subscribed.gpo("update")
    download = subscribed.gpo("download")
    assert "0 episodes downloaded" in download.stdout, download.stdout
    episodes = subscribed.episodes()
    assert len(episodes) == 1
    assert episodes[0]["guid"] == "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b"
    assert episodes[0]["url"].endswith(f"/media/{after}")
