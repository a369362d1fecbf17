"""The alternates stage: ``[[audio.alternates]]`` (Opus, AAC) encoded from the finished programme.

Runs after the censor stage, on the same audio the MP3 is tagged from, so every alternate
carries exactly the programme the MP3 does (normalised, names bleeped or muted). Each file
is cached in ``build/<slug>/`` under the published audio's key and its format, so editing
notes or tags never re-encodes it and changing the audio or the redaction list always does.
The formats are encoded side by side (one ffmpeg each).

What the stage returns, :class:`BuiltAlternate`, is the simple list the rest of the tool uses:
publishing lists it as ``<podcast:alternateEnclosure>``, the website as ``<source>`` elements.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podcast.audio.alternates import AlternateFormat, encode_alternate, encoder_args
from podcast.build.keys import content_key, sha256_file
from podcast.files import write_atomic
from podcast.show.model import Show

log = logging.getLogger(__name__)

RECORD = "alternates.json"
PREFIX = "alt-"


@dataclass(frozen=True)
class BuiltAlternate:
    """One encoded alternate: what a feed, a page or a player needs to offer it."""

    name: str  # e.g. "opus-24k-mono"
    path: Path  # the file in build/<slug>/
    mime_type: str  # "audio/ogg", "audio/mp4"
    codecs: str  # RFC 6381: "opus", "mp4a.40.2"
    bitrate_kbps: int
    channels: int
    size_bytes: int
    sha256: str
    key: str  # cache key: the published audio's key and the format
    loudness: dict[str, float]
    encodes: int = 1  # encodes the closed loop took (1 when the first landed on target)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "path": self.path.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any], folder: Path) -> BuiltAlternate:
        return cls(**{**data, "path": folder / str(data["path"])})


def configured_formats(show: Show) -> list[AlternateFormat]:
    """The ``[[audio.alternates]]`` of podcast.toml, channels and rate filled in from ``[audio]``."""
    audio = show.manifest.audio
    return [
        AlternateFormat(a.codec, a.bitrate_kbps, a.channels or audio.channels, audio.sample_rate_hz)
        for a in audio.alternates
    ]


def alternate_key(audio_key: str, fmt: AlternateFormat, show: Show) -> str:
    """The alternate's cache key: the published audio, the format, how it is encoded and the loudness target."""
    audio = show.manifest.audio
    return content_key(
        "alternate", audio_key, fmt.name, fmt.rate, encoder_args(fmt), audio.loudness_lufs, audio.true_peak_dbtp
    )


def _read_record(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_alternate(folder: Path, key: str) -> BuiltAlternate | None:
    """The alternate built under ``key``, when its file is still there with its recorded size."""
    entry = _read_record(folder).get(key)
    try:
        built = BuiltAlternate.from_dict(entry, folder) if isinstance(entry, dict) else None
    except (TypeError, KeyError):
        return None
    if built is None or not built.path.is_file() or built.path.stat().st_size != built.size_bytes:
        return None
    return built


def alternates_up_to_date(show: Show, folder: Path, audio_key: str, built: tuple[BuiltAlternate, ...]) -> bool:
    """True when ``built`` (from build.json) is exactly what the configured formats need now."""
    wanted = [alternate_key(audio_key, fmt, show) for fmt in configured_formats(show)]
    return [a.key for a in built] == wanted and all(cached_alternate(folder, key) for key in wanted)


def build_alternates(show: Show, audio: Path, audio_key: str, folder: Path) -> tuple[BuiltAlternate, ...]:
    """Encode (or reuse) every configured alternate of ``audio``; remove alternates no longer configured."""
    formats = configured_formats(show)
    if not formats:
        for stale in [*folder.glob(f"{PREFIX}*"), folder / RECORD]:
            stale.unlink(missing_ok=True)
        return ()
    target = show.manifest.audio
    keyed = [(fmt, alternate_key(audio_key, fmt, show)) for fmt in formats]
    overlap = 2 * len(formats) <= (os.cpu_count() or 1)  # a core each for every encoder and its meter

    def one(fmt: AlternateFormat, key: str) -> BuiltAlternate:
        cached = cached_alternate(folder, key)
        if cached is not None:
            return cached
        output = folder / f"{PREFIX}{key[:16]}-{fmt.name}{fmt.suffix}"
        stats, encodes = encode_alternate(
            audio,
            output,
            fmt,
            loudness_lufs=target.loudness_lufs,
            true_peak_dbtp=target.true_peak_dbtp,
            overlap=overlap,
        )
        loudness = {
            "integrated_lufs": stats["integrated_lufs"],
            "range_lu": stats["range_lu"],
            "true_peak_dbtp": stats["true_peak_dbtp"],
        }
        log.info(
            "%s: encoded %s (%.1f LUFS, %.1f dBTP, %d encode(s))", folder.name, fmt.name, *_levels(loudness), encodes
        )
        return BuiltAlternate(
            name=fmt.name,
            path=output,
            mime_type=fmt.mime_type,
            codecs=fmt.codecs,
            bitrate_kbps=fmt.bitrate_kbps,
            channels=fmt.channels,
            size_bytes=output.stat().st_size,
            sha256=sha256_file(output),
            key=key,
            loudness=loudness,
            encodes=encodes,
        )

    if len(keyed) > 1:
        with ThreadPoolExecutor(max_workers=len(keyed)) as pool:
            built = tuple(pool.map(lambda pair: one(*pair), keyed))
    else:
        built = tuple(one(fmt, key) for fmt, key in keyed)
    write_atomic(folder / RECORD, json.dumps({a.key: a.to_dict() for a in built}, indent=2, sort_keys=True) + "\n")
    kept = {a.path for a in built}
    for stale in folder.glob(f"{PREFIX}*"):
        if stale not in kept:
            stale.unlink(missing_ok=True)
    return built


def _levels(stats: dict[str, float]) -> tuple[float, float]:
    return stats["integrated_lufs"], stats["true_peak_dbtp"]
