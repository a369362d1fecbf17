"""`podcast build`: render each episode into ``build/<slug>/``, skipping what is up to date.

Two caches, keyed by content hashes rather than timestamps:

* the **audio** (assemble, normalise, encode) is keyed by the source files' bytes and
  the ``[audio]`` settings; it is the slow part and is redone only when those change;
* the **tagged MP3** is keyed by the audio key plus every tag value, the cover image, the
  chapters and the ID3 version (:func:`tags_key`), so editing the notes or the chapters
  re-tags in milliseconds without touching the audio.

Every file is written under a temporary name and renamed into place, and ``build.json``
is written last, so an interrupted build is never mistaken for a finished one.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from podcast import __version__
from podcast.artwork import embedded_cover, require_usable_artwork
from podcast.audio.loudness import probe
from podcast.audio.picture import warm_up
from podcast.audio.render import pass_through, render_episode_audio
from podcast.audio.tags import TagValues, read_duration, write_tags
from podcast.audio.tracks import episode_sources, track_levels
from podcast.build.alternates import BuiltAlternate, alternates_up_to_date, build_alternates
from podcast.build.censor import applied_plan, audio_censor
from podcast.build.chapters import check_chapters, load_chapters, tag_chapters, write_chapter_files
from podcast.build.keys import audio_key, build_parts, music_flags, render_key, render_settings, sha256_file, tags_key
from podcast.build.report import PICTURE_FILE, track_rows, warn_hard_limiting, write_loudness_picture
from podcast.build.safeguard import check_unlocated, write_bleeps
from podcast.build.transcripts import (
    Findings,
    build_transcripts,
    check_supplied_transcript,
    safeguarding_findings,
    transcript_text,
)
from podcast.errors import PodcastError
from podcast.files import write_atomic
from podcast.notes import compose_markdown, markdown_to_text
from podcast.safeguarding.censor import CensorPlan, censor_plan
from podcast.show.model import Episode, Show
from podcast.show.redactions import redact_chapters
from podcast.show.settings import PublishSettings

log = logging.getLogger(__name__)


Progress = Callable[[str, float], None]
PARTS_FILE = "parts.json"  # per kind of input, the hash it was built from (podcast.build.keys.build_parts)


@dataclass(frozen=True)
class BuiltEpisode:
    """The result of building one episode: the final MP3 and what was measured."""

    slug: str
    mp3_path: Path
    size_bytes: int
    sha256: str
    duration_s: float
    audio_key: str
    tags_key: str
    loudness: dict[str, Any]
    audio_rebuilt: bool = False
    tags_rewritten: bool = False
    # [[audio.alternates]] (Opus, AAC) of the same programme: file, MIME type, bitrate, length, hash, loudness
    alternates: tuple[BuiltAlternate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mp3_path"] = str(self.mp3_path)
        data["alternates"] = [alternate.to_dict() for alternate in self.alternates]
        return data


def episode_notes_markdown(show: Show, episode: Episode) -> str:
    """Notes as listeners get them: content warning first, support notice last."""
    return compose_markdown(
        episode.manifest.description,
        content_warning=episode.manifest.content_warning,
        support_notice=show.manifest.show.support_notice,
    )


def tag_values(show: Show, episode: Episode, settings: PublishSettings, rendered_key: str) -> TagValues:
    info = show.manifest.show
    cover_path = episode.artwork_path or show.artwork_path
    for art in {show.artwork_path, cover_path}:  # fail before any audio work on art no repair can save
        require_usable_artwork(art)
    return TagValues(
        title=episode.manifest.title,
        show=info.title,
        author=info.author,
        number=episode.manifest.number,
        season=episode.manifest.season,
        published=episode.manifest.published,
        notes=markdown_to_text(episode_notes_markdown(show, episode)),
        guid=episode.guid,
        feed_url=settings.feed_url,
        episode_url=info.link,
        copyright=info.copyright,
        cover_jpeg=embedded_cover(cover_path),
        chapters=tag_chapters(redact_chapters(load_chapters(episode), show.redactions)),
        transcript_text=transcript_text(show, episode, rendered_key),
    )


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    try:
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    except OSError as exc:  # a full disk must be a clear error, not a traceback
        raise PodcastError(
            f"cannot write the build record ({exc.strerror})", path=path, fix="check free disk space"
        ) from None


def read_build(show: Show, episode: Episode) -> BuiltEpisode | None:
    """The last finished build of ``episode``, or None (never built, or the file has gone)."""
    record = show.build_dir / episode.slug / "build.json"
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        # The stored path is informative only: the show folder may have moved since.
        folder = show.build_dir / episode.slug
        mp3 = folder / f"{episode.slug}.mp3"
        alternates = tuple(BuiltAlternate.from_dict(a, folder) for a in data.get("alternates", ()))
        built = BuiltEpisode(
            **{**data, "mp3_path": mp3, "audio_rebuilt": False, "tags_rewritten": False, "alternates": alternates}
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not built.mp3_path.is_file() or built.mp3_path.stat().st_size != built.size_bytes:
        return None
    return built


def is_up_to_date(show: Show, episode: Episode, settings: PublishSettings) -> bool:
    built = read_build(show, episode)
    if built is None:
        return False
    rendered_key = render_key(show, episode)
    values = tag_values(show, episode, settings, rendered_key)
    mix = show.build_dir / episode.slug / f"mix-{rendered_key[:16]}.flac"
    if episode.manifest.tracks and not mix.is_file():
        return False
    sources = (mix,) if episode.manifest.tracks else episode.audio_paths
    # The same timeline and length the build gave the safeguarding pass: the sources', before any trim.
    source_s = sum(probe(path).duration_s for path in sources)
    findings = safeguarding_findings(show, episode, rendered_key, duration_s=source_s, transcribe=False)
    if findings is None:  # the safeguarding pass has not transcribed this audio yet
        return False
    plan = censor_plan(show, episode, findings.marks, pad_s=findings.pad_s, snap=findings.snap)
    key = audio_key(rendered_key, plan, list_fingerprint(show))
    return (
        built.audio_key == key
        and built.tags_key == tags_key(key, values, show.manifest.tags.id3_version)
        and alternates_up_to_date(show, show.build_dir / episode.slug, key, built.alternates)
    )


def list_fingerprint(show: Show) -> str:
    """The redaction list's keyed fingerprint for cache keys ("" without a list)."""
    return show.redactions.fingerprint() if show.redactions else ""


