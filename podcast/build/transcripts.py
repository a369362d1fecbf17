"""The transcript stage: make an episode's transcripts in ``build/<slug>/``, and its word timings.

Reads the producer's file (or generates one offline with Whisper), redacts listed names,
renders every format apps read and writes a ``transcripts.json`` record keyed by content
hashes, like the audio cache. The plain text goes into ID3 USLT through
:func:`transcript_text` and the files into the feed through :func:`built_transcript_files`.
A transcript's word timings tell the censor where listed names are spoken
(:func:`episode_words`). Every function takes the render key the build computed once.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.decode import decode_samples
from podcast.build.keys import content_key, sha256_file
from podcast.errors import EpisodeInvalid
from podcast.files import require_regular_file, write_atomic
from podcast.safeguarding.censor import TimedWord, words_from_json
from podcast.show.edits import set_episode_field
from podcast.show.redactions import RedactionList, redact_dataclass
from podcast.transcripts.model import OUTPUTS, RECORD_FILE, TRANSCRIPT_FORMAT, Transcript, TranscriptFile
from podcast.transcripts.readers import parse_json, read_transcript
from podcast.transcripts.renderers import render_all, render_as, render_json
from podcast.transcripts.timing import check_timing, resolve_overlaps
from podcast.transcripts.whisper import (
    SAMPLE_RATE,
    TRANSCRIBE_FORMAT,
    load_model,
    model_id,
    model_path,
    transcribe_samples,
)

if TYPE_CHECKING:
    from podcast.show.model import Episode, Show

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


def transcript_language(show: Show) -> str:
    """The language transcripts are listed in: ``[transcripts] language``, else the show's."""
    return show.manifest.transcripts.language or show.manifest.show.language


def supplied_path(episode: Episode) -> Path | None:
    """The episode's own transcript file (``transcript = ...``), checked to be inside the episode folder."""
    name = episode.manifest.transcript
    if not name:
        return None
    path = (episode.folder / name).resolve()
    if not path.is_relative_to(episode.folder.resolve()):
        raise EpisodeInvalid(
            f"transcript '{name}' points outside the episode folder",
            path=episode.manifest_path,
            fix="copy the transcript next to episode.toml and name it without '..'",
        )
    require_regular_file(
        path,
        EpisodeInvalid,
        what=f"transcript file '{name}'",
        shown=episode.manifest_path,
        missing_fix="put the file next to episode.toml or correct the name",
    )
    return path


def _source_key(show: Show, episode: Episode, audio_key: str) -> str | None:
    """What the transcript is made from: the supplied file, or the audio and model when generated."""
    supplied = supplied_path(episode)
    if supplied is not None:
        return content_key("file", sha256_file(supplied), audio_key)
    if show.manifest.transcripts.auto:
        return transcription_key(show, episode, audio_key)
    return None


def _render_key(show: Show, episode: Episode, source_key: str) -> str:
    # A changed redaction list re-renders: the fingerprint covers every term and replacement.
    names = show.redactions.fingerprint()
    return content_key(TRANSCRIPT_FORMAT, source_key, episode.manifest.title, transcript_language(show), names)


def _read_record(folder: Path) -> dict[str, Any]:
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def _current_record(show: Show, episode: Episode, audio_key: str) -> dict[str, Any] | None:
    source = _source_key(show, episode, audio_key)
    if source is None:
        return None
    folder = show.build_dir / episode.slug
    record = _read_record(folder)
    if record.get("key") != _render_key(show, episode, source):
        return None
    if not all((folder / item["file"]).is_file() for item in record.get("files", ())):
        return None
    return record


