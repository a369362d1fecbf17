"""ID3 tags on the final MP3, from one table of episode field -> frame builder.

Tags are written after encoding (ffmpeg strips or rewrites tags when it re-encodes)
and every existing frame is dropped first, so nothing from the master (ReplayGain,
encoder names, old titles) leaks into what listeners download. ID3v2.3 is the default
because older players and car stereos do not read v2.4 (``[tags] id3_version = 4`` in
podcast.toml chooses v2.4); for v2.3, mutagen's ``update_to_v23`` turns TDRC into
TYER/TDAT and text is written as UTF-16, the only Unicode encoding v2.3 has.

Chapters are CHAP frames (title, optional WXXX link, optional APIC picture) listed by
one top-level, ordered CTOC, as the ID3v2 chapter addendum describes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
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
    WXXX,
    CTOCFlags,
    Frame,
)
from mutagen.id3 import delete as delete_id3
from mutagen.id3._tags import save_frame  # private (mutagen 1.47/1.48); see _ChapterOrderedID3 and its test
from mutagen.mp3 import MP3

from podcast.errors import PodcastError


@dataclass(frozen=True)
class TagChapter:
    """One chapter as it goes into a CHAP frame (its end is the next start, or the end of the audio)."""

    start_ms: int
    title: str
    url: str | None = None
    image_jpeg: bytes | None = None


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
    chapters: tuple[TagChapter, ...] = ()  # CHAP + CTOC
    # Length of the encoded audio, for the last chapter's end. write_tags reads it from the file
    # when left None, so it is not part of the tag cache key (the audio key already covers it).
    duration_ms: int | None = None


def chapter_frames(values: TagValues) -> list[Frame]:
    """CHAP frames in start order plus the top-level ordered CTOC that lists them (empty without chapters)."""
    if not values.chapters:
        return []
    ordered = sorted(values.chapters, key=lambda chapter: chapter.start_ms)
    end_of_audio = values.duration_ms if values.duration_ms is not None else ordered[-1].start_ms
    ends = [chapter.start_ms for chapter in ordered[1:]] + [max(end_of_audio, ordered[-1].start_ms)]
    frames: list[Frame] = []
    for index, (chapter, end) in enumerate(zip(ordered, ends)):
        sub_frames: list[Frame] = [TIT2(encoding=3, text=chapter.title)]
        if chapter.url:
            sub_frames.append(WXXX(encoding=3, desc="", url=chapter.url))
        if chapter.image_jpeg:
            sub_frames.append(APIC(encoding=3, mime="image/jpeg", type=0, desc="", data=chapter.image_jpeg))
        # 0xFFFFFFFF offsets: "use the times", which is what every player does anyway.
        frames.append(
            CHAP(
                element_id=f"chp{index}",
                start_time=chapter.start_ms,
                end_time=end,
                start_offset=0xFFFFFFFF,
                end_offset=0xFFFFFFFF,
                sub_frames=sub_frames,
            )
        )
    frames.append(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=[f"chp{index}" for index in range(len(ordered))],
            sub_frames=[TIT2(encoding=3, text="Chapters")],
        )
    )
    return frames


# Episode field -> frame(s). A builder returns None (or an empty list) when the field is empty.
ID3_FRAMES: dict[str, Callable[[TagValues], Frame | list[Frame] | None]] = {
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
    "transcript": lambda v: (
        USLT(encoding=3, lang="eng", desc="Transcript", text=v.transcript_text) if v.transcript_text else None
    ),
    "cover": lambda v: (
        APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=v.cover_jpeg) if v.cover_jpeg else None
    ),
    "chapters": chapter_frames,
}


class _ChapterOrderedID3(ID3):
    """An ID3 tag that writes CTOC and then the CHAP frames in start order, after the other frames.

    mutagen orders frames by size (quodlibet/mutagen#506, open), so chapters would land in
    the file in a shuffled order; ffmpeg and several players list CHAP frames in file order.
    """

    def _write(self, config):
        chapters = sorted(self.getall("CHAP"), key=lambda frame: (frame.start_time, frame.element_id))
        tocs = self.getall("CTOC")
        for frame in (*tocs, *chapters):
            del self[frame.HashKey]
        try:
            data = super()._write(config)
        finally:
            for frame in (*tocs, *chapters):
                self.add(frame)
        return data + b"".join(save_frame(frame, config=config) for frame in (*tocs, *chapters))


def build_tag(values: TagValues, *, id3_version: int = 3) -> ID3:
    """The complete tag for ``values``, converted for ID3v2.3 when asked (pure: no file is touched)."""
    tags = _ChapterOrderedID3()
    for build in ID3_FRAMES.values():
        built = build(values)
        for frame in built if isinstance(built, list) else [built]:
            if frame is not None:
                tags.add(frame)
    if id3_version == 3:
        tags.update_to_v23()
    return tags


def write_tags(path: Path, values: TagValues, *, id3_version: int = 3) -> None:
    """Replace every tag in ``path`` (ID3v1, ID3v2, whatever the encoder left) with ``ID3_FRAMES``."""
    if id3_version not in (3, 4):
        raise PodcastError(
            f"ID3 version {id3_version} is not supported",
            path=path,
            fix="set [tags] id3_version = 3 or 4 in podcast.toml",
        )
    try:
        if values.chapters and values.duration_ms is None:
            values = replace(values, duration_ms=int(round(read_duration(path) * 1000)))
        tags = build_tag(values, id3_version=id3_version)
        # Start from nothing: a fresh tag object carries no frames (not even unknown ones) from the file.
        delete_id3(path, delete_v1=True, delete_v2=True)
        # Fixed padding keeps the file size (and so the feed's enclosure length) a pure function of the inputs.
        tags.save(path, v2_version=id3_version, v1=0, padding=lambda info: 1024)
    except MutagenError as exc:
        raise PodcastError(f"cannot write ID3 tags ({exc})", path=path, fix="check the disk is not full") from None


def read_duration(path: Path) -> float:
    """The length of the MP3 at ``path`` in seconds, from its frames (the Xing/LAME header when present)."""
    try:
        info = MP3(path).info
        if info is None:
            raise MutagenError("no MPEG audio frames")
        return float(info.length)
    except MutagenError as exc:
        raise PodcastError(
            f"cannot read the MP3's length ({exc})", path=path, fix="rebuild with `podcast build`"
        ) from None


def read_tags(path: Path) -> ID3:
    """The ID3 tag of ``path`` (for status, validate and tests)."""
    try:
        return ID3(path)
    except MutagenError as exc:
        raise PodcastError(f"cannot read ID3 tags ({exc})", path=path, fix="rebuild with `podcast build`") from None
