"""`podcast import FEED [DIR]`: bring an existing show in, keeping every GUID and every subscriber.

The order, and why:

1. **Read the feed** (an http(s) URL or a file) tolerantly (:mod:`podcast.importing.source`).
2. **Refuse** what must not be taken: a feed ``podcast:locked`` to another owner (the
   namespace's intent: only its owner may move it), or a folder that holds another show.
3. **Plan** without side effects: which items are new (by GUID, byte for byte: an item
   already in ``episodes/`` is never imported twice, whatever its folder is called now),
   ``--since`` and ``--limit``, the numbers and slugs. ``--dry-run`` stops here.
4. **Download** episodes side by side (bounded: ``workers``), each into a hidden folder
   that is renamed into ``episodes/<slug>/`` only when its audio (length checked, read by
   ffmpeg), transcripts, chapters and episode.toml are complete. One episode failing does
   not stop the others; the report lists it and a re-run finishes the job.
5. **podcast.toml** last, only when the folder has none: a producer's edits are never
   overwritten, and a re-run only adds episodes with new GUIDs.

Safeguarding: ``podcast:person`` and ``podcast:location`` are left out unless asked for
(testimony must not carry them by accident); listed names in the imported text are
reported by redaction-list line, never by name, and redacted as usual on publish; no
folder or file name is made from a listed name.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.errors import (
    AudioInvalid,
    ChaptersInvalid,
    DownloadFailed,
    FeedInvalid,
    ImportRefused,
    PodcastError,
    TranscriptInvalid,
)
from podcast.files import write_atomic
from podcast.importing.convert import episode_slug, notes_markdown  # markdownify loads on first use
from podcast.importing.fetch import Downloader
from podcast.importing.folders import (
    Existing,
    audio_suffix,
    check_episode_fields,
    episode_document,
    existing_episodes,
    finish_episode,
    new_staging,
    remove_stale_staging,
    show_document,
    write_show,
)
from podcast.importing.source import (
    TRANSCRIPT_SUFFIX,
    SourceFeed,
    SourceItem,
    SourcePerson,
    feed_guid,
    parse_feed,
    real_audio_url,
)
from podcast.show.redactions import RedactionList, redact_document
from podcast.timecode import parse_time

if TYPE_CHECKING:
    from podcast.audio.reports import AudioInfo, LoudnessStats

# A re-sync with nothing new must start fast (BENCHMARKS.md: at most 2 s), so what only new
# episodes need (pydantic schemas, ffmpeg adapters, transcript and chapter readers,
# markdownify) is imported where it is used, not here.
SHOW_FILE = "podcast.toml"
PLACEHOLDER_BASE_URL = "https://media.example.org/podcast"  # as `podcast init`'s: validate asks for the real one
URL_PATTERN = r"^https?://[^\s]+$"  # podcast.show.manifest's patterns, without loading pydantic
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
LANGUAGE_PATTERN = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$"

log = logging.getLogger(__name__)

PLACEHOLDER_EMAIL = "podcast@example.org"
SAMPLE_RATES = (22050, 24000, 32000, 44100, 48000)
IMPORT_FOLDER = ".import"  # under build/: hidden, so no episode slug (build/<slug>/) can ever be the same

Progress = Callable[[str, str, float], None]  # (slug, step, fraction)


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    limit: int | None = None
    since: datetime | None = None
    owner_email: str | None = None
    keep_people: bool = False
    base_url: str | None = None
    workers: int = 4
    backoff_s: float | None = None  # None: fetch.BACKOFF_S


@dataclass(frozen=True)
class Planned:
    item: SourceItem
    slug: str
    number: int
    published: datetime
    audio_url: str  # tracking prefixes removed: where the bytes really are


@dataclass
class ImportReport:
    """What an import did (or, with --dry-run, would do); the human text and --json both render it."""

    folder: str
    feed_url: str
    podcast_guid: str
    podcast_guid_from: str  # "feed" or "computed"
    show_created: bool = False
    dry_run: bool = False
    imported: list[dict[str, Any]] = field(default_factory=list)
    planned: list[dict[str, Any]] = field(default_factory=list)
    present: int = 0
    left_out: int = 0  # by --since or --limit
    failed: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)
    listed: list[dict[str, Any]] = field(default_factory=list)  # where and which list lines, never the names
    people_left_out: int = 0
    locations_left_out: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return max((int(f["exit_code"]) for f in self.failed), default=0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_since(value: str | None) -> datetime | None:
    """``--since``: a date (midnight UTC) or a date and time.

    >>> parse_since("2026-01-05").isoformat(), parse_since("2026-01-05T09:00:00+01:00").isoformat()
    ('2026-01-05T00:00:00+00:00', '2026-01-05T08:00:00+00:00')
    """
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PodcastError(f"--since '{value}' is not a date", fix="write it like 2026-01-01") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


# --- reading and refusing ---------------------------------------------------------------------


def is_url(feed: str) -> bool:
    return re.match(r"^https?://", feed, re.IGNORECASE) is not None


def read_source(feed: str, downloader: Downloader) -> tuple[SourceFeed, str | None]:
    """The parsed feed and its current address (None for a file without an atom:link rel="self")."""
    if is_url(feed):
        fetched = downloader.fetch(feed)
        return parse_feed(fetched.data, source=feed, charset=fetched.charset), fetched.permanent_url
    path = Path(feed).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedInvalid(
            f"cannot be read ({exc.strerror})", path=path, fix="give the feed's https:// address or a saved feed file"
        ) from None
    parsed = parse_feed(data, source=str(path))
    return parsed, parsed.show.self_url


def check_locked(source: SourceFeed, owner_email: str | None, where: str) -> None:
    """podcast:locked yes: only the feed's owner may move it (the owner= attribute, else itunes:owner)."""
    show = source.show
    if not show.locked:
        return
    owner = (show.locked_owner or show.owner_email).strip().lower()
    if owner_email and owner and owner_email.strip().lower() == owner:
        return
    raise ImportRefused(
        "is locked (podcast:locked yes): its owner has asked that it not be moved to another host",
        path=where,
        fix="if you own it, pass --owner-email with the owner address the feed names"
        if owner
        else "unlock it on the old host first (the feed names no owner address to check)",
    )


