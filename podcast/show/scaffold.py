"""`podcast init` and `podcast new`: create show and episode folders.

`new` is the only place a GUID is ever written. Nothing rewrites an existing
episode.toml, so an episode's GUID is permanent and every app keeps recognising it.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from podcast.errors import EpisodeInvalid, SettingsInvalid, ShowInvalid
from podcast.files import require_regular_file, write_atomic
from podcast.show.manifest import EPISODE_FILE, SHOW_FILE, SLUG_PATTERN, URL_PATTERN, new_guid, show_guid
from podcast.show.reading import load_episode_manifest, load_show_manifest
from podcast.show.redactions import RedactionList
from podcast.urls import URL_CREDENTIALS_FIX, has_credentials, redact_urls

SHOW_TEMPLATE = """\
# The show: metadata, audio targets and where to publish. See README.md for every key.
[show]
title = {title}
description = "{description}"
author = "Example Charity"
language = "en-GB"
link = "https://example.org/podcast"
artwork = "artwork.jpg"                 # square JPEG or PNG, 1400-3000 px
# artwork_alt = "Describe the artwork for listeners who cannot see it"   # podcast:image alt (validate asks)
categories = ["Society & Culture/Documentary"]
explicit = false
type = "episodic"                       # or "serial"
copyright = "© {year} Example Charity"
owner = {{ name = "Podcast team", email = "podcast@example.org" }}
locked = true
support_notice = "If you have been affected by anything in this episode, help is available at https://example.org/support."
guid = "{guid}"   # podcast:guid: keep it forever, even if the feed moves

[audio]
loudness_lufs = -16.0                   # the podcast standard (Apple: -16 +/- 1)
true_peak_dbtp = -1.0
channels = 1                            # 1 = mono speech, 2 = stereo
bitrate_kbps = 96
sample_rate_hz = 44100

[publish]
target = "feed"                         # a local folder, or "s3://bucket/prefix"
base_url = {base_url}
# S3 only (credentials come from the AWS chain: AWS_PROFILE or AWS_ACCESS_KEY_ID, never from this file):
# region = "eu-west-2"
# endpoint_url = "https://<account>.r2.cloudflarestorage.com"   # S3-compatible stores (R2, B2, MinIO)
# acl = "public-read"                                           # where the store grants public read by ACL
# cloudfront_distribution_id = "E2QWRUHAPOMQZL"                 # invalidate the feed after each publish
# notify = ["websub", "podcastindex"]   # tell apps at once after each publish or takedown (README: Reach)

