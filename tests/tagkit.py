"""Helpers shared by the tag, chapter and artwork tests: a short demo show and the readers we check with.

Everything is read back with real tools: mutagen for ID3 frames, ffprobe (from Debian's
ffmpeg package, installed by scripts/setup.sh) for what ffmpeg-based players see.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from conftest import make_audio
from PIL import Image

EPISODE = "trailer"


def ffprobe(path: Path) -> dict[str, Any]:
    """``ffprobe -show_chapters -show_format -of json`` of ``path`` (a missing ffprobe fails, never skips)."""
    exe = shutil.which("ffprobe")
    assert exe, "ffprobe is missing: run scripts/setup.sh (Debian's ffmpeg package provides it)"
    result = subprocess.run(
        [exe, "-v", "error", "-show_chapters", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def shorten(show: Path, seconds: int = 4) -> Path:
    """Swap the demo master for a short tone so builds take a second, and return the episode folder."""
    folder = show / "episodes" / EPISODE
    (folder / "master.flac").unlink()
    make_audio(folder / "master.flac", source=f"sine=frequency=330:duration={seconds}")
    return folder


def set_chapters(show: Path, toml: str) -> Path:
    """Replace the demo episode's chapters with ``toml`` (``[[chapters]]`` tables or a ``chapters = ...`` key)."""
    manifest = show / "episodes" / EPISODE / "episode.toml"
    text = manifest.read_text(encoding="utf-8").split("[[chapters]]")[0].rstrip() + "\n"
    if toml.lstrip().startswith("chapters ="):
        text = toml.strip() + "\n" + text  # a top-level key must come before any table
    else:
        text += "\n" + toml.strip() + "\n"
    manifest.write_text(text, encoding="utf-8")
    return manifest


def save_image(
    path: Path, size: tuple[int, int] = (1400, 1400), mode: str = "RGB", fmt: str = "JPEG", color: Any = (200, 60, 40)
) -> Path:
    """A plain test picture made with Pillow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, fmt)
    return path


def built_mp3(show: Path) -> Path:
    return show / "build" / EPISODE / f"{EPISODE}.mp3"


def published(show: Path, folder: str) -> list[Path]:
    """The objects publish wrote under ``feed/<folder>/``."""
    return sorted((show / "feed" / folder).glob("*"))
