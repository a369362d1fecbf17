"""Chapters: read from episode.toml or a chapters file, checked, and rendered for every reader.

Producers write chapters one of four ways, all read into the same :class:`ChapterEntry` list:

* ``[[chapters]]`` tables in episode.toml (``start``, ``title``, optional ``url`` and ``image``);
* ``chapters = "labels.txt"`` naming an **Audacity label** export (``start<TAB>end<TAB>title``,
  times in seconds);
* a file of **timestamp lines**, ``HH:MM:SS Title`` (or ``MM:SS``, or seconds), ``#`` comments;
* a **Podcast Index chapters JSON** file (``{"version": "1.2.0", "chapters": [...]}``).

The same rules apply to each (first chapter at 0, strictly increasing, titles not empty,
every start inside the audio), and an error names the file and the line to fix. The
list is then rendered three ways: ID3 CHAP/CTOC frames in the MP3 (via :mod:`podcast.audio.tags`),
Podcast Index chapters JSON 1.2 (published and linked by ``podcast:chapters``) and Podlove
Simple Chapters (``psc:chapters`` in the feed).

A chapter picture given as a local file is embedded in the MP3's CHAP frame as a small
JPEG, and the same JPEG is published under ``chapters/`` (content-hashed name) for the JSON
``img`` and the psc ``image``; a picture given as a web address is passed through as it is.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podcast.artwork import embedded_cover, inspect_artwork, too_large_to_decode
from podcast.audio.tags import TagChapter
from podcast.errors import ChaptersInvalid
from podcast.files import hashed_key, require_regular_file, write_atomic
from podcast.show.manifest import URL_PATTERN, Chapter
from podcast.show.model import Episode
from podcast.timecode import parse_time

CHAPTERS_FILE = "chapters.json"  # the rendered Podcast Index JSON, in build/<slug>/
CHAPTER_IMAGES_DIR = "chapter-images"  # build/<slug>/chapter-images/<object name>.jpg
MAX_CHAPTERS_FILE_BYTES = 2_000_000  # read whole into memory; a real chapter list is a few KB
CHAPTERS_FOLDER = "chapters"  # where chapters JSON and chapter pictures are published
CHAPTERS_JSON_VERSION = "1.2.0"
CHAPTER_IMAGE_PX = 300  # chapter pictures embedded in CHAP frames: small, there may be many
MAX_TITLE_CHARS = 255
FORMAT_HINT = (
    "write one chapter per line as 'HH:MM:SS Title', export Audacity labels (Edit > Labels > Export), "
    "or use Podcast Index chapters JSON"
)


@dataclass(frozen=True)
class ChapterMark:
    """One chapter as the feed lists it (Podlove Simple Chapters)."""

    start_s: float
    title: str
    url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class ChapterEntry:
    """One chapter as the producer wrote it. ``where`` says where, for error messages ("line 4")."""

    start_s: float
    title: str
    url: str | None = None
    image_path: Path | None = None  # a local picture, embedded in the MP3
    image_url: str | None = None  # a picture on the web, passed through to JSON and psc
    where: str = ""


@dataclass(frozen=True)
class ChapterList:
    """The chapters of one episode and the file they came from (episode.toml or a chapters file)."""

    source: Path
    entries: tuple[ChapterEntry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)


def format_clock(seconds: float) -> str:
    """``HH:MM:SS.mmm`` for messages.

    >>> format_clock(3725.5)
    '01:02:05.500'
    """
    millis = int(round(seconds * 1000))
    return f"{millis // 3600000:02d}:{millis % 3600000 // 60000:02d}:{millis % 60000 // 1000:02d}.{millis % 1000:03d}"


# --- parsing (pure: text in, entries out) ----------------------------------------------------

_AUDACITY_LINE = re.compile(r"^\s*(-?[\d.]+)\t(-?[\d.]+)\t?(.*)$")
_TIMESTAMP_LINE = re.compile(r"^\s*(\S+)(?:\s+(?:[-–—]\s+)?(.*))?$")


def _where(line: int, name: str) -> str:
    return f"line {line}" if not name else f"{name} line {line}"


def parse_audacity_labels(text: str, source: Path) -> list[ChapterEntry]:
    """Chapters from an Audacity label export: ``start<TAB>end<TAB>title`` with times in seconds.

    Spectral-selection lines (starting with a backslash) are skipped.

    >>> [(c.start_s, c.title) for c in parse_audacity_labels("0.0\\t0.0\\tIntro\\n\\\\\\t1\\t2\\n75.5\\t80\\tStory\\n", Path("l.txt"))]
    [(0.0, 'Intro'), (75.5, 'Story')]
    """
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("\\"):
            continue
        match = _AUDACITY_LINE.match(line)
        if not match:
            raise ChaptersInvalid(
                f"line {number} is not an Audacity label ('{line.strip()[:40]}')",
                path=source,
                fix="export labels from Audacity again, or write 'HH:MM:SS Title' on every line",
            )
        try:
            start = parse_time(match.group(1))
        except ValueError as exc:
            raise ChaptersInvalid(f"line {number}: {exc}", path=source, fix=FORMAT_HINT) from None
        entries.append(ChapterEntry(start_s=start, title=match.group(3).strip(), where=f"line {number}"))
    return entries


def parse_timestamp_lines(text: str, source: Path) -> list[ChapterEntry]:
    """Chapters from ``HH:MM:SS Title`` lines (also ``MM:SS``, seconds, and ``HH:MM:SS - Title``).

    Blank lines and lines starting with ``#`` are ignored.

    >>> [(c.start_s, c.title, c.where) for c in parse_timestamp_lines("# show\\n00:00 Intro\\n1:02:03.5 - Part two\\n", Path("c.txt"))]
    [(0.0, 'Intro', 'line 2'), (3723.5, 'Part two', 'line 3')]
    """
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _TIMESTAMP_LINE.match(line)
        assert match is not None  # the pattern matches any line with a non-space character
        try:
            start = parse_time(match.group(1))
        except ValueError:
            raise ChaptersInvalid(
                f"line {number} does not start with a time ('{line.strip()[:40]}')",
                path=source,
                fix="start every line with HH:MM:SS, MM:SS or seconds, then a space and the chapter title",
            ) from None
        entries.append(ChapterEntry(start_s=start, title=(match.group(2) or "").strip(), where=f"line {number}"))
    return entries


def parse_chapters_json(text: str, source: Path) -> list[ChapterEntry]:
    """Chapters from Podcast Index chapters JSON (``startTime`` in seconds, ``title``, ``url``, ``img``).

    A local ``img`` (not a web address) is a picture file next to the JSON file.

    >>> doc = '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro", "url": "https://example.org"}]}'
    >>> [(c.start_s, c.title, c.url) for c in parse_chapters_json(doc, Path("c.json"))]
    [(0.0, 'Intro', 'https://example.org')]
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChaptersInvalid(
            f"line {exc.lineno} is not valid JSON ({exc.msg})",
            path=source,
            fix="check the commas, quotes and brackets on that line",
        ) from None
    chapters = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(chapters, list):
        raise ChaptersInvalid(
            'has no "chapters" list',
            path=source,
            fix='write {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "..."}]}',
        )
    entries = []
    for index, chapter in enumerate(chapters, start=1):
        where = f"chapter {index}"
        if not isinstance(chapter, dict):
            raise ChaptersInvalid(
                f"{where} is not an object", path=source, fix='write {"startTime": 0, "title": "..."}'
            )
        start = chapter.get("startTime")
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not math.isfinite(start) or start < 0:
            raise ChaptersInvalid(
                f'{where} has no "startTime" in seconds',
                path=source,
                fix='give every chapter "startTime": a number of seconds, e.g. 90.5',
            )
        title = chapter.get("title", "")
        if not isinstance(title, str):
            raise ChaptersInvalid(f'{where}: "title" is not text', path=source, fix='write "title": "Chapter title"')
        url = chapter.get("url")
        image = chapter.get("img")
        image_url = image if isinstance(image, str) and re.match(URL_PATTERN, image) else None
        image_path = source.parent / image if isinstance(image, str) and image and not image_url else None
        entries.append(
            ChapterEntry(
                start_s=float(start),
                title=title.strip(),
                url=url if isinstance(url, str) and url else None,
                image_path=image_path,
                image_url=image_url,
                where=where,
            )
        )
    return entries


