"""`podcast status`: where each episode stands, from local builds and the target's state record.

Each row says what a producer asks: which episode (slug, number, title), how long it is, whether
the build is current and, when not, *why* (audio, notes, chapters, the redaction list...), and
whether it is live, waiting for its release ("in 1 d 13 h") or withdrawn. The local part needs
nothing but the show folder: without AWS credentials the build state is still shown, and the
publish state says it is unknown rather than stopping the command.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from podcast.build.keys import PART_NAMES, build_parts, render_key
from podcast.build.stages import PARTS_FILE, BuiltEpisode, is_up_to_date, list_fingerprint, read_build, tag_values
from podcast.errors import CredentialsMissing, PodcastError
from podcast.publishing.state import read_state
from podcast.publishing.target import Target
from podcast.show.model import Episode, Show
from podcast.show.settings import PublishSettings
from podcast.timecode import span_text

NO_CREDENTIALS = "publish state unknown (no AWS credentials)"


def stale_reasons(show: Show, episode: Episode, settings: PublishSettings) -> list[str]:
    """Which kinds of input changed since the last build (see :data:`PART_NAMES`)."""
    try:
        stored = json.loads((show.build_dir / episode.slug / PARTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ["built by an older version"]
    try:
        rendered = render_key(show, episode)
        current = build_parts(rendered, tag_values(show, episode, settings, rendered), list_fingerprint(show))
    except PodcastError as exc:  # bad chapters or artwork: the build will say exactly what
        return [exc.problem]
    reasons = [name for name in PART_NAMES if stored.get(name) != current[name]]
    return reasons or ["bleeps not checked yet"]  # the safeguarding pass has not run on this audio


def _release(episode: Episode, record: dict[str, Any] | None, built: BuiltEpisode | None, now: datetime) -> str:
    if episode.manifest.withdrawn:
        return "withdrawn"
    if episode.is_embargoed(now):
        return f"embargoed until {episode.manifest.published.isoformat()}"
    if record is None:
        return "not published"
    if built is not None and record.get("sha256") != built.sha256:
        return "published, changed since (run `podcast publish`)"
    return "published"


def show_status(show: Show, settings: PublishSettings, target: Target, *, now: datetime) -> list[dict[str, Any]]:
    """One row per episode: build state (not built / stale, and why / built) and release state.

    Without AWS credentials for an S3 target, the release of every episode that is not withdrawn
    or embargoed is :data:`NO_CREDENTIALS`; any other storage failure still stops the command.
    """
    try:
        published: dict[str, Any] | None = read_state(target).episodes
    except CredentialsMissing:
        published = None
    rows = []
    for episode in show.episodes:
        built = read_build(show, episode)
        stale: list[str] = []
        if built is None:
            build_state = "not built"
        elif is_up_to_date(show, episode, settings):
            build_state = "built"
        else:
            build_state = "stale"
            stale = stale_reasons(show, episode, settings)
        if published is None and not episode.manifest.withdrawn and not episode.is_embargoed(now):
            release = NO_CREDENTIALS
        else:
            release = _release(episode, (published or {}).get(episode.slug), built, now)
        when = episode.manifest.published
        rows.append(
            {
                "slug": episode.slug,
                "number": episode.manifest.number,
                "title": episode.manifest.title,
                "published": when.isoformat(),
                "duration_s": built.duration_s if built is not None else None,
                "build": build_state,
                "stale_because": stale,
                "release": release,
                "release_in": span_text((when - now).total_seconds()) if episode.is_embargoed(now) else None,
                "release_utc": when.astimezone(UTC).strftime("%a %-d %b %Y %H:%M UTC"),
            }
        )
    return rows
