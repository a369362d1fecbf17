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
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podcast.artwork import prepare_artwork
from podcast.errors import EpisodeInvalid, StateConflict
from podcast.publishing.lock import publish_lock
from podcast.build.keys import sha256_file
from podcast.build.stages import BuiltEpisode, build_episode, episode_notes_markdown, read_build
from podcast.build.chapters import (
    CHAPTERS_FILE,
    CHAPTERS_FOLDER,
    chapter_image_files,
    feed_marks,
    marks_from_records,
    marks_to_records,
    read_chapters_json,
)
from podcast.publishing.feed import FeedChannel, FeedItem, TranscriptLink, build_feed
from podcast.notes import markdown_to_html
from podcast.safeguarding.gate import Artefact, refuse_if_hits, scan_artefacts
from podcast.show.settings import PublishSettings
from podcast.show.model import Episode, Show
from podcast.show.redactions import RedactionList
from podcast.build.transcripts import built_transcript_files
from podcast.files import hashed_key
from podcast.publishing.target import FEED_CACHE, FEED_KEY, LONG_CACHE, STATE_KEY, Target, content_type_for

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
    cdn_invalidation: str | None = None  # CloudFront invalidation id, when one was requested

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


def artwork_object(stem: str, path: Path, build_dir: Path) -> PlannedObject:
    """The artwork object: the producer's file, or its repaired copy (see artwork.prepare_artwork).

    The key hashes the published bytes, so it changes whenever the image does (Apple caches art by URL).
    """
    published = prepare_artwork(path, build_dir).path
    sha = sha256_file(published)
    suffix = ".png" if published.suffix.lower() == ".png" else ".jpg"
    return PlannedObject(hashed_key("artwork", stem, sha, suffix), published, sha, published.stat().st_size)


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
    show_art = artwork_object("show", show.artwork_path, show.build_dir)
    objects: dict[str, PlannedObject] = {show_art.key: show_art}
    items: list[FeedItem] = []
    records: dict[str, dict[str, Any]] = {}
    for episode in live:
        notes = markdown_to_html(episode_notes_markdown(show, episode))
        if episode.slug in built:
            result = built[episode.slug]
            media = PlannedObject(hashed_key("media", episode.slug, result.sha256, ".mp3"), result.mp3_path,
                                  result.sha256, result.size_bytes)  # fmt: skip
            objects[media.key] = media
            art = artwork_object(episode.slug, episode.artwork_path, show.build_dir) if episode.artwork_path else None
            if art:
                objects[art.key] = art
            record = {"guid": episode.guid, "media_key": media.key, "size": media.size, "sha256": media.sha256,
                      "duration_s": result.duration_s, "artwork_key": art.key if art else None}  # fmt: skip
            chapters_file = result.mp3_path.parent / CHAPTERS_FILE  # written by the build with the tags
            if chapters_file.is_file():
                chapters = _object("chapters", episode.slug, chapters_file)
                objects[chapters.key] = chapters
                record["chapters_key"] = chapters.key
                record["chapters"] = marks_to_records(feed_marks(read_chapters_json(chapters_file)))
                pictures = [PlannedObject(f"{CHAPTERS_FOLDER}/{p.name}", p, sha256_file(p), p.stat().st_size)
                            for p in chapter_image_files(result.mp3_path.parent)]  # fmt: skip
                objects.update({picture.key: picture for picture in pictures})
                record["chapter_image_keys"] = [picture.key for picture in pictures]
            transcripts = [(_object("transcripts", episode.slug, f.path), f) for f in built_transcript_files(show, episode)]
            objects.update({obj.key: obj for obj, _ in transcripts})
            record["transcripts"] = [{"key": o.key, "type": f.type, "language": f.language, "rel": f.rel} for o, f in transcripts]
            record["transcript_keys"] = [o.key for o, _ in transcripts]  # carried while other episodes publish
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
                chapters_url=settings.url_for(record["chapters_key"]) if record.get("chapters_key") else None,
                chapters=marks_from_records(record.get("chapters")),
                transcripts=feed_links(record.get("transcripts", ()), settings.url_for),
            )
        )
    channel = FeedChannel(show=show, feed_url=settings.feed_url, image_url=settings.url_for(show_art.key))
    return Release(objects=list(objects.values()), items=items, episodes=records, channel=channel)


def release_artefacts(release: Release, feed: bytes, *, feed_key: str = "feed.xml", state: bytes | None = None) -> list[Artefact]:
    """Everything a release plan publishes: its objects, the feed and the state record."""
    artefacts = [Artefact(obj.key, source=obj.source) for obj in release.objects]
    artefacts.append(Artefact(feed_key, data=feed))
    state_bytes = state if state is not None else json.dumps(release.episodes, sort_keys=True).encode()
    artefacts.append(Artefact(STATE_KEY, data=state_bytes))
    return artefacts