def check_same_show(root: Path, guid: str) -> bool:
    """True when ``root`` already holds a show (a re-sync); refuse when it is another show."""
    manifest = root / SHOW_FILE
    if not manifest.exists():
        return False
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise ImportRefused(
            "cannot be read", path=manifest, fix="fix podcast.toml (or import into an empty folder)"
        ) from None
    current = (data.get("show") or {}).get("guid")
    if current and current != guid:
        raise ImportRefused(
            f"holds another show (podcast:guid {current}, the feed's is {guid})",
            path=manifest,
            fix="import into an empty folder, or into the folder this feed was imported into before",
        )
    return True


# --- planning -----------------------------------------------------------------------------------


def plan_items(
    source: SourceFeed, existing: Existing, options: ImportOptions, names: RedactionList, now: datetime
) -> tuple[list[Planned], int, int]:
    """The new items to import, oldest first, with numbers and slugs; and how many were present or left out."""
    fallback = source.show.built or now
    known = {guid.lower() for guid in existing.guids}
    new = [item for item in source.items if item.guid.lower() not in known]
    present = len(source.items) - len(new)
    chosen = [i for i in new if options.since is None or (i.published is not None and i.published >= options.since)]
    chosen.sort(key=lambda i: (i.published or fallback, -i.position), reverse=True)  # newest first
    if options.limit is not None:
        chosen = chosen[: options.limit]
    left_out = len(new) - len(chosen)
    chosen.reverse()  # oldest first: numbers follow the order of release

    used = set(existing.numbers)
    numbers: dict[str, int] = {}
    for item in chosen:  # first the numbers the feed gives, where they are free
        key = (item.season, item.type, item.number)
        if item.number is not None and key not in used:
            used.add(key)  # type: ignore[arg-type]
            numbers[item.guid] = item.number
    for item in chosen:
        if item.guid not in numbers:
            top = max((n for s, t, n in used if s == item.season and t == item.type), default=0)
            numbers[item.guid] = top + 1
            used.add((item.season, item.type, top + 1))
    taken = set(existing.slugs)
    planned = []
    for item in chosen:
        slug = episode_slug(item.title, numbers[item.guid], taken, names)
        taken.add(slug)
        published = (item.published or fallback).astimezone(UTC).replace(microsecond=0)
        audio_url = real_audio_url(item.enclosure.url) if item.enclosure else ""
        planned.append(Planned(item, slug, numbers[item.guid], published, audio_url))
    return planned, present, left_out


