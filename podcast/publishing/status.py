"""`podcast status`: where each episode stands, from local builds and the target's state record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from podcast.build.stages import is_up_to_date, read_build
from podcast.publishing.state import read_state
from podcast.publishing.target import Target
from podcast.show.model import Show
from podcast.show.settings import PublishSettings


def show_status(show: Show, settings: PublishSettings, target: Target, *, now: datetime) -> list[dict[str, Any]]:
    """One row per episode: build state (not built / stale / built) and release state."""
    published = read_state(target).episodes
    rows = []
    for episode in show.episodes:
        built = read_build(show, episode)
        build_state = "not built" if built is None else "built" if is_up_to_date(show, episode, settings) else "stale"
        record = published.get(episode.slug)
        if episode.manifest.withdrawn:
            release = "withdrawn"
        elif episode.is_embargoed(now):
            release = f"embargoed until {episode.manifest.published.isoformat()}"
        elif record is None:
            release = "not published"
        elif built is not None and record.get("sha256") != built.sha256:
            release = "published, changed since (run `podcast publish`)"
        else:
            release = "published"
        rows.append(
            {
                "slug": episode.slug,
                "number": episode.manifest.number,
                "title": episode.manifest.title,
                "published": episode.manifest.published.isoformat(),
                "build": build_state,
                "release": release,
            }
        )
    return rows
