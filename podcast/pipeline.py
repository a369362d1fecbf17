"""Publishing: build what is stale, upload what changed, write the feed last.

The order is the safety property. Media and artwork go up first; the feed that names
them is written only when every object it names is complete; the state record goes
after the feed, and objects nothing references any more are deleted only after the new
feed is live. A publish that dies at any point leaves the previous feed naming
complete objects, and running it again finishes the job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .artwork import inspect_artwork
from .build import BuiltEpisode, build_episode, episode_notes_markdown, read_build, sha256_file
from .feed import FeedChannel, FeedItem, build_feed
from .notes import render_html
from .settings import PublishSettings
from .show import Episode, Show
from .transcripts import built_transcript_files, feed_links
from .storage import FEED_CACHE, FEED_KEY, LONG_CACHE, STATE_KEY, Target, content_type_for, hashed_key

log = logging.getLogger(__name__)

Progress = Callable[[str, str, float], None]  # (slug or key, step, fraction)


@dataclass(frozen=True)
class PlannedObject:
    key: str
    source: Path
    sha256: str
    size: int

    @property
    def content_type(self) -> str:
        return content_type_for(self.key)


@dataclass
class PublishReport:
    """What a publish did (or, with dry_run, would do). Rendered as text or JSON by the CLI."""

    target: str
    feed_url: str
    dry_run: bool
    built: list[dict[str, Any]] = field(default_factory=list)
    uploaded: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    feed_changed: bool = False
    episodes: list[str] = field(default_factory=list)
    embargoed: list[dict[str, str]] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)

    @property
    def uploaded_bytes(self) -> int:
        return sum(item["bytes"] for item in self.uploaded)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "uploaded_bytes": self.uploaded_bytes}


@dataclass(frozen=True)
class Release:
    """Everything one feed needs: the objects to be online and the feed's items."""

    objects: list[PlannedObject]
    items: list[FeedItem]
    episodes: dict[str, dict[str, Any]]  # slug -> what the state file records about it
    channel: FeedChannel


def _object(folder: str, stem: str, path: Path) -> PlannedObject:
    sha = sha256_file(path)
    return PlannedObject(hashed_key(folder, stem, sha, path.suffix.lower()), path, sha, path.stat().st_size)


def artwork_object(stem: str, path: Path) -> PlannedObject:
    info = inspect_artwork(path)
    sha = sha256_file(path)
    return PlannedObject(hashed_key("artwork", stem, sha, info.extension), path, sha, path.stat().st_size)


def plan_release(
    show: Show,
    settings: PublishSettings,
    built: dict[str, BuiltEpisode],
    previous: dict[str, dict[str, Any]],
    live: list[Episode],
) -> Release:
    """Pure planning: which objects must be online and what the feed lists.

    ``built`` has fresh builds of the episodes being published now; any other live
    episode keeps what ``previous`` (the last state record) says is online for it.
    """
    show_art = artwork_object("show", show.artwork_path)
    objects: dict[str, PlannedObject] = {show_art.key: show_art}
    items: list[FeedItem] = []
    records: dict[str, dict[str, Any]] = {}
    for episode in live:
        notes = render_html(episode_notes_markdown(show, episode))
        if episode.slug in built:
            result = built[episode.slug]
            media = PlannedObject(hashed_key("media", episode.slug, result.sha256, ".mp3"), result.mp3_path,
                                  result.sha256, result.size_bytes)  # fmt: skip
            objects[media.key] = media
            art = artwork_object(episode.slug, episode.artwork_path) if episode.artwork_path else None
            if art:
                objects[art.key] = art
            record = {"guid": episode.guid, "media_key": media.key, "size": media.size, "sha256": media.sha256,
                      "duration_s": result.duration_s, "artwork_key": art.key if art else None}  # fmt: skip
            transcripts = [(_object("transcripts", episode.slug, f.path), f) for f in built_transcript_files(show, episode)]
            objects.update({obj.key: obj for obj, _ in transcripts})
            record["transcripts"] = [{"key": o.key, "type": f.type, "language": f.language, "rel": f.rel} for o, f in transcripts]
        elif episode.slug in previous and previous[episode.slug].get("guid") == episode.guid:
            record = previous[episode.slug]
        else:
            continue  # never published and not being published now
        records[episode.slug] = record
        items.append(
            FeedItem(
                episode=episode,
                notes_html=notes,
                media_url=settings.url_for(record["media_key"]),
                media_length=record["size"],
                media_type="audio/mpeg",
                duration_s=record["duration_s"],
                image_url=settings.url_for(record["artwork_key"]) if record.get("artwork_key") else None,
                transcripts=feed_links(record.get("transcripts", ()), settings.url_for),
            )
        )
    channel = FeedChannel(show=show, feed_url=settings.feed_url, image_url=settings.url_for(show_art.key))
    return Release(objects=list(objects.values()), items=items, episodes=records, channel=channel)


