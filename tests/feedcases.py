"""Golden feed cases: ``tests/data/feeds/<case>.toml`` describes a show and what is online for it.

Two forms. A self-contained case is podcast.toml's tables (``[show]``, ``[publish]``, optional ``[feed]``) plus the
channel's URLs and one ``[[episodes]]`` table per published episode: its episode.toml under
``[episodes.manifest]`` and the facts of its published objects (media URL, length, duration,
optional image, chapters and transcripts). Loading builds the same FeedChannel/FeedItems the
pipeline builds, in memory, without audio or disk, so golden feeds test feed.py alone.
A case with ``show = "<folder>"`` (e.g. ``demo.toml``) instead loads that show folder from the
repository and pins what the publishing state records for each episode (``[episodes.<slug>]``),
so its feed goes through ``plan_release`` exactly as a publish would build it.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podcast.build.chapters import ChapterMark
from podcast.build.stages import episode_notes_markdown
from podcast.notes import markdown_to_html
from podcast.publishing.feed import AlternateLink, FeedChannel, FeedItem, TranscriptLink
from podcast.show.manifest import EpisodeManifest, ShowManifest
from podcast.show.model import Episode, Show

CASES = Path(__file__).parent / "data" / "feeds"
REPO = Path(__file__).resolve().parent.parent


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.toml"))


def load_case(path: Path) -> tuple[FeedChannel, list[FeedItem]]:
    """The channel and items a case describes (items in file order)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if isinstance(data.get("show"), str):
        return case_from_show_folder(data)
    return case_from_dict(data)


def case_from_show_folder(data: dict[str, Any]) -> tuple[FeedChannel, list[FeedItem]]:
    """A real show folder plus pinned published objects, planned as `podcast publish` would."""
    from podcast.publishing.plan import live_episodes, plan_release
    from podcast.show.model import load_show
    from podcast.show.settings import resolve_settings

    show = load_show(REPO / data["show"])
    settings = resolve_settings(show, base_url=data["publish"]["base_url"])
    live, _, _ = live_episodes(show, datetime(2100, 1, 1, tzinfo=UTC))
    previous = {
        slug: {"guid": show.episode(slug).guid, "artwork_key": None, **record}
        for slug, record in data["episodes"].items()
    }
    release = plan_release(show, settings, {}, previous, live)
    assert [item.episode.slug for item in release.items] == list(data["episodes"])
    return release.channel, release.items


def case_from_dict(data: dict[str, Any]) -> tuple[FeedChannel, list[FeedItem]]:
    root = Path("/nonexistent/show")
    manifest = ShowManifest.model_validate(
        {key: data[key] for key in ("show", "publish", "feed", "audio") if key in data}
    )
    show = Show(root=root, manifest=manifest, artwork_path=root / manifest.show.artwork)
    items = []
    for entry in data.get("episodes", []):
        slug = entry["slug"]
        episode_manifest = EpisodeManifest.model_validate(entry["manifest"])
        episode = Episode(slug=slug, folder=root / "episodes" / slug, manifest=episode_manifest, audio_paths=())
        items.append(
            FeedItem(
                episode=episode,
                notes_html=markdown_to_html(episode_notes_markdown(show, episode)),
                media_url=entry["media_url"],
                media_length=entry["media_length"],
                media_type=entry.get("media_type", "audio/mpeg"),
                duration_s=entry["duration_s"],
                image_url=entry.get("image_url"),
                chapters_url=entry.get("chapters_url"),
                chapters=tuple(ChapterMark(**mark) for mark in entry.get("chapters", [])),
                transcripts=tuple(TranscriptLink(**link) for link in entry.get("transcripts", [])),
                media_sha256=entry.get("media_sha256"),
                media_bitrate_kbps=entry.get("media_bitrate_kbps"),
                alternates=tuple(AlternateLink(**link) for link in entry.get("alternates", [])),
            )
        )
    channel = FeedChannel(show=show, feed_url=data["feed_url"], image_url=data["image_url"])
    return channel, items
