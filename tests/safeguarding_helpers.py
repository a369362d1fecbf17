"""Helpers for the safeguarding tests: a private redaction list, episodes edited or added in place.

Every name used here is an obvious placeholder ("Ana", "Jordan Example").
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import tomlkit


def write_redactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str = "Ana\n= Jordan Example => Sam\n"
) -> Path:
    """Write the list outside the show folder (tmp_path/private/) and point PODCAST_REDACTIONS at it.

    "Example" is an ordinary word all over the demo show (example.org), so the default list
    opts that line out of matching its words on their own (the leading "=").
    """
    path = tmp_path / "private" / "redactions.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PODCAST_REDACTIONS", str(path))
    return path


def edit_episode(show: Path, slug: str, **fields: Any) -> None:
    """Change top-level keys of an episode.toml (None removes the key), keeping the rest of the file."""
    path = show / "episodes" / slug / "episode.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    for key, value in fields.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def add_episode(
    show: Path,
    slug: str,
    audio: Path,
    *,
    number: int,
    title: str | None = None,
    published: str = "2026-11-21T09:00:00Z",
    **fields: Any,
) -> Path:
    """A new episode folder with a copy of ``audio`` and a minimal episode.toml."""
    folder = show / "episodes" / slug
    folder.mkdir(parents=True)
    shutil.copy2(audio, folder / audio.name)
    document = tomlkit.document()
    document["title"] = title or f"Episode {number}"
    document["number"] = number
    document["published"] = tomlkit.item(
        __import__("datetime").datetime.fromisoformat(published.replace("Z", "+00:00"))
    )
    document["audio"] = audio.name
    document["description"] = f"Notes for episode {number}."
    document["guid"] = str(uuid.uuid4())
    for key, value in fields.items():
        document[key] = value
    (folder / "episode.toml").write_text(tomlkit.dumps(document), encoding="utf-8")
    return folder


def feed_items(feed: Path) -> dict[str, Any]:
    """guid -> parsed item, read with feedparser (an independent consumer)."""
    import feedparser

    parsed = feedparser.parse(feed.read_bytes())
    return {entry.id: entry for entry in parsed.entries}


def copy_built_demo(built_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the session's built demo show: its audio is cached, so publishing only re-tags."""
    root = tmp_path / "show"
    shutil.copytree(built_demo, root)
    return root