def parse_chapters_file(text: str, source: Path) -> list[ChapterEntry]:
    """Pick the parser from the file: JSON by its suffix or opening brace, Audacity by its tabs."""
    stripped = text.lstrip()
    if source.suffix.lower() == ".json" or stripped.startswith("{"):
        return parse_chapters_json(text, source)
    first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    if _AUDACITY_LINE.match(first) and first.count("\t") >= 1:
        return parse_audacity_labels(text, source)
    return parse_timestamp_lines(text, source)


def from_manifest(chapters: Sequence[Chapter], folder: Path) -> list[ChapterEntry]:
    """Chapters from ``[[chapters]]`` tables; pictures are files next to episode.toml."""
    return [
        ChapterEntry(
            start_s=chapter.start,
            title=chapter.title.strip(),
            url=chapter.url,
            image_path=folder / chapter.image if chapter.image else None,
            where=f"[[chapters]] number {index}",
        )
        for index, chapter in enumerate(chapters, start=1)
    ]


# --- checking --------------------------------------------------------------------------------


def check_chapters(chapters: ChapterList, *, duration_s: float | None = None) -> ChapterList:
    """Raise :class:`ChaptersInvalid` unless the chapters start at 0, increase, have titles and fit the audio.

    Returns ``chapters`` unchanged so calls can be chained.

    >>> ok = ChapterList(Path("c.txt"), (ChapterEntry(0, "Intro"), ChapterEntry(60, "Story")))
    >>> check_chapters(ok, duration_s=120) is ok
    True
    >>> check_chapters(ChapterList(Path("c.txt"), (ChapterEntry(5, "Intro", where="line 1"),)))
    Traceback (most recent call last):
    ...
    podcast.errors.ChaptersInvalid: c.txt: line 1: the first chapter starts at 00:00:05.000, not at 0 — start the first chapter at 00:00:00 (the beginning of the episode)
    """
    entries = chapters.entries
    source = chapters.source
    for index, entry in enumerate(entries):
        where = entry.where or f"chapter {index + 1}"
        if not entry.title:
            raise ChaptersInvalid(
                f"{where}: the chapter title is empty",
                path=source,
                fix="give every chapter a title listeners will see in their app",
            )
        if len(entry.title) > MAX_TITLE_CHARS:
            raise ChaptersInvalid(
                f"{where}: the chapter title is over {MAX_TITLE_CHARS} characters",
                path=source,
                fix="shorten the title; put detail in the show notes",
            )
        if entry.url is not None and not re.match(URL_PATTERN, entry.url):
            raise ChaptersInvalid(
                f"{where}: the link '{entry.url[:60]}' is not a web address",
                path=source,
                fix="use a full address starting with https://",
            )
        if index == 0 and round(entry.start_s, 3) != 0:
            raise ChaptersInvalid(
                f"{where}: the first chapter starts at {format_clock(entry.start_s)}, not at 0",
                path=source,
                fix="start the first chapter at 00:00:00 (the beginning of the episode)",
            )
        if index > 0 and round(entry.start_s, 3) <= round(entries[index - 1].start_s, 3):
            before = entries[index - 1]
            raise ChaptersInvalid(
                f"{where}: the chapter starts at {format_clock(entry.start_s)}, not after the one before it "
                f"({before.where or f'chapter {index}'} at {format_clock(before.start_s)})",
                path=source,
                fix="list chapters in time order, each starting later than the one before",
            )
        if duration_s is not None and entry.start_s >= duration_s:
            raise ChaptersInvalid(
                f"{where}: the chapter starts at {format_clock(entry.start_s)}, "
                f"after the end of the episode ({format_clock(duration_s)})",
                path=source,
                fix="correct the time, or remove chapters for audio that was cut",
            )
        if entry.image_path is not None:
            picture = f"{where}: chapter picture '{entry.image_path.name}'"
            require_regular_file(
                entry.image_path,
                ChaptersInvalid,
                what=picture,
                shown=source,
                missing_fix="put the picture next to the chapters or correct its name",
            )
            problem = too_large_to_decode(inspect_artwork(entry.image_path))
            if problem:  # the same limit as show artwork: decoding it would take gigabytes
                raise ChaptersInvalid(
                    f"{picture} {problem}",
                    path=source,
                    fix="export the picture again at most 3000x3000 px, as a JPEG or PNG",
                )
    return chapters


