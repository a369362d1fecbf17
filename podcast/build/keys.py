"""Cache keys of a build, each computed once and passed down to the stages that need it.

Keys are content hashes, never timestamps: the same sources and settings give the same
key on any machine. The render key hashes every source file (the slow part), so the
build computes it once per episode and hands it to the transcript and censor stages
instead of letting them work it out again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.filters import RenderSettings
from podcast.audio.tags import TagValues

if TYPE_CHECKING:
    from podcast.safeguarding.censor import CensorPlan
    from podcast.show.model import Episode, Show

# Bump when rendering changes in a way that should invalidate every cached build.
BUILD_FORMAT = 2  # 2: parts normalised to their own targets, names hidden before the limiter


def sha256_file(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB blocks (masters can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_key(*parts: Any) -> str:
    """A stable hash of JSON-able parts.

    >>> content_key(1, "a") == content_key(1, "a") != content_key("a", 1)
    True
    """
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def render_settings(show: Show) -> RenderSettings:
    """The ``[audio]`` table as the renderer takes it."""
    audio = show.manifest.audio
    return RenderSettings(
        loudness_lufs=audio.loudness_lufs,
        true_peak_dbtp=audio.true_peak_dbtp,
        channels=audio.channels,
        bitrate_kbps=audio.bitrate_kbps,
        sample_rate_hz=audio.sample_rate_hz,
        leveler=audio.leveler,
        crossfade_ms=audio.crossfade_ms,
        max_silence_s=audio.max_silence_s,
        music_offset_lu=audio.music_offset_lu,
    )


def render_key(show: Show, episode: Episode) -> str:
    """The rendered (assembled, normalised, encoded) audio's cache key: sources and [audio] settings."""
    sources = [sha256_file(path) for path in episode.audio_paths]
    return content_key(BUILD_FORMAT, sources, asdict(render_settings(show)), music_flags(episode))


def music_flags(episode: Episode) -> list[bool]:
    """Which parts of the episode's audio are music (``music = [...]`` in episode.toml); tracks are speech."""
    if episode.manifest.tracks:
        return [False]
    music = set(episode.manifest.music)
    return [name in music for name in episode.manifest.audio_files]


def audio_key(rendered_key: str, censor: CensorPlan | None, redactions: str = "") -> str:
    """The published audio's key: the render, where listed names are bleeped or muted, and the list.

    ``redactions`` is the list's keyed fingerprint (``RedactionList.fingerprint()``, empty
    without a list): any change to the list, even a replacement on the same line, makes a
    new key, so nothing built under the old list is taken as up to date; the fingerprint
    is an HMAC, so neither it nor this key can be tested against guessed names.
    """
    if not censor and not redactions:
        return rendered_key
    return content_key(rendered_key, censor.signature() if censor else None, redactions)


def tags_key(audio_key: str, values: TagValues, id3_version: int) -> str:
    """The tagged MP3's cache key: the audio, every tag value (chapters and pictures included), the ID3 version."""
    return content_key(audio_key, asdict(values), id3_version)


# What `podcast status` names when a build is stale, each with the inputs it covers. Stored beside
# build.json (parts.json) so status can say *why* without rebuilding anything.
PART_NAMES = ("audio", "list", "notes", "chapters", "artwork", "transcript", "details")


def build_parts(rendered_key: str, values: TagValues, redactions: str) -> dict[str, str]:
    """One hash per kind of input, so a stale build can be explained ("notes, chapters").

    ``audio`` is the sources and [audio] settings; ``list`` the redaction list's fingerprint;
    the others split the tag values the way a producer edits them.
    """
    return {
        "audio": rendered_key,
        "list": content_key(redactions),
        "notes": content_key(values.notes),
        "chapters": content_key([asdict(chapter) for chapter in values.chapters]),
        "artwork": hashlib.sha256(values.cover_jpeg or b"").hexdigest(),
        "transcript": content_key(values.transcript_text),
        "details": content_key(
            values.title,
            values.show,
            values.author,
            values.number,
            values.season,
            values.published,
            values.guid,
            values.feed_url,
            values.episode_url,
            values.copyright,
        ),
    }