def read_state(target: Target) -> dict[str, Any]:
    raw = target.get_bytes(STATE_KEY)
    if not raw:
        return {"objects": {}, "episodes": {}}
    try:
        state = json.loads(raw)
        return {"objects": dict(state.get("objects", {})), "episodes": dict(state.get("episodes", {}))}
    except ValueError:
        log.warning("%s is unreadable; treating the target as empty", STATE_KEY)
        return {"objects": {}, "episodes": {}}


def live_episodes(show: Show, now: datetime) -> tuple[list[Episode], list[Episode], list[Episode]]:
    """(live, embargoed, withdrawn): only live episodes may appear anywhere public."""
    live, embargoed, withdrawn = [], [], []
    for episode in show.episodes:
        if episode.manifest.withdrawn:
            withdrawn.append(episode)
        elif episode.is_embargoed(now):
            embargoed.append(episode)
        else:
            live.append(episode)
    return live, embargoed, withdrawn


def publish(
    show: Show,
    settings: PublishSettings,
    target: Target,
    *,
    slugs: list[str] | None,
    now: datetime,
    dry_run: bool = False,
    on_build_progress: Callable[[str, str, float], None] | None = None,
    on_upload: Callable[[PlannedObject], None] | None = None,
) -> PublishReport:
    """Build what is stale, upload what changed, write the feed, record state, clean up."""
    live, embargoed, withdrawn = live_episodes(show, now)
    selected = {episode.slug for episode in show.select(slugs)}
    report = PublishReport(target=target.describe(), feed_url=settings.feed_url, dry_run=dry_run)
    report.embargoed = [{"slug": e.slug, "until": e.manifest.published.isoformat()} for e in embargoed]
    report.withdrawn = [e.slug for e in withdrawn]

    built: dict[str, BuiltEpisode] = {}
    for episode in live:
        if episode.slug not in selected:
            continue
        if dry_run:
            cached = read_build(show, episode)
            if cached is None:
                report.built.append({"slug": episode.slug, "action": "would build"})
                continue
            built[episode.slug] = cached
            continue
        progress = (lambda step, fraction, slug=episode.slug: on_build_progress(slug, step, fraction)) if on_build_progress else None
        result = build_episode(show, episode, settings, on_progress=progress)
        built[episode.slug] = result
        if result.audio_rebuilt or result.tags_rewritten:
            report.built.append({"slug": episode.slug, "action": "built" if result.audio_rebuilt else "retagged"})

    state = read_state(target)
    release = plan_release(show, settings, built, state["episodes"], live)
    report.episodes = [item.episode.slug for item in release.items]

    # 1. Media and artwork, skipping what the target already holds.
    for obj in release.objects:
        known = state["objects"].get(obj.key)
        if known and known.get("sha256") == obj.sha256 and target.exists(obj.key, obj.size):
            report.unchanged += 1
            continue
        report.uploaded.append({"key": obj.key, "bytes": obj.size})
        if not dry_run:
            target.put_file(obj.key, obj.source, content_type=obj.content_type, cache_control=LONG_CACHE)
            if on_upload:
                on_upload(obj)

    # 2. The feed, only once everything it names is in place.
    feed = build_feed(release.channel, release.items)
    report.feed_changed = target.get_bytes(FEED_KEY) != feed
    if report.feed_changed and not dry_run:
        target.put_bytes(FEED_KEY, feed, content_type=content_type_for(FEED_KEY), cache_control=FEED_CACHE)

    # 3. The state record, then 4. delete what the live feed no longer names.
    objects = {obj.key: {"sha256": obj.sha256, "size": obj.size} for obj in release.objects}
    report.deleted = sorted(set(state["objects"]) - set(objects))
    if not dry_run:
        new_state = {"objects": objects, "episodes": release.episodes}
        encoded = (json.dumps(new_state, indent=2, sort_keys=True) + "\n").encode()
        if target.get_bytes(STATE_KEY) != encoded:
            target.put_bytes(STATE_KEY, encoded, content_type="application/json", cache_control="no-store")
        for key in report.deleted:
            target.delete(key)
    return report


def write_feed_for(show: Show, settings: PublishSettings, *, now: datetime, build: bool = True,
                   on_build_progress: Callable[[str, str, float], None] | None = None) -> bytes:  # fmt: skip
    """The feed as publish would write it, from local builds only (for `podcast feed` and `validate`)."""
    live, _, _ = live_episodes(show, now)
    built: dict[str, BuiltEpisode] = {}
    for episode in live:
        if build:
            progress = (lambda step, fraction, slug=episode.slug: on_build_progress(slug, step, fraction)) if on_build_progress else None
            built[episode.slug] = build_episode(show, episode, settings, on_progress=progress)
        else:
            cached = read_build(show, episode)
            if cached:
                built[episode.slug] = cached
    release = plan_release(show, settings, built, {}, live)
    return build_feed(release.channel, release.items)