def _pictures_inside(chapters: ChapterList, folder: Path) -> ChapterList:
    """Refuse chapter pictures outside the episode folder (only the episode's own files get published)."""
    for entry in chapters.entries:
        if entry.image_path is not None and not entry.image_path.resolve().is_relative_to(folder.resolve()):
            raise ChaptersInvalid(
                f"{entry.where}: chapter picture '{entry.image_path.name}' is outside the episode folder",
                path=chapters.source,
                fix="copy the picture into the episode folder",
            )
    return chapters


def load_chapters(episode: Episode) -> ChapterList:
    """The episode's chapters from episode.toml or the file it names, checked (except against the duration)."""
    declared = episode.manifest.chapters
    if not isinstance(declared, str):
        listed = ChapterList(episode.manifest_path, tuple(from_manifest(declared, episode.folder)))
        return check_chapters(_pictures_inside(listed, episode.folder))
    path = (episode.folder / declared).resolve()
    if not path.is_relative_to(episode.folder.resolve()):
        raise ChaptersInvalid(
            f"chapters file '{declared}' is outside the episode folder",
            path=episode.manifest_path,
            fix="put the chapters file in the episode folder and name it without '..'",
        )
    require_regular_file(
        path,
        ChaptersInvalid,
        what=f"chapters file '{declared}'",
        shown=episode.manifest_path,
        missing_fix=f"put the file next to {episode.manifest_path.name} or correct the name",
        max_bytes=MAX_CHAPTERS_FILE_BYTES,
    )
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: Windows editors start UTF-8 files with a BOM
    except FileNotFoundError:
        raise ChaptersInvalid(
            f"chapters file '{declared}' not found",
            path=episode.manifest_path,
            fix=f"put the file next to {episode.manifest_path.name} or correct the name",
        ) from None
    except UnicodeDecodeError:
        raise ChaptersInvalid("is not UTF-8 text", path=path, fix="save it as UTF-8 in your editor") from None
    except OSError as exc:
        raise ChaptersInvalid(
            f"cannot be read ({exc.strerror})", path=path, fix="check the file's permissions"
        ) from None
    return check_chapters(_pictures_inside(ChapterList(path, tuple(parse_chapters_file(text, path))), episode.folder))