def gate_release(show: Show, release: Release, feed: bytes, *, names: RedactionList | None = None) -> None:
    """The publish gate: call after planning, before the first upload. Raises SafeguardingRefusal.

    Other artefacts a branch adds to ``release.objects`` (transcripts, chapters JSON) are
    scanned automatically by their suffix; anything uploaded from memory must be passed
    through :func:`scan_artefacts` with ``Artefact(key, data=...)`` before it goes up.
    """
    names = show.redactions if names is None else names
    refuse_if_hits(scan_artefacts(release_artefacts(release, feed), names))


def feed_links(records: Iterable[dict[str, Any]], url_for: Callable[[str], str]) -> tuple[TranscriptLink, ...]:
    """<podcast:transcript> entries from the state records ``{key, type, language, rel}``."""
    return tuple(TranscriptLink(url_for(r["key"]), r["type"], r["language"], r.get("rel")) for r in records)


def read_state(target: Target) -> dict[str, Any]:
    return _parse_state(target.get_bytes(STATE_KEY))


def read_state_versioned(target: Target) -> tuple[dict[str, Any], bytes | None, str | None]:
    """The state record parsed, as stored, and its version tag (for the conditional write)."""
    raw, version = target.get_versioned(STATE_KEY)
    return _parse_state(raw), raw, version


def upload_rank(obj: PlannedObject) -> tuple[int, str]:
    """Upload order: media, then transcripts and chapters, then artwork (then anything else).

    >>> [upload_rank(PlannedObject(k, Path(k), "", 0))[0] for k in ("artwork/a.jpg", "media/a.mp3", "transcripts/a.vtt")]
    [2, 0, 1]
    """
    folder = obj.key.split("/", 1)[0]
    return {"media": 0, "transcripts": 1, "chapters": 1, "artwork": 2}.get(folder, 3), obj.key