[safeguarding]
# The private list of real names that must never be published, one a line, kept OUTSIDE this folder.
# Point to it here, or in each terminal with: export PODCAST_REDACTIONS=/path/to/redactions.txt
# redactions = "~/.config/survivor-voices/redactions.txt"
require_redactions = true               # nothing is built or published without the list
"""

# The example address a new show starts with. Its podcast:guid is the same for every show that keeps
# it, so `podcast validate` asks for the real one once base_url is changed (rule podcast-guid-placeholder).
PLACEHOLDER_BASE_URL = "https://media.example.org/podcast"

GITIGNORE = "build/\nfeed/*\n!feed/feed.xml\n"


def init_show(directory: Path, *, title: str, base_url: str | None = None) -> list[Path]:
    """Create podcast.toml, placeholder artwork, episodes/ and feed/ in ``directory``.

    ``[show] guid`` is written once, as the UUIDv5 of ``<base_url>/feed.xml`` (podcast:guid):
    pass the real ``base_url`` so the show gets its own permanent guid from the start.
    """
    from PIL import Image, ImageDraw

    manifest = directory / SHOW_FILE
    base_url = (base_url or PLACEHOLDER_BASE_URL).rstrip("/")
    if has_credentials(base_url):
        raise SettingsInvalid(
            f"--base-url '{redact_urls(base_url)}' holds a user name or password", fix=URL_CREDENTIALS_FIX
        )
    if not re.match(URL_PATTERN, base_url):
        raise ShowInvalid(
            f"base URL '{base_url}' is not a web address",
            path=manifest,
            fix="pass --base-url with the public address that will serve the feed, starting with https://",
        )
    directory.mkdir(parents=True, exist_ok=True)
    if manifest.exists():
        raise ShowInvalid("already exists", path=manifest, fix="edit it, or run `podcast init` in an empty folder")
    created = []
    text = SHOW_TEMPLATE.format(
        title=tomlkit.string(title).as_string(),
        description=EXAMPLE_SHOW_DESCRIPTION,
        year=datetime.now(UTC).year,
        guid=show_guid(f"{base_url}/feed.xml"),
        base_url=tomlkit.string(base_url).as_string(),
    )
    manifest.write_text(text, encoding="utf-8")
    created.append(manifest)
    artwork = directory / "artwork.jpg"
    if not artwork.exists():
        image = Image.new("RGB", (1400, 1400), (40, 60, 90))
        ImageDraw.Draw(image).text((60, 60), "Replace this artwork", fill=(255, 255, 255))
        image.save(artwork, "JPEG", quality=80, comment=PLACEHOLDER_ARTWORK_MARK)
        created.append(artwork)
    for name in ("episodes", "feed"):
        (directory / name).mkdir(exist_ok=True)
        created.append(directory / name)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(GITIGNORE, encoding="utf-8")
        created.append(gitignore)
    return created


def _next_number(root: Path) -> int:
    numbers = []
    try:
        zone = load_show_manifest(root / SHOW_FILE).show.timezone
    except Exception:  # noqa: BLE001 - a broken podcast.toml must not stop a new episode; validate reports it
        zone = None
    for path in (root / "episodes").glob(f"*/{EPISODE_FILE}"):
        if path.parent.name.startswith("."):  # an unfinished `podcast new`, or anything else hidden
            continue
        try:
            numbers.append(load_episode_manifest(path, timezone=zone).number)
        except Exception:  # noqa: BLE001 - a broken sibling must not stop a new episode; validate reports it
            continue
    return max(numbers, default=0) + 1


# What a new episode.toml starts with where the producer's own words belong: `podcast validate` warns
# while it is still there, so the placeholder never reaches listeners unnoticed.
EXAMPLE_NOTES = "Show notes in Markdown.\n"
# The show description `podcast init` writes (validate warns while it is unchanged).
EXAMPLE_SHOW_DESCRIPTION = "What the show is about, in a few sentences. Plain text or Markdown."
# Written into the placeholder artwork's JPEG comment, so validate can tell it from the producer's own.
PLACEHOLDER_ARTWORK_MARK = b"podcast init placeholder artwork"

# The optional keys, commented out, so a producer sees what an episode can have without a trap:
# uncommented as they are, each names a file that does not exist yet and the episode is refused.
OPTIONAL_KEYS = """# content_warning = "Discusses ..."          # optional: shown first in the notes
# transcript = "transcript.srt"              # optional: .srt .vtt .txt .json next to this file
# artwork = "cover.jpg"                      # optional: square JPEG/PNG for this episode
"""
OPTIONAL_TABLES = """
# Chapters (optional), counted from 1 in messages; the first starts at 00:00:00:
# [[chapters]]
# start = "00:00:00"
# title = "Introduction"