# --- rendering -------------------------------------------------------------------------------


def tag_chapters(chapters: ChapterList) -> tuple[TagChapter, ...]:
    """The chapters as ID3 CHAP frames want them: milliseconds, and pictures as small JPEGs."""
    return tuple(
        TagChapter(
            start_ms=int(round(entry.start_s * 1000)),
            title=entry.title,
            url=entry.url,
            image_jpeg=embedded_cover(entry.image_path, size_px=CHAPTER_IMAGE_PX) if entry.image_path else None,
        )
        for entry in chapters.entries
    )


def _seconds(value: float) -> int | float:
    """Whole seconds as an int (``0``, not ``0.0``), else rounded to the millisecond.

    >>> _seconds(0.0), _seconds(90.1234)
    (0, 90.123)
    """
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def render_chapters_json(chapters: ChapterList, image_urls: Mapping[int, str] | None = None) -> bytes:
    """Podcast Index chapters JSON 1.2 (deterministic bytes, so its content-hashed name is stable).

    ``image_urls`` maps a chapter's index to the published URL of its (local) picture.

    >>> print(render_chapters_json(ChapterList(Path("c"), (ChapterEntry(0, "Intro", url="https://example.org"),))).decode(), end="")
    {
      "version": "1.2.0",
      "chapters": [
        {
          "startTime": 0,
          "title": "Intro",
          "url": "https://example.org"
        }
      ]
    }
    """
    items: list[dict[str, Any]] = []
    for index, entry in enumerate(chapters.entries):
        item: dict[str, Any] = {"startTime": _seconds(entry.start_s), "title": entry.title}
        if entry.url:
            item["url"] = entry.url
        image = (image_urls or {}).get(index) or entry.image_url
        if image:
            item["img"] = image
        items.append(item)
    document = {"version": CHAPTERS_JSON_VERSION, "chapters": items}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def feed_marks(chapters: ChapterList) -> tuple[ChapterMark, ...]:
    """The chapters as the feed's psc:chapters lists them."""
    return tuple(ChapterMark(entry.start_s, entry.title, entry.url, entry.image_url) for entry in chapters.entries)


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if not path.is_file() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
    except OSError as exc:
        raise ChaptersInvalid(
            f"cannot write the chapters ({exc.strerror})", path=path, fix="check free disk space"
        ) from None


