"""Helpers shared by the reliability tests (hostile input, crashes, faults, secrets, concurrency).

Kept out of conftest.py on purpose: they are only for these tests, and conftest.py is shared.
Everything here uses real parts: real ffmpeg, real `podcast` processes, real files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from conftest import REPO, make_audio
from lxml import etree

BASE_URL = "https://media.example.org/survivor-voices"
EPISODE_TOML = """\
title = "Episode one"
number = 1
type = "full"
published = 2026-01-05T09:00:00Z
audio = "master.wav"
description = \"\"\"Notes for episode one.\"\"\"
explicit = false
guid = "{guid}"
"""
GUIDS = [
    "0b7d7f0e-1f2a-4c3b-9d4e-5f6a7b8c9d01",
    "0b7d7f0e-1f2a-4c3b-9d4e-5f6a7b8c9d02",
    "0b7d7f0e-1f2a-4c3b-9d4e-5f6a7b8c9d03",
]


def make_small_show(root: Path, *, episodes: int = 1, seconds: int = 3) -> Path:
    """A valid show with ``episodes`` short tone episodes (ep-one, ep-two, ...), publishing to ``feed/``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "podcast.toml", root / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    names = ["one", "two", "three"]
    for index in range(episodes):
        folder = root / "episodes" / f"ep-{names[index]}"
        make_audio(folder / "master.wav", source=f"sine=frequency={330 + 110 * index}:duration={seconds}")
        text = EPISODE_TOML.replace("Episode one", f"Episode {names[index]}").replace(
            "number = 1", f"number = {index + 1}"
        )
        (folder / "episode.toml").write_text(text.format(guid=GUIDS[index]), encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) -> sha256: to prove a failed command wrote nothing."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@dataclass(frozen=True)
class LiveFeed:
    items: int
    guids: list[str]
    objects: dict[str, int]  # key -> the length the feed states (-1 when it states none)


def parse_live_feed(target: Path, base_url: str = BASE_URL) -> LiveFeed | None:
    """Parse ``target/feed.xml`` strictly (it must be well-formed) and list the objects it names."""
    feed = target / "feed.xml"
    if not feed.exists():
        return None
    root = etree.fromstring(feed.read_bytes(), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    channel = root.find("channel")
    assert channel is not None, "feed.xml has no <channel>"
    objects: dict[str, int] = {}

    def key_of(url: str) -> str:
        assert url.startswith(base_url + "/"), f"{url} is not under {base_url}"
        return urlparse(url).path.removeprefix(urlparse(base_url).path + "/")

    for enclosure in root.iter("enclosure"):
        objects[key_of(enclosure.get("url", ""))] = int(enclosure.get("length", "-1"))
    for image in root.iter("{http://www.itunes.com/dtds/podcast-1.0.dtd}image"):
        objects.setdefault(key_of(image.get("href", "")), -1)
    items = channel.findall("item")
    return LiveFeed(len(items), [item.findtext("guid") or "" for item in items], objects)


def assert_feed_complete(target: Path, base_url: str = BASE_URL) -> LiveFeed | None:
    """The live-feed invariant: every object the feed names is there, whole, with the length it states."""
    live = parse_live_feed(target, base_url)
    if live is None:
        return None
    for key, length in live.objects.items():
        path = target / key
        assert path.is_file(), f"feed.xml names {key}, which is not in the target"
        if length >= 0:
            assert path.stat().st_size == length, f"feed.xml says {key} is {length} bytes; it is {path.stat().st_size}"
    return live


def podcast_argv(*args: object) -> list[str]:
    """Run the real console entry point in a fresh interpreter (no in-process shortcuts)."""
    return [sys.executable, "-m", "typer_app", *(str(a) for a in args)]


def run_podcast(
    *args: object, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(podcast_argv(*args), capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO)


def children_of(pid: int) -> list[int]:
    """Direct child pids of ``pid`` (Linux /proc), to find the ffmpeg a build started."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def kill_after(process: subprocess.Popen[str], delay: float) -> bool:
    """SIGKILL ``process`` after ``delay`` seconds unless it has already finished. True if it was killed."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return True