# Separate speakers (optional): remove the audio line above and list one [[tracks]] per speaker.
# [[tracks]]
# file = "host.wav"
# speaker = "Host"
"""


def new_episode(
    root: Path,
    slug: str,
    audio: Path | list[Path],
    *,
    title: str | None,
    number: int | None,
    published: datetime | None,
    redactions: RedactionList | None = None,
) -> Path:
    """Create ``episodes/<slug>/`` with a copy of ``audio`` and an episode.toml holding a fresh GUID.

    A slug with a name from ``redactions`` (the list) is refused here, before the folder exists: the
    slug becomes the episode's public addresses, which the publish check would refuse later. (A name
    in the title is replaced with the list's replacement when published.)

    Several ``audio`` files (intro, master, outro) are copied and listed in order. The optional keys
    are written commented out, so the producer sees them without a trap.

    All or nothing: the folder is made under a hidden temporary name (``episodes/.<slug>.*.new``,
    which every command skips), and renamed into place only once the copy and episode.toml are
    complete. Any failure or interruption (Ctrl+C; the CLI turns SIGTERM and SIGHUP into one)
    removes it, so no partial WAV and no folder without an episode.toml is left behind; only a
    SIGKILL can leave the hidden folder, which nothing reads. ``audio`` must be a regular file,
    checked before it is opened: a FIFO would wait forever and /dev/zero never ends.
    """
    if not SLUG_PATTERN.match(slug):
        raise EpisodeInvalid(
            f"'{slug}' is not a valid episode slug",
            fix="use lowercase letters, digits and dashes, e.g. 'episode-3'",
        )
    lines = sorted({match.entry.line for match in redactions.find(slug.replace("-", " "))}) if redactions else []
    if lines:  # the list line, never the name: terminals are shared and logs are kept
        raise EpisodeInvalid(
            f"the slug contains a name from the redaction list (line {', '.join(map(str, lines))})",
            fix=f"choose a slug without it, e.g. 'episode-{number if number is not None else _next_number(root)}'",
        )
    files = [audio] if isinstance(audio, Path) else list(audio)
    for path in files:
        require_regular_file(path, EpisodeInvalid, what="audio file", missing_fix="check the path given to --audio")
    names = [path.name for path in files]
    if len(set(names)) != len(names):
        raise EpisodeInvalid(
            f"two --audio files have the same name ({', '.join(sorted({n for n in names if names.count(n) > 1}))})",
            fix="rename one of them (they are copied side by side into the episode folder)",
        )
    episodes = root / "episodes"
    folder = episodes / slug
    if folder.exists():
        raise EpisodeInvalid("already exists", path=folder, fix="pick another slug; existing episodes keep their GUID")
    when = (published or datetime.now(UTC)).replace(microsecond=0)
    document = tomlkit.document()
    document.add("title", title or re.sub(r"-+", " ", slug).strip().capitalize())
    document.add("number", number if number is not None else _next_number(root))
    document.add("type", "full")
    document.add("published", when)
    document.add("audio", names[0] if len(names) == 1 else names)
    if len(names) > 1:
        document["audio"].comment("played in this order")
    document.add("description", tomlkit.string(EXAMPLE_NOTES, multiline=True))
    document.add("explicit", False)
    document.add("guid", new_guid())
    document["guid"].comment("permanent: never change or copy it")
    text = tomlkit.dumps(document)
    text = text.replace("\nguid = ", "\n" + OPTIONAL_KEYS + "guid = ", 1) + OPTIONAL_TABLES
    staging: Path | None = None
    try:
        episodes.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", suffix=".new", dir=episodes))
        for path in files:
            shutil.copyfile(path, staging / path.name)
        write_atomic(staging / EPISODE_FILE, text)
        os.rename(staging, folder)  # fails rather than merging if the slug appeared meanwhile
    except OSError as exc:
        raise EpisodeInvalid(
            f"cannot create the episode ({exc.strerror or exc.__class__.__name__})",
            path=folder,
            fix="free some disk space and run the command again"
            if exc.errno == errno.ENOSPC
            else "check that the episodes folder can be written, then run the command again",
        ) from None
    finally:
        if staging is not None and staging.exists():  # not renamed: failed or interrupted
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def rename_episode(root: Path, old: str, new: str, *, live: bool, label: str = "") -> Path:
    """Rename ``episodes/<old>`` to ``episodes/<new>``; episode.toml moves untouched, so the GUID stays.

    ``live`` says whether the target lists ``old`` (the caller read its state record). A published
    episode keeps its name: its GUID would survive a rename, but its audio, transcript and web page
    are live at addresses made from the name, and the links listeners shared point there; `podcast
    publish` would also see a live episode vanish. ``label`` names it in that refusal ("episode 3
    'Title' (slug)"). The build cache of the old name is removed (its files carry the old name); the
    next build makes the new one. One ``rename`` call: the folder is under one name or the other.
    """
    episodes = root / "episodes"
    source, destination = episodes / old, episodes / new
    if not SLUG_PATTERN.match(new):
        raise EpisodeInvalid(
            f"'{new}' is not a valid episode slug", fix="use lowercase letters, digits and dashes, e.g. 'episode-3'"
        )
    if live:
        raise EpisodeInvalid(
            f"{label or repr(old)} is published, so it keeps its folder name: its audio, transcript and web page "
            f"are live at addresses made from '{old}', and links listeners shared point there",
            path=source,
            fix="listeners never see the folder name; to change what they see, edit the title in episode.toml "
            f"and `podcast publish` (the GUID and addresses stay); to retire it, `podcast takedown {old} --reason ...`",
        )
    if destination.exists():
        raise EpisodeInvalid("already exists", path=destination, fix="pick another new name")
    try:
        os.rename(source, destination)
    except OSError as exc:
        raise EpisodeInvalid(
            f"cannot rename the folder ({exc.strerror or exc.__class__.__name__})",
            path=source,
            fix="close any program using files in it, check the folder can be written, and run the command again",
        ) from None
    shutil.rmtree(root / "build" / old, ignore_errors=True)
    return destination