def write_chapter_images(folder: Path, slug: str, chapters: ChapterList) -> dict[int, str]:
    """Write each local chapter picture, as embedded in the MP3, to ``folder/chapter-images/``.

    Files are named like the objects they become (``<slug>-<n>-<hash>.jpg``) and stale ones
    are removed, so the folder holds exactly what must be published. Returns {index: object key}.
    """
    out = folder / CHAPTER_IMAGES_DIR
    keys: dict[int, str] = {}
    for index, entry in enumerate(chapters.entries):
        if entry.image_path is None:
            continue
        data = embedded_cover(entry.image_path, size_px=CHAPTER_IMAGE_PX)
        key = hashed_key(CHAPTERS_FOLDER, f"{slug}-{index + 1}", hashlib.sha256(data).hexdigest(), ".jpg")
        _write_if_changed(out / key.rsplit("/", 1)[1], data)
        keys[index] = key
    names = {key.rsplit("/", 1)[1] for key in keys.values()}
    for stale in out.glob("*.jpg") if out.is_dir() else ():
        if stale.name not in names:
            stale.unlink(missing_ok=True)
    return keys


def chapter_image_files(folder: Path) -> list[Path]:
    """The chapter pictures the last build of ``folder`` made (their names are their object names)."""
    out = folder / CHAPTER_IMAGES_DIR
    return sorted(out.glob("*.jpg")) if out.is_dir() else []


def write_chapter_files(folder: Path, slug: str, chapters: ChapterList, url_for: Callable[[str], str]) -> Path | None:
    """Write what publishing needs into ``folder``: chapter pictures and ``chapters.json`` (none without chapters)."""
    path = folder / CHAPTERS_FILE
    images = write_chapter_images(folder, slug, chapters)
    if not chapters:
        path.unlink(missing_ok=True)
        return None
    _write_if_changed(path, render_chapters_json(chapters, {index: url_for(key) for index, key in images.items()}))
    return path


def read_chapters_json(path: Path) -> ChapterList:
    """Read back a rendered chapters.json (for publishing what the build made)."""
    return ChapterList(path, tuple(parse_chapters_json(path.read_text(encoding="utf-8"), path)))


def marks_to_records(marks: Sequence[ChapterMark]) -> list[dict[str, Any]]:
    """psc marks as plain data for the publish state record (so unchanged episodes keep their chapters)."""
    return [{"start_s": m.start_s, "title": m.title, "url": m.url, "image_url": m.image_url} for m in marks]


def marks_from_records(records: Sequence[dict[str, Any]] | None) -> tuple[ChapterMark, ...]:
    """The inverse of :func:`marks_to_records`; tolerant of state files written before chapters existed."""
    return tuple(ChapterMark(r["start_s"], r["title"], r.get("url"), r.get("image_url")) for r in records or ())
