"""Release planning: which objects must be online and what the feed lists, decided before any upload.

Pure, apart from hashing files: :func:`plan_release` turns fresh builds plus the last
state record into a :class:`Release` (objects, feed items, episode records), which
publish uploads, the gate scans and takedown replans without the withdrawn episode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from podcast.artwork import prepare_artwork
from podcast.build.chapters import (
    CHAPTERS_FILE,
    CHAPTERS_FOLDER,
    chapter_image_files,
    feed_marks,
    marks_from_records,
    marks_to_records,
    read_chapters_json,
)
from podcast.build.keys import sha256_file
from podcast.build.stages import BuiltEpisode, episode_notes_markdown
from podcast.build.transcripts import built_transcript_files
from podcast.files import hashed_key
from podcast.notes import markdown_to_html
from podcast.publishing.feed import AlternateLink, FeedChannel, FeedItem, TranscriptLink
from podcast.publishing.state import (
    AlternateRecord,
    EpisodeRecord,
    ObjectRecord,
    StateRecord,
    TranscriptRecord,
)
from podcast.publishing.target import content_type_for
from podcast.show.model import Episode, Show
from podcast.show.settings import PublishSettings


@dataclass(frozen=True)
class PlannedObject:
    key: str
    source: Path
    sha256: str
    size: int

    @property
    def content_type(self) -> str:
        return content_type_for(self.key)


@dataclass(frozen=True)
class Release:
    """Everything one feed needs: the objects to be online and the feed's items."""

    objects: list[PlannedObject]
    items: list[FeedItem]
    episodes: dict[str, EpisodeRecord]  # slug -> what the state file records about it
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
    previous: dict[str, EpisodeRecord],
    live: list[Episode],
) -> Release:
    """Pure planning: which objects must be online and what the feed lists.

    ``built`` has fresh builds of the episodes being published now; any other live
    episode keeps what ``previous`` (the last state record) says is online for it.
    """
    show_art = artwork_object("show", show.artwork_path, show.build_dir)
    objects: dict[str, PlannedObject] = {show_art.key: show_art}
    items: list[FeedItem] = []
    records: dict[str, EpisodeRecord] = {}
    for episode in live:
        notes = markdown_to_html(episode_notes_markdown(show, episode))
        if episode.slug in built:
            result = built[episode.slug]
            media = PlannedObject(
                hashed_key("media", episode.slug, result.sha256, ".mp3"),
                result.mp3_path,
                result.sha256,
                result.size_bytes,
            )
            objects[media.key] = media
            art = artwork_object(episode.slug, episode.artwork_path, show.build_dir) if episode.artwork_path else None
            if art:
                objects[art.key] = art
            record: EpisodeRecord = {
                "guid": episode.guid,
                "media_key": media.key,
                "size": media.size,
                "sha256": media.sha256,
                "duration_s": result.duration_s,
                "artwork_key": art.key if art else None,
            }
            chapters_file = result.mp3_path.parent / CHAPTERS_FILE  # written by the build with the tags
            if chapters_file.is_file():
                chapters = _object("chapters", episode.slug, chapters_file)
                objects[chapters.key] = chapters
                record["chapters_key"] = chapters.key
                record["chapters"] = marks_to_records(feed_marks(read_chapters_json(chapters_file)))
                pictures = [
                    PlannedObject(f"{CHAPTERS_FOLDER}/{p.name}", p, sha256_file(p), p.stat().st_size)
                    for p in chapter_image_files(result.mp3_path.parent)
                ]
                objects.update({picture.key: picture for picture in pictures})
                record["chapter_image_keys"] = [picture.key for picture in pictures]
            transcripts = [
                (_object("transcripts", episode.slug, f.path), f) for f in built_transcript_files(show, episode)
            ]
            objects.update({obj.key: obj for obj, _ in transcripts})
            record["transcripts"] = [
                {"key": o.key, "type": f.type, "language": f.language, "rel": f.rel} for o, f in transcripts
            ]
            record["transcript_keys"] = [o.key for o, _ in transcripts]  # carried while other episodes publish
            alternates = [
                (
                    PlannedObject(
                        hashed_key("media", episode.slug, a.sha256, a.path.suffix), a.path, a.sha256, a.size_bytes
                    ),
                    a,
                )
                for a in result.alternates
            ]
            objects.update({obj.key: obj for obj, _ in alternates})
            record["alternates"] = [
                {
                    "key": obj.key,
                    "type": a.mime_type,
                    "codecs": a.codecs,
                    "bitrate_kbps": a.bitrate_kbps,
                    "size": a.size_bytes,
                    "sha256": a.sha256,
                    "name": a.name,
                }
                for obj, a in alternates
            ]
            record["alternate_keys"] = [obj.key for obj, _ in alternates]
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
                image_url=settings.url_for(art_key) if (art_key := record.get("artwork_key")) else None,
                chapters_url=settings.url_for(record["chapters_key"]) if record.get("chapters_key") else None,
                chapters=marks_from_records(record.get("chapters")),
                transcripts=feed_links(record.get("transcripts", ()), settings.url_for),
                media_sha256=record.get("sha256"),
                media_bitrate_kbps=show.manifest.audio.bitrate_kbps,
                alternates=alternate_links(record.get("alternates", ()), settings.url_for),
            )
        )
    channel = FeedChannel(show=show, feed_url=settings.feed_url, image_url=settings.url_for(show_art.key))
    return Release(objects=list(objects.values()), items=items, episodes=records, channel=channel)