def listed_lines(names: RedactionList, where: str, *texts: str) -> dict[str, Any] | None:
    """Which redaction-list lines match in ``texts`` (never the names themselves)."""
    if not names:
        return None
    lines = sorted({match.entry.line for text in texts if text for match in names.find(text)})
    return {"where": where, "lines": lines} if lines else None


# --- one episode --------------------------------------------------------------------------------


@contextlib.contextmanager
def import_lock(root: Path) -> Iterator[None]:
    """One import at a time per show (an flock the kernel drops if the holder dies, even by SIGKILL)."""
    folder = root / "build" / IMPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ImportRefused(
                "another `podcast import` is running on this show", path=root, fix="wait for it to finish"
            ) from None
        yield
    finally:
        os.close(descriptor)


def read_audio(path: Path) -> tuple[AudioInfo, LoudnessStats]:
    """Check a download is audio by decoding all of it, and meter it on the way: one ffmpeg run.

    ffmpeg names the stream in its banner (codec, rate, channels) and prints ebur128's
    summary at the end; a file it cannot decode to the end is not audio an app can play.
    """
    from podcast.audio.reports import parse_ebur128_summary, parse_probe
    from podcast.audio.runner import capture_ffmpeg

    result = capture_ffmpeg(["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"])
    log_text = result.stderr.decode(errors="replace")
    info = parse_probe(str(path), log_text)
    if result.returncode != 0 or info is None or info.codec == "none" or "Summary:" not in log_text:
        raise AudioInvalid("is not audio ffmpeg can read", path=path, fix="check the file on the old host")
    return info, parse_ebur128_summary(log_text)


def _part_path(root: Path, guid: str) -> Path:
    return root / "build" / IMPORT_FOLDER / f"{hashlib.sha256(guid.encode('utf-8')).hexdigest()[:24]}.part"


def _download_small(downloader: Downloader, url: str, dest: Path) -> bytes:
    fetched = downloader.fetch(url)
    write_atomic(dest, fetched.data)
    return fetched.data


def _transcript_files(downloader: Downloader, item: SourceItem, staging: Path, notes: list[str]) -> str | None:
    """Download every transcript the item names; return the file episode.toml should point to."""
    from podcast.transcripts.readers import read_transcript

    chosen = item.best_transcript
    counts: dict[str, int] = {}
    manifest_name = None
    for linked in item.transcripts:
        kind = linked.type.split(";")[0].strip()
        suffix = TRANSCRIPT_SUFFIX.get(kind) or (Path(re.sub(r"[?#].*$", "", linked.url)).suffix.lower() or ".txt")
        counts[suffix] = counts.get(suffix, 0) + 1
        name = f"transcript{suffix}" if counts[suffix] == 1 else f"transcript-{counts[suffix]}{suffix}"
        data = _download_small(downloader, linked.url, staging / name)
        if linked != chosen:
            continue
        if suffix == ".html":  # the build reads VTT, SRT, JSON and text: keep the HTML, publish its text
            from lxml import html as lxml_html

            text = lxml_html.fromstring(data or b"<p></p>").text_content().strip()
            name = "transcript.txt" if "transcript.txt" not in counts else "transcript-from-html.txt"
            write_atomic(staging / name, text + "\n")
        try:
            read_transcript(staging / name)
            manifest_name = name
        except TranscriptInvalid as exc:
            notes.append(f"transcript kept as {name} but not published: {exc.problem}")
    return manifest_name