def carried_objects(release: Release, state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """State entries for objects of episodes not rebuilt now but still in the feed (``*_key``/``*_keys`` fields).

    Without them, publishing one episode would record (and then delete) the others' media.

    >>> record = {"media_key": "media/a-1.mp3", "size": 3, "chapter_image_keys": ["chapters/c-2.jpg"]}
    >>> release = Release(objects=[], items=[], channel=None, episodes={"a": record})
    >>> stored = {"media/a-1.mp3": {"size": 3}, "chapters/c-2.jpg": {"size": 5}, "media/old.mp3": {}}
    >>> carried_objects(release, {"objects": stored})
    {'chapters/c-2.jpg': {'size': 5}, 'media/a-1.mp3': {'size': 3}}
    """
    keys: set[str] = set()
    for record in release.episodes.values():
        for name, value in record.items():
            if name.endswith("_key") and isinstance(value, str):
                keys.add(value)
            elif name.endswith("_keys") and isinstance(value, list):  # e.g. chapter_image_keys
                keys.update(key for key in value if isinstance(key, str))
    return {key: state["objects"][key] for key in sorted(keys) if key in state["objects"]}


def _check_no_episode_lost(state: dict[str, Any], first_seen: set[str], release: Release, target: Target) -> None:
    """Refuse to drop an episode another producer published while this publish ran.

    Its folder is not in this show folder, so this feed cannot list it; writing the feed
    anyway would silently unpublish it.
    """
    missing = sorted(set(state["episodes"]) - first_seen - set(release.episodes))
    if missing:
        raise StateConflict(
            f"someone else published {', '.join(missing)} while this publish ran, and this show folder does not have it",
            path=target.describe(), fix="update your show folder (e.g. git pull), then run `podcast publish` again",
        )


def _check_guids_kept(live: list[Episode], state: dict[str, Any]) -> None:
    """Refuse to publish an episode under another GUID than the one it was published with.

    Apps know an episode by its GUID: a new one makes every app list the episode twice and
    download it again. (``podcast validate`` reports the same against the live feed.)
    """
    for episode in live:
        published = state["episodes"].get(episode.slug, {}).get("guid")
        if published and published != episode.guid:
            raise EpisodeInvalid(
                f"its guid changed since it was published (it was {published}): every podcast app would list "
                "the episode twice and download it again",
                path=episode.manifest_path,
                fix=f'put back guid = "{published}" (to replace an episode, withdraw it and publish a new one)',
            )


def _parse_state(raw: bytes | None) -> dict[str, Any]:
    if not raw:
        return {"objects": {}, "episodes": {}}
    try:
        state = json.loads(raw)
        parsed = {"objects": dict(state.get("objects", {})), "episodes": dict(state.get("episodes", {}))}
        if not all(isinstance(record, dict) for part in parsed.values() for record in part.values()):
            raise ValueError("a record is not a table")
        return parsed
    except (ValueError, TypeError, AttributeError):  # not JSON, or JSON of the wrong shape (hand-edited, half-synced)
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
    on_upload_progress: Callable[[str, int, int], None] | None = None,
) -> PublishReport:
    """Build what is stale, upload what changed, write the feed, record state, clean up.

    Uploads need no lock (content-hashed names); the feed, the state record and deletions
    happen under the target's publish lock (:mod:`podcast.locking`). If another producer
    published while this one uploaded, the release is planned again on top of theirs.
    """
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

    state, raw_state, version = read_state_versioned(target)
    first_seen, sent = set(state["episodes"]), set[str]()

    def stage(state: dict[str, Any]) -> tuple[Release, bytes, bytes]:
        """Plan on top of ``state`` and upload what the target lacks: (release, feed, state record)."""
        _check_guids_kept(live, state)
        release = plan_release(show, settings, built, state["episodes"], live)
        _check_no_episode_lost(state, first_seen, release, target)
        report.episodes = [item.episode.slug for item in release.items]
        gate_release(show, release, build_feed(release.channel, release.items))  # safeguarding: refuse before any upload
        report.unchanged = 0
        # 1. Media first, then transcripts, chapters and artwork, skipping what the target holds.
        for obj in sorted(release.objects, key=upload_rank):
            known = state["objects"].get(obj.key)
            vouched = obj.key in sent or (known or {}).get("sha256") == obj.sha256 or obj.sha256[:12] in obj.key
            if vouched and target.exists(obj.key, obj.size):  # a content-hashed name of the right size is complete
                report.unchanged += obj.key not in sent
                continue
            sent.add(obj.key)
            report.uploaded.append({"key": obj.key, "bytes": obj.size})
            if not dry_run:
                progress = (lambda n, key=obj.key, total=obj.size: on_upload_progress(key, n, total)) if on_upload_progress else None
                target.put_file(obj.key, obj.source, content_type=obj.content_type, cache_control=LONG_CACHE,
                                sha256=obj.sha256, on_progress=progress)  # fmt: skip
                if on_upload:
                    on_upload(obj)
        objects = {obj.key: {"sha256": obj.sha256, "size": obj.size} for obj in release.objects}
        objects.update(carried_objects(release, state))
        report.deleted = sorted(set(state["objects"]) - set(objects))
        encoded = (json.dumps({"objects": objects, "episodes": release.episodes}, indent=2, sort_keys=True) + "\n").encode()
        return release, build_feed(release.channel, release.items), encoded

    release, feed, encoded = stage(state)
    live_feed = target.get_bytes(FEED_KEY)
    report.feed_changed = live_feed != feed
    if dry_run or (live_feed == feed and raw_state == encoded and not report.deleted):
        return report

    # 2-4 run under the target's publish lock, so two producers never interleave their
    # feed and state writes; if someone published while we uploaded, plan again on top.
    with publish_lock(target):
        fresh, raw_state, latest = read_state_versioned(target)
        if latest != version:
            log.info("someone else published meanwhile; planning again on top of their release")
            release, feed, encoded = stage(fresh)
            report.feed_changed = target.get_bytes(FEED_KEY) != feed
        # 2. The feed, only once everything it names is in place.
        if report.feed_changed:
            target.put_bytes(FEED_KEY, feed, content_type=content_type_for(FEED_KEY), cache_control=FEED_CACHE)
        # 3. Delete what the live feed no longer names, *before* the state record drops them: a publish
        # killed in between leaves them in the old record, so the re-run deletes them (a withdrawn
        # episode's audio must not stay online, unrecorded, forever).
        for key in report.deleted:
            target.delete(key)
        # 4. The state record, conditional on the version read under the lock (belt and braces).
        if raw_state != encoded:
            try:
                target.put_if(STATE_KEY, encoded, expected=latest, content_type="application/json", cache_control="no-store")
            except StateConflict:
                if target.get_versioned(STATE_KEY)[0] != encoded:  # else: our write landed, its answer was lost
                    raise

    if report.feed_changed and settings.cloudfront_distribution_id:
        from podcast.publishing.s3 import invalidate_cdn

        path = urlsplit(settings.feed_url).path or "/feed.xml"
        report.cdn_invalidation = invalidate_cdn(settings.cloudfront_distribution_id, [path])
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