def feed_links(records: Iterable[TranscriptRecord], url_for: Callable[[str], str]) -> tuple[TranscriptLink, ...]:
    """<podcast:transcript> entries from the state records ``{key, type, language, rel}``."""
    return tuple(TranscriptLink(url_for(r["key"]), r["type"], r["language"], r.get("rel")) for r in records)


def alternate_links(records: Iterable[AlternateRecord], url_for: Callable[[str], str]) -> tuple[AlternateLink, ...]:
    """<podcast:alternateEnclosure> entries (and the website's <source> list) from the state records."""
    return tuple(
        AlternateLink(
            url=url_for(r["key"]),
            type=r["type"],
            length=r["size"],
            bitrate_kbps=r["bitrate_kbps"],
            codecs=r.get("codecs"),
            sha256=r.get("sha256"),
            title=f"{'Opus' if r.get('codecs') == 'opus' else 'AAC'} {r['bitrate_kbps']} kb/s",
        )
        for r in records
    )


def upload_rank(obj: PlannedObject) -> tuple[int, str]:
    """Upload order: media, then transcripts and chapters, then artwork (then anything else).

    >>> [upload_rank(PlannedObject(k, Path(k), "", 0))[0] for k in ("artwork/a.jpg", "media/a.mp3", "transcripts/a.vtt")]
    [2, 0, 1]
    """
    folder = obj.key.split("/", 1)[0]
    return {"media": 0, "transcripts": 1, "chapters": 1, "artwork": 2}.get(folder, 3), obj.key


def carried_objects(release: Release, state: StateRecord) -> dict[str, ObjectRecord]:
    """State entries for objects of episodes not rebuilt now but still in the feed (``*_key``/``*_keys`` fields).

    Without them, publishing one episode would record (and then delete) the others' media.

    >>> record = {"media_key": "media/a-1.mp3", "size": 3, "chapter_image_keys": ["chapters/c-2.jpg"]}
    >>> release = Release(objects=[], items=[], channel=None, episodes={"a": record})
    >>> stored = {"media/a-1.mp3": {"size": 3}, "chapters/c-2.jpg": {"size": 5}, "media/old.mp3": {}}
    >>> carried_objects(release, StateRecord(objects=stored))
    {'chapters/c-2.jpg': {'size': 5}, 'media/a-1.mp3': {'size': 3}}
    """
    keys: set[str] = set()
    for record in release.episodes.values():
        for name, value in record.items():
            if name.endswith("_key") and isinstance(value, str):
                keys.add(value)
            elif name.endswith("_keys") and isinstance(value, list):  # e.g. chapter_image_keys
                keys.update(key for key in value if isinstance(key, str))
    return {key: state.objects[key] for key in sorted(keys) if key in state.objects}


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
