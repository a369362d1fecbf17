"""Golden feed cases: ``tests/data/feeds/<case>.toml`` describes a show and what is online for it.

A case file is podcast.toml's tables (``[show]``, ``[publish]``, optional ``[feed]``) plus the
channel's URLs and one ``[[episodes]]`` table per published episode: its episode.toml under
``[episodes.manifest]`` and the facts of its published objects (media URL, length, duration,
optional image, chapters and transcripts). Loading builds the same FeedChannel/FeedItems the
pipeline builds, in memory, without audio or disk, so golden feeds test feed.py alone.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from podcast.build import episode_notes_markdown
from podcast.feed import ChapterMark, FeedChannel, FeedItem, TranscriptLink
from podcast.manifest import EpisodeManifest, ShowManifest
from podcast.notes import render_html
from podcast.show import Episode, Show

CASES = Path(__file__).parent / "data" / "feeds"


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.toml"))


def load_case(path: Path) -> tuple[FeedChannel, list[FeedItem]]:
    """The channel and items a case describes (items in file order)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return case_from_dict(data)


def case_from_dict(data: dict[str, Any]) -> tuple[FeedChannel, list[FeedItem]]:
    root = Path("/nonexistent/show")
    manifest = ShowManifest.model_validate({key: data[key] for key in ("show", "publish", "feed", "audio") if key in data})
    show = Show(root=root, manifest=manifest, artwork_path=root / manifest.show.artwork)
    items = []
    for entry in data.get("episodes", []):
        slug = entry["slug"]
        episode_manifest = EpisodeManifest.model_validate(entry["manifest"])
        episode = Episode(slug=slug, folder=root / "episodes" / slug, manifest=episode_manifest, audio_paths=())
        items.append(
            FeedItem(
                episode=episode,
                notes_html=render_html(episode_notes_markdown(show, episode)),
                media_url=entry["media_url"],
                media_length=entry["media_length"],
                media_type=entry.get("media_type", "audio/mpeg"),
                duration_s=entry["duration_s"],
                image_url=entry.get("image_url"),
                chapters_url=entry.get("chapters_url"),
                chapters=tuple(ChapterMark(**mark) for mark in entry.get("chapters", [])),
                transcripts=tuple(TranscriptLink(**link) for link in entry.get("transcripts", [])),
            )
        )
    channel = FeedChannel(show=show, feed_url=data["feed_url"], image_url=data["image_url"])
    return channel, items