def _chapter_fields(
    downloader: Downloader, item: SourceItem, staging: Path, notes: list[str]
) -> tuple[str | None, list[dict[str, Any]]]:
    """podcast:chapters as chapters.json (named in episode.toml), or psc:chapters as [[chapters]] tables."""
    from podcast.build.chapters import parse_chapters_file

    if item.chapters is not None:
        data = _download_small(downloader, item.chapters.url, staging / "chapters.json")
        try:
            parse_chapters_file(data.decode("utf-8"), staging / "chapters.json")
            return "chapters.json", []
        except (ChaptersInvalid, UnicodeDecodeError) as exc:
            notes.append(f"chapters kept as chapters.json but not published: {getattr(exc, 'problem', exc)}")
    tables = []
    for chapter in item.simple_chapters:
        try:
            start = parse_time(chapter.start)
        except ValueError:
            continue
        entry: dict[str, Any] = {"start": _clock(start), "title": chapter.title[:255]}
        if chapter.href and re.match(URL_PATTERN, chapter.href):
            entry["url"] = chapter.href
        tables.append(entry)
    return None, tables


def _clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``.

    >>> _clock(3723.5)
    '01:02:03.500'
    """
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"


def _picture(downloader: Downloader, url: str, folder: Path, stem: str, notes: list[str]) -> str | None:
    """Download a picture as ``<stem>.jpg``/``.png``; None (with a note) when the build could not use it.

    A picture no repair can make valid artwork (not square, too small: :func:`podcast.artwork.unfixable_problems`)
    is kept as ``<stem>-original.<ext>`` for the producer to re-export, so the build never fails on it.
    """
    from podcast.artwork import inspect_artwork, unfixable_problems

    fetched = downloader.fetch(url)
    kind = fetched.data[:8]
    suffix = ".png" if kind.startswith(b"\x89PNG") else ".jpg" if kind.startswith(b"\xff\xd8") else None
    if suffix is None:
        notes.append(f"{stem} left out: the picture is not a JPEG or PNG")
        return None
    path = folder / f"{stem}{suffix}"
    write_atomic(path, fetched.data)
    try:
        problems = unfixable_problems(inspect_artwork(path))
    except PodcastError as exc:
        problems = [exc.problem]
    if problems:
        kept = path.with_name(f"{stem}-original{suffix}")
        os.replace(path, kept)
        notes.append(f"{stem} kept as {kept.name} but not used: it {' and '.join(problems)}; re-export it square")
        return None
    return path.name


def _persons(persons: tuple[SourcePerson, ...]) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name[:128],
            "role": p.role[:64] or "host",
            "group": p.group[:64] or "cast",
            "href": p.href if p.href and re.match(URL_PATTERN, p.href) else None,
            "img": p.img if p.img and re.match(URL_PATTERN, p.img) else None,
        }
        for p in persons
    ]


def import_episode(
    root: Path,
    plan: Planned,
    downloader: Downloader,
    options: ImportOptions,
    show_explicit: bool,
    on_progress: Progress | None,
) -> dict[str, Any]:
    """Download one item and rename its finished folder into place; return what it holds."""
    item = plan.item
    if item.enclosure is None:
        raise FeedInvalid(
            f"item '{item.title[:60]}' has no audio (no <enclosure>)",
            fix="nothing to import for it; an app cannot play it either",
        )
    fields: dict[str, Any] = {
        "title": (item.title or f"Episode {plan.number}")[:255],
        "number": plan.number,
        "season": item.season,
        "type": item.type,
        "published": plan.published,
        "audio": f"audio{audio_suffix(plan.audio_url, item.enclosure.type)}",
        "explicit": item.explicit if item.explicit is not None else show_explicit,
        "guid": item.guid,
        "description": notes_markdown(item.notes_html) or item.title or f"Episode {plan.number}",
    }
    check_episode_fields(fields)  # a GUID or title no episode.toml can hold fails before any download
    part = _part_path(root, item.guid)

    def progress(done: int, total: int | None) -> None:
        if on_progress and total:
            on_progress(plan.slug, "download", done / total)

    size = downloader.download(plan.audio_url, part, on_progress=progress)
    try:
        info, stats = read_audio(part)
    except AudioInvalid:
        part.unlink(missing_ok=True)  # an error page, not audio: the next run downloads afresh
        raise DownloadFailed(
            f"{plan.audio_url}: what arrived is not audio ffmpeg can read",
            fix="open the address in a browser; the old host may answer with an error page",
        ) from None
    notes: list[str] = []
    staging = new_staging(root, plan.slug)
    try:
        fields["transcript"] = _transcript_files(downloader, item, staging, notes)
        fields["chapters"], tables = _chapter_fields(downloader, item, staging, notes)
        if item.image:
            try:
                fields["artwork"] = _picture(downloader, item.image, staging, "cover", notes)
            except DownloadFailed as exc:
                notes.append(f"episode artwork left out: {exc.problem}")
        persons = _persons(item.persons) if options.keep_people else []
        os.replace(part, staging / fields["audio"])
        text = episode_document(fields, tables, persons)
        folder = finish_episode(root, staging, plan.slug, text)
    except BaseException:
        audio = staging / fields["audio"]
        if audio.exists() and not part.exists():  # keep the download for the next run
            os.replace(audio, part)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if on_progress:
        on_progress(plan.slug, "download", 1.0)
    return {
        "slug": plan.slug,
        "folder": str(folder),
        "guid": item.guid,
        "guid_from": item.guid_from,
        "title": fields["title"],
        "number": plan.number,
        "published": plan.published.isoformat(),
        "audio": fields["audio"],
        "bytes": size,
        "codec": info.codec,
        "channels": info.channels,
        "sample_rate_hz": info.sample_rate_hz,
        "loudness": dict(stats),
        "audio_plan": "",  # filled in once the show's [audio] settings are known (audio_plans)
        "transcript": fields["transcript"],
        "transcripts": len(item.transcripts),
        "chapters": fields["chapters"] or (len(tables) if tables else None),
        "artwork": fields.get("artwork"),
        "notes": notes,
    }


# --- the show -----------------------------------------------------------------------------------


def _show_artwork(root: Path, downloader: Downloader, url: str | None, notes: list[str]) -> str:
    for existing in ("artwork.jpg", "artwork.png"):
        if (root / existing).exists():
            return existing
    if url:
        try:
            name = _picture(downloader, url, root, "artwork", notes)
            if name:
                return name
            notes.append("the show's artwork cannot be used: a placeholder was made, replace artwork.jpg")
        except DownloadFailed as exc:
            notes.append(f"the show's artwork could not be downloaded ({exc.problem}): replace artwork.jpg")
    else:
        notes.append("the feed names no show artwork: a placeholder was made, replace artwork.jpg")
    from PIL import Image

    tmp = root / ".artwork.jpg.tmp"
    Image.new("RGB", (1400, 1400), (40, 60, 90)).save(tmp, "JPEG", quality=80)
    os.replace(tmp, root / "artwork.jpg")
    return "artwork.jpg"


def _audio_settings(infos: list[dict[str, Any]]) -> dict[str, Any]:
    """[audio] matching most imported episodes, so audio already at target is published as is."""
    channels = [i["channels"] for i in infos if i.get("channels") in (1, 2)]
    rates = [i["sample_rate_hz"] for i in infos if i.get("sample_rate_hz") in SAMPLE_RATES]
    mono = channels.count(1) >= channels.count(2) if channels else True
    return {
        "loudness_lufs": -16.0,
        "true_peak_dbtp": -1.0,
        "channels": 1 if mono else 2,
        "bitrate_kbps": 96 if mono else 128,
        "sample_rate_hz": max(set(rates), key=rates.count) if rates else 44100,
    }


def show_fields(
    source: SourceFeed, guid: str, artwork: str, feed_url: str | None, keep_people: bool, notes: list[str]
) -> dict[str, Any]:
    show = source.show
    title = (show.title or "Imported show")[:255]
    author = (show.author or show.owner_name or title)[:255]
    email = show.owner_email or show.locked_owner
    if not re.match(EMAIL_PATTERN, email or ""):
        notes.append(f"the feed names no owner email: set [show] owner in podcast.toml (now {PLACEHOLDER_EMAIL})")
        email = PLACEHOLDER_EMAIL
    language = show.language.replace("_", "-")
    if not re.match(LANGUAGE_PATTERN, language):
        notes.append(f"the feed's language '{show.language[:20]}' is not a language code: set [show] language")
        language = "en"
    link = show.link if re.match(URL_PATTERN, show.link) else (feed_url or PLACEHOLDER_BASE_URL)
    categories = list(show.categories)
    if not categories:
        notes.append("the feed names no category: set [show] categories")
        categories = ["Society & Culture"]
    fields: dict[str, Any] = {
        "title": title,
        "description": notes_markdown(show.description_html) or title,
        "author": author,
        "language": language,
        "link": link,
        "artwork": artwork,
        "categories": categories,
        "explicit": bool(show.explicit),
        "type": show.type if show.type in ("episodic", "serial") else "episodic",
        "copyright": show.copyright or None,
        "owner": {"name": (show.owner_name or author)[:255], "email": email},
        "funding": {"url": show.funding[0], "text": (show.funding[1] or "Support the show")[:128]}
        if show.funding and re.match(URL_PATTERN, show.funding[0])
        else None,
        "locked": True,  # as `podcast init`: nobody but the owner may move the show on from here
        "guid": guid,
    }
    if keep_people and show.persons:
        fields["persons"] = [{k: v for k, v in p.items() if v is not None} for p in _persons(show.persons)]
    return fields


# --- the whole import -----------------------------------------------------------------------------


def redact_report(report: ImportReport, names: RedactionList) -> ImportReport:
    """The report with every listed name replaced: titles, notes, errors and addresses say no name."""
    if not names:
        return report
    return ImportReport(**redact_document(report.to_dict(), names))


def import_feed(
    feed: str,
    root: Path,
    names: RedactionList,
    options: ImportOptions,
    *,
    now: datetime,
    on_progress: Progress | None = None,
) -> ImportReport:
    """Import (or re-sync) the show at ``feed`` into ``root``; see the module docstring for the order."""
    downloader = Downloader(workers=options.workers, backoff_s=options.backoff_s)
    try:
        return redact_report(_import(feed, root, names, options, downloader, now, on_progress), names)
    except PodcastError as exc:
        if names and names.contains(str(exc)):  # an error naming a title or an address with a listed name in it
            raise type(exc)(names.redact(exc.problem), path=exc.path and names.redact(exc.path), fix=exc.fix) from None
        raise
    finally:
        downloader.close()


def _import(
    feed: str,
    root: Path,
    names: RedactionList,
    options: ImportOptions,
    downloader: Downloader,
    now: datetime,
    on_progress: Progress | None,
) -> ImportReport:
    source, feed_url = read_source(feed, downloader)
    check_locked(source, options.owner_email, feed)
    if source.show.podcast_guid:
        guid, guid_from = source.show.podcast_guid, "feed"
    elif feed_url:
        guid, guid_from = feed_guid(feed_url), "computed"
    else:
        raise FeedInvalid(
            'has no podcast:guid and no atom:link rel="self", so the show\'s podcast:guid cannot be computed',
            path=feed,
            fix="import from the feed's https:// address instead of a saved file",
        )
    syncing = check_same_show(root, guid)
    existing = existing_episodes(root)
    planned, present, left_out = plan_items(source, existing, options, names, now)
    report = ImportReport(
        folder=str(root),
        feed_url=feed_url or feed,
        podcast_guid=guid,
        podcast_guid_from=guid_from,
        show_created=not syncing,
        dry_run=options.dry_run,
        present=present,
        left_out=left_out,
        duplicates=list(source.duplicates),
        unnamed=list(source.unnamed),
    )
    for odd in source.odd_dates:
        report.notes.append(
            f"'{odd[:60]}' has a date that cannot be read: dated by the feed's build date (or now); check published"
        )
    by_enclosure = sum(1 for plan in planned if plan.item.guid_from == "enclosure")
    if by_enclosure:
        report.notes.append(
            f"{by_enclosure} item(s) have no <guid>: their guid is their enclosure URL, the identity apps already gave them"
        )
    report.people_left_out = (
        0 if options.keep_people else len(source.show.persons) + sum(len(p.item.persons) for p in planned)
    )
    report.locations_left_out = len(source.show.locations) + sum(len(p.item.locations) for p in planned)
    if not syncing:
        found = listed_lines(
            names, SHOW_FILE, source.show.title, source.show.description_html, source.show.author, source.show.copyright
        )
        if found:
            report.listed.append(found)
    for plan in planned:
        found = listed_lines(names, f"episodes/{plan.slug}", plan.item.title, plan.item.notes_html)
        if found:
            report.listed.append(found)
    if syncing and not planned and not options.dry_run:
        return report  # nothing new: a re-sync that touches nothing (and loads no more than it needs)
    if options.dry_run:
        report.planned = [
            {
                "slug": p.slug,
                "guid": p.item.guid,
                "title": p.item.title,
                "number": p.number,
                "published": p.published.isoformat(),
                "audio_url": p.audio_url,
            }
            for p in planned
        ]
        return report

    root.mkdir(parents=True, exist_ok=True)
    with import_lock(root):
        remove_stale_staging(root)
        (root / "episodes").mkdir(exist_ok=True)
        artwork = _show_artwork(root, downloader, source.show.image, report.notes) if not syncing else ""
        pool = ThreadPoolExecutor(max_workers=max(1, options.workers))
        try:
            futures = [
                (
                    plan,
                    pool.submit(
                        import_episode, root, plan, downloader, options, bool(source.show.explicit), on_progress
                    ),
                )
                for plan in planned
            ]
            for plan, future in futures:
                try:
                    report.imported.append(future.result())
                except PodcastError as exc:
                    log.debug("import of %s failed", plan.slug, exc_info=exc)
                    report.failed.append(
                        {"slug": plan.slug, "guid": plan.item.guid, "error": str(exc), "exit_code": exc.exit_code}
                    )
                except OSError as exc:  # a full disk, a folder that cannot be written
                    log.debug("import of %s failed", plan.slug, exc_info=exc)
                    error = PodcastError(
                        f"cannot write the episode ({exc.strerror})",
                        path=root / "episodes" / plan.slug,
                        fix="check free disk space and permissions, then run the same command again",
                    )
                    report.failed.append(
                        {"slug": plan.slug, "guid": plan.item.guid, "error": str(error), "exit_code": error.exit_code}
                    )
        except BaseException:  # Ctrl+C or SIGTERM: stop the downloads now; their partial files wait for the next run
            downloader.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        if not syncing:
            infos = report.imported or [_probe_existing(path) for path in existing_episodes(root).audio_files[:1]]
            text = show_document(
                show_fields(source, guid, artwork, feed_url, options.keep_people, report.notes),
                _audio_settings(infos),
                (options.base_url or PLACEHOLDER_BASE_URL).rstrip("/"),
                require_list=bool(names),
            )
            write_show(root, text)
            gitignore = root / ".gitignore"
            if not gitignore.exists():
                write_atomic(gitignore, "build/\nfeed/*\n!feed/feed.xml\n")
        audio_plans(root, report.imported)
    return report


def audio_plans(root: Path, imported: list[dict[str, Any]]) -> None:
    """Say for each imported episode whether its audio will be published as it is, or normalised and why."""
    from podcast.audio.filters import RenderSettings
    from podcast.audio.render import pass_through_problem
    from podcast.audio.reports import AudioInfo

    try:
        audio = tomllib.loads((root / SHOW_FILE).read_text(encoding="utf-8")).get("audio") or {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return
    settings = RenderSettings(
        loudness_lufs=float(audio.get("loudness_lufs", -16.0)),
        true_peak_dbtp=float(audio.get("true_peak_dbtp", -1.0)),
        channels=int(audio.get("channels", 1)),
        bitrate_kbps=int(audio.get("bitrate_kbps", 96)),
        sample_rate_hz=int(audio.get("sample_rate_hz", 44100)),
        leveler=bool(audio.get("leveler", False)),
    )
    for episode in imported:
        info = AudioInfo(episode["audio"], 0.0, episode["sample_rate_hz"], episode["channels"], episode["codec"])
        problem = pass_through_problem(info, episode["loudness"], settings)
        episode["audio_plan"] = "kept as it is (already at target)" if problem is None else f"normalised: {problem}"


def _probe_existing(path: Path) -> dict[str, Any]:
    from podcast.audio.loudness import probe

    try:
        info = probe(path)
    except PodcastError:
        return {}
    return {"channels": info.channels, "sample_rate_hz": info.sample_rate_hz}