def build_transcripts(
    show: Show,
    episode: Episode,
    *,
    audio_key: str,
    duration_s: float,
    on_progress: Progress | None = None,
) -> list[TranscriptFile]:
    """Make the episode's transcripts in ``build/<slug>/`` (or keep them if nothing they depend on changed).

    A supplied file is read and checked against the audio's ``duration_s``; with
    ``[transcripts] auto = true`` and no file, the audio is transcribed offline (cached
    separately, so editing the title re-renders without re-transcribing). Returns [] when
    the episode has no transcript.
    """
    source = _source_key(show, episode, audio_key)
    folder = show.build_dir / episode.slug
    if source is None:  # no transcript (any more): nothing of an old one may be published
        for stale in [folder / RECORD_FILE, *folder.glob("transcript.*"), *folder.glob("transcribed-*.json")]:
            stale.unlink(missing_ok=True)
        return []
    if _current_record(show, episode, audio_key) is None:
        supplied = supplied_path(episode)
        if supplied is not None:
            shown = supplied.relative_to(show.root) if supplied.is_relative_to(show.root) else supplied
            transcript = read_transcript(supplied, shown=shown)
            check_timing(transcript, shown, duration_s=duration_s)
        else:
            transcript = cached_transcription(show, episode, audio_key, on_progress=on_progress)
        names = show.redactions
        if names:  # safeguarding: listed names never reach a published transcript (timings kept)
            transcript = redact_dataclass(transcript, names)
        language = transcript_language(show)
        files = []
        for suffix, text in render_all(transcript, title=episode.manifest.title, language=language).items():
            write_atomic(folder / f"transcript{suffix}", text)
            files.append({"file": f"transcript{suffix}"})
        for stale in folder.glob("transcript.*"):
            if stale.name not in {item["file"] for item in files}:
                stale.unlink(missing_ok=True)
        write_atomic(
            folder / RECORD_FILE,
            json.dumps({"key": _render_key(show, episode, source), "files": files, "language": language}, indent=2)
            + "\n",
        )
        log.info("%s: wrote %d transcript files", episode.slug, len(files))
    return built_transcript_files(show, episode)


def built_transcript_files(show: Show, episode: Episode) -> list[TranscriptFile]:
    """The transcript files of the last build of ``episode``, in feed order (VTT, SRT, JSON, HTML, text)."""
    folder = show.build_dir / episode.slug
    record = _read_record(folder)
    names = {item.get("file") for item in record.get("files", ())}
    language = record.get("language") or transcript_language(show)
    return [
        TranscriptFile(folder / f"transcript{suffix}", mime, language, "captions" if timed else None)
        for suffix, mime, timed in OUTPUTS
        if f"transcript{suffix}" in names and (folder / f"transcript{suffix}").is_file()
    ]


def transcript_text(show: Show, episode: Episode, rendered_key: str) -> str | None:
    """The plain-text transcript for ID3 USLT, if the built transcripts are current; else None.

    None for a stale build makes the tags key differ, so `status` shows the episode stale
    and the next build re-tags it once the transcripts are rebuilt.
    """
    if not episode.manifest.transcript and not show.manifest.transcripts.auto:
        return None  # no transcript: skip hashing the audio
    record = _current_record(show, episode, rendered_key)
    if record is None:
        return None
    path = show.build_dir / episode.slug / "transcript.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def generated_words(show: Show, episode: Episode, rendered_key: str) -> list[TimedWord]:
    """Word timings ``(start_s, end_s, word)`` of the episode's generated transcript, unredacted,
    for the safeguarding censor plan (which bleeps listed names where they are spoken).

    [] when the episode is not transcribed automatically or has not been transcribed yet.
    The build writes transcripts before it asks for the censor plan, so the words count
    from the first build.
    """
    if episode.manifest.transcript or not show.manifest.transcripts.auto:
        return []
    key = transcription_key(show, episode, rendered_key)
    cache = show.build_dir / episode.slug / f"transcribed-{key[:16]}.json"
    if not cache.is_file():
        return []
    transcript = parse_json(cache.read_text(encoding="utf-8"), cache)
    return [(w.start_ms / 1000, w.end_ms / 1000, w.text) for cue in transcript.cues for w in cue.words]


def adopt_transcript(show: Show, episode: Episode, transcript: Transcript, path: Path) -> bool:
    """Write ``transcript`` to ``path`` (format from its extension) and, when episode.toml names no
    transcript yet and ``path`` is in the episode folder, add ``transcript = "<name>"`` (tomlkit keeps
    the producer's formatting and comments). Returns whether episode.toml now names it.
    """
    text = render_as(transcript, path, title=episode.manifest.title, language=transcript_language(show))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    if episode.manifest.transcript:
        return (episode.folder / episode.manifest.transcript).resolve() == path.resolve()
    if path.resolve().parent != episode.folder.resolve():
        return False
    set_episode_field(
        episode.manifest_path,
        "transcript",
        path.name,
        doing="name the transcript in episode.toml",
        then="run the command again",
    )
    return True