def censor_stage(
    show: Show, episode: Episode, rendered_key: str, *, duration_s: float
) -> tuple[CensorPlan | None, Findings]:
    """Safeguarding: where listed names are spoken (by spelling, by sound, or placed from a supplied
    transcript) and the plan to hide them. Transcribes the audio when no word timings are supplied."""
    findings = safeguarding_findings(show, episode, rendered_key, duration_s=duration_s)
    assert findings is not None  # transcribe=True: never None
    return censor_plan(show, episode, findings.marks, pad_s=findings.pad_s, snap=findings.snap), findings


@contextlib.contextmanager
def _episode_lock(folder: Path) -> Iterator[None]:
    """Wait for any other `podcast` process building the same episode (an flock on build/<slug>/ itself).

    Builds write fixed temporary names; two at once would write into each other's files.
    The second waits, then usually finds the episode up to date. The lock is on the folder,
    so it leaves no file behind, and the kernel drops it when its holder dies, even by SIGKILL.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise PodcastError(
            f"cannot create the build folder ({exc.strerror})", path=folder, fix="check free disk space and permissions"
        ) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing the only descriptor releases the lock


def _one_build_at_a_time(func: Callable[..., BuiltEpisode]) -> Callable[..., BuiltEpisode]:
    @functools.wraps(func)
    def locked(show: Show, episode: Episode, *args: Any, **kwargs: Any) -> BuiltEpisode:
        with _episode_lock(show.build_dir / episode.slug):
            return func(show, episode, *args, **kwargs)

    return locked


@_one_build_at_a_time
def build_episode(
    show: Show, episode: Episode, settings: PublishSettings, *, on_progress: Progress | None = None
) -> BuiltEpisode:
    """Render ``episode`` (or reuse the cached render) and return the tagged MP3's facts."""
    folder = show.build_dir / episode.slug
    folder.mkdir(parents=True, exist_ok=True)
    rendered_key = render_key(show, episode)  # hashes every source file: once per build, passed down
    values = tag_values(show, episode, settings, rendered_key)  # first: bad chapters or artwork fail before audio work
    previous = read_build(show, episode)
    settings_audio = render_settings(show)
    sources = episode_sources(show, episode, rendered_key)  # the files, or the mix of the speaker tracks
    source_s = sum(probe(path).duration_s for path in sources)  # the timeline transcripts and word timings use

    check_supplied_transcript(show, episode, audio_key=rendered_key, duration_s=source_s)  # before the slow work

    # Safeguarding before the render: listed names are bleeped or muted inside it, before the limiter and
    # the loudness check, so a bleeped episode lands on target and the report describes the published file.
    censor, findings = censor_stage(show, episode, rendered_key, duration_s=source_s)
    signed = check_unlocated(show, episode, findings)  # refuses what could not be checked and is not signed off
    applied = applied_plan(sources, censor) if censor else None
    key = audio_key(rendered_key, censor, list_fingerprint(show))
    untagged = folder / f"audio-{key[:16]}.mp3"
    audio_record = folder / "audio.json"

    audio_rebuilt = False
    loudness: dict[str, Any]
    try:
        cached = json.loads(audio_record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = {}
    if cached.get("key") == key and untagged.is_file() and "timeline" in cached.get("loudness", {}):
        loudness = cached["loudness"]
        log.info("%s: audio is up to date", episode.slug)
    else:
        warming: list[object] = []

        def progress(step: str, fraction: float) -> None:
            # matplotlib, for the loudness picture, imported once encoding runs: the encoder has a core to itself
            # and the other is not full (before it, the analysis and the calibration fill both).
            if step == "encode" and not warming:
                warming.append(warm_up())
            if on_progress is not None:
                on_progress(step, fraction)

        # An MP3 already at target (an imported episode, say) and with nothing to hide keeps its frames:
        # no second lossy encode.
        report = (None if applied else pass_through(sources, untagged, settings_audio)) or render_episode_audio(
            sources,
            untagged,
            settings_audio,
            music=music_flags(episode),
            censor=audio_censor(applied) if applied else None,
            names=[path.name for path in episode.audio_paths] if not episode.manifest.tracks else ["tracks (mixed)"],
            on_progress=progress,
        )
        loudness = report.to_dict()
        if episode.manifest.tracks:  # each speaker track, before the mix and (estimated) as published
            loudness["tracks"] = track_rows(track_levels(show, episode, rendered_key), loudness)
        audio_rebuilt = True
    audio = untagged
    # Alternates (Opus, AAC) from the very audio the MP3 is tagged from: normalised, names hidden. Their
    # ffmpegs start now and run beside the picture, the transcripts and the records, which are Python's work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alternates") as pool:
        encoding = pool.submit(build_alternates, show, audio, key, folder)
        if audio_rebuilt:
            if report.series is not None:
                write_loudness_picture(folder / PICTURE_FILE, report, settings_audio, episode, loudness)
            _write_json_atomic(audio_record, {"key": key, "loudness": loudness, "tool": __version__})
            for stale in [*folder.glob("audio-*.mp3")]:
                if stale != untagged:
                    stale.unlink(missing_ok=True)
            warn_hard_limiting(episode.slug, loudness)
        # Transcripts after the render, on the published file's timeline (it may have cut silence at the
        # ends and joins); what the safeguarding pass heard was cached above, so nothing is transcribed twice.
        build_transcripts(
            show,
            episode,
            audio_key=rendered_key,
            duration_s=source_s,
            timeline=loudness.get("timeline"),
            on_progress=on_progress,
        )
        values = replace(values, transcript_text=transcript_text(show, episode, rendered_key))  # now built
        write_bleeps(folder, applied, findings, signed, timeline=loudness.get("timeline"))
        if findings.marks or findings.near:
            log.info(
                "%s: %d place(s) hidden, %d near miss(es) to listen to (podcast bleeps %s)",
                episode.slug,
                len(findings.marks),
                len(findings.near),
                episode.slug,
            )
        alternates = encoding.result()

    chapters = check_chapters(
        redact_chapters(load_chapters(episode), show.redactions), duration_s=read_duration(untagged)
    )
    write_chapter_files(folder, episode.slug, chapters, settings.url_for)  # JSON and pictures, for publish
    id3_version = show.manifest.tags.id3_version
    new_tags_key = tags_key(key, values, id3_version)
    final = folder / f"{episode.slug}.mp3"
    parts = build_parts(rendered_key, values, list_fingerprint(show))
    if previous and previous.tags_key == new_tags_key and previous.audio_key == key and not audio_rebuilt:
        if previous.alternates == alternates:
            _write_json_atomic(folder / PARTS_FILE, parts)  # builds older than parts.json get one
            return previous
        return _record_build(show, replace(previous, alternates=alternates), parts)

    tmp = folder / f".{final.name}.tmp"
    try:
        shutil.copyfile(audio, tmp)
        write_tags(tmp, values, id3_version=id3_version)
        os.replace(tmp, final)
    except OSError as exc:
        raise PodcastError(
            f"cannot write the built MP3 ({exc.strerror})", path=final, fix="check free disk space"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)

    built = BuiltEpisode(
        slug=episode.slug,
        mp3_path=final,
        size_bytes=final.stat().st_size,
        sha256=sha256_file(final),
        duration_s=round(read_duration(final), 3),
        audio_key=key,
        tags_key=new_tags_key,
        loudness=loudness,
        audio_rebuilt=audio_rebuilt,
        tags_rewritten=True,
        alternates=alternates,
    )
    return _record_build(show, built, parts)


def _record_build(show: Show, built: BuiltEpisode, parts: dict[str, Any]) -> BuiltEpisode:
    """Write build.json (last, so an interrupted build is never taken for a finished one)."""
    record = built.to_dict()
    record["mp3_path"] = str(built.mp3_path.relative_to(show.root))
    record.pop("audio_rebuilt")
    record.pop("tags_rewritten")
    folder = built.mp3_path.parent
    _write_json_atomic(folder / "build.json", record)
    _write_json_atomic(folder / PARTS_FILE, parts)  # what status compares to say why a build is stale
    return built
