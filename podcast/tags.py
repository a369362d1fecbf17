"""ID3 tags on the final MP3, from one table of episode field -> frame builder.

Tags are written after encoding (ffmpeg strips or rewrites tags when it re-encodes)
and every existing frame is dropped first, so nothing from the master (ReplayGain,
encoder names, old titles) leaks into what listeners download. ID3v2.3 is the default
because older players and car stereos do not read v2.4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    COMM,
    ID3,
    PCST,
    TALB,
    TCON,
    TCOP,
    TDES,
    TDRC,
    TGID,
    TIT2,
    TPE1,
    TPOS,
    TRCK,
    USLT,
    WFED,
    WOAS,
    Frame,
    ID3NoHeaderError,
)

from .errors import PodcastError


@dataclass(frozen=True)
class TagValues:
    """Everything that goes into an episode's ID3 tag, already rendered to plain text."""

    title: str
    show: str
    author: str
    number: int
    season: int | None
    published: datetime
    notes: str
    guid: str
    feed_url: str
    episode_url: str
    copyright: str | None
    cover_jpeg: bytes | None
    transcript_text: str | None = None  # USLT, when the episode has a transcript


# Episode field -> frame. A builder returns None when the field is empty.
ID3_FRAMES: dict[str, Callable[[TagValues], Frame | None]] = {
    "title": lambda v: TIT2(encoding=3, text=v.title),
    "author": lambda v: TPE1(encoding=3, text=v.author),
    "show": lambda v: TALB(encoding=3, text=v.show),
    "number": lambda v: TRCK(encoding=3, text=str(v.number)),
    "season": lambda v: TPOS(encoding=3, text=str(v.season)) if v.season else None,
    "published": lambda v: TDRC(encoding=3, text=v.published.strftime("%Y-%m-%d")),
    "genre": lambda v: TCON(encoding=3, text="Podcast"),
    "notes": lambda v: COMM(encoding=3, lang="eng", desc="", text=v.notes),
    "description": lambda v: TDES(encoding=3, text=v.notes),
    "copyright": lambda v: TCOP(encoding=3, text=v.copyright) if v.copyright else None,
    "feed_url": lambda v: WFED(url=v.feed_url),
    "episode_url": lambda v: WOAS(url=v.episode_url),
    "guid": lambda v: TGID(encoding=3, text=v.guid),
    "podcast": lambda v: PCST(value=1),
    "transcript": lambda v: USLT(encoding=3, lang="eng", desc="Transcript", text=v.transcript_text)
    if v.transcript_text
    else None,
    "cover": lambda v: APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=v.cover_jpeg)
    if v.cover_jpeg
    else None,
}


def write_tags(path: Path, values: TagValues, *, id3_version: int = 3) -> None:
    """Replace every tag in ``path`` with the frames from ``ID3_FRAMES``."""
    try:
        try:
            tags = ID3(path)
            tags.clear()
        except ID3NoHeaderError:
            tags = ID3()
        for build in ID3_FRAMES.values():
            frame = build(values)
            if frame is not None:
                tags.add(frame)
        # Fixed padding keeps the file size (and so the feed's enclosure length) a pure function of the inputs.
        tags.save(path, v2_version=id3_version, v1=0, padding=lambda info: 1024)
    except MutagenError as exc:
        raise PodcastError(f"cannot write ID3 tags ({exc})", path=path, fix="check the disk is not full") from None


def read_tags(path: Path) -> ID3:
    """The ID3 tag of ``path`` (for status, validate and tests)."""
    try:
        return ID3(path)
    except MutagenError as exc:
        raise PodcastError(f"cannot read ID3 tags ({exc})", path=path, fix="rebuild with `podcast build`") from None