def transcribe_episode(show: Show, episode: Episode, *, on_progress: Progress | None = None) -> Transcript:
    """Transcribe the episode's audio, or each of its speaker tracks, with the show's model."""
    model = load_model(str(model_path(show)))
    language = transcript_language(show)
    tracks = episode.manifest.tracks
    if not tracks:
        progress = (lambda f: on_progress("transcribe", f)) if on_progress else None
        cues = transcribe_samples(
            model, decode_samples(episode.audio_paths, sample_rate=SAMPLE_RATE), language=language, on_progress=progress
        )
    else:
        cues = []
        for track, path in zip(tracks, episode.audio_paths):
            step = f"transcribe {track.speaker}"
            progress = (lambda f, s=step: on_progress(s, f)) if on_progress else None
            cues += transcribe_samples(
                model,
                decode_samples([path], sample_rate=SAMPLE_RATE),
                language=language,
                speaker=track.speaker,
                on_progress=progress,
            )
        cues = resolve_overlaps(cues)
    if on_progress:
        on_progress("transcribe", 1.0)
    return Transcript(tuple(cues))


def transcription_key(show: Show, episode: Episode, audio_key: str) -> str:
    """Everything a generated transcript depends on: the audio, the model, the language and the speakers."""
    speakers = [track.speaker for track in episode.manifest.tracks]
    return content_key("auto", TRANSCRIBE_FORMAT, audio_key, model_id(show), transcript_language(show), speakers)


def cached_transcription(
    show: Show, episode: Episode, audio_key: str, *, on_progress: Progress | None = None
) -> Transcript:
    """The generated transcript from ``build/<slug>/transcribed-<key>.json``, transcribing only when it is missing."""
    key = transcription_key(show, episode, audio_key)
    folder = show.build_dir / episode.slug
    cache = folder / f"transcribed-{key[:16]}.json"
    if cache.is_file():
        log.info("%s: transcription is up to date", episode.slug)
        return parse_json(cache.read_text(encoding="utf-8"), cache)
    transcript = transcribe_episode(show, episode, on_progress=on_progress)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(cache, render_json(transcript))
    for stale in folder.glob("transcribed-*.json"):
        if stale != cache:
            stale.unlink(missing_ok=True)
    return transcript


def episode_words(show: Show, episode: Episode, rendered_key: str) -> list[TimedWord]:
    """Word timings for ``episode`` from its JSON transcript, if it has one with timings."""
    name = episode.manifest.transcript
    if not name:
        return generated_words(show, episode, rendered_key)  # [transcripts] auto = true: Whisper's word timings
    if not name.lower().endswith(".json"):
        return []
    path = episode.folder / name
    try:
        return words_from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return []  # a missing transcript is reported by whoever publishes it
    except (OSError, ValueError) as exc:
        raise EpisodeInvalid(
            f"transcript '{name}' cannot be read for word timings ({exc.__class__.__name__})",
            path=episode.manifest_path,
            fix="save the transcript as valid UTF-8 JSON",
        ) from None


def warn_if_untimed(show: Show, episode: Episode, words: list[TimedWord]) -> None:
    """Warn where a listed name is in a supplied transcript that has no word timings to bleep it by."""
    transcript = episode.folder / episode.manifest.transcript if episode.manifest.transcript else None
    if show.redactions and not words and transcript is not None and transcript.is_file():
        _warn_untimed(transcript, transcript.stat().st_mtime_ns, show.redactions)


@functools.lru_cache(maxsize=64)
def _warn_untimed(path: Path, mtime_ns: int, names: RedactionList) -> None:
    """Warn (once per file version) where a listed name is spoken but no word timings say when."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    lines = sorted({text.count("\n", 0, match.start) + 1 for match in names.find(text)})
    if lines:
        shown = ", ".join(str(line) for line in lines[:10]) + (" ..." if len(lines) > 10 else "")
        log.warning(
            "%s line %s: a name from the redaction list is spoken there, but this transcript has no word "
            "timings, so the audio is NOT bleeped; edit the master audio, or use a JSON transcript with "
            "word timings",
            path,
            shown,
        )
