"""Writing what an import makes: podcast.toml and one episode folder per item, all or nothing.

Each episode folder is assembled under a hidden name (``episodes/.<slug>.<random>.import``,
which every command skips) and renamed into place once its episode.toml is written and
reads back as valid, so an import killed at any moment leaves either a whole episode or
none. podcast.toml is written in one rename too. Nothing here ever rewrites a file that
exists: a producer's edits are theirs.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from podcast.errors import EpisodeInvalid, FeedInvalid
from podcast.files import write_atomic

# podcast.show.manifest's names; the schemas themselves (pydantic) load only when something is written.
EPISODE_FILE = "episode.toml"
SHOW_FILE = "podcast.toml"

STAGING_SUFFIX = ".import"


@dataclass(frozen=True)
class Existing:
    """What the show folder already holds: GUIDs, slugs and (season, type, number) keys."""

    guids: frozenset[str]
    slugs: frozenset[str]
    numbers: frozenset[tuple[int | None, str, int]]
    audio_files: tuple[Path, ...]


def existing_episodes(root: Path) -> Existing:
    """Read every episode.toml's identity fields (tomllib only: a broken sibling is skipped, never fatal).

    Hidden folders (an unfinished `podcast new` or import) do not count.
    """
    guids: set[str] = set()
    slugs: set[str] = set()
    numbers: set[tuple[int | None, str, int]] = set()
    audio: list[Path] = []
    episodes = root / "episodes"
    if episodes.is_dir():
        for folder in episodes.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            slugs.add(folder.name)
            try:
                data = tomllib.loads((folder / EPISODE_FILE).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if isinstance(data.get("guid"), str):
                guids.add(data["guid"])
            if isinstance(data.get("number"), int):
                numbers.add((data.get("season"), str(data.get("type", "full")), data["number"]))
            if isinstance(data.get("audio"), str):
                audio.append(folder / data["audio"])
    return Existing(frozenset(guids), frozenset(slugs), frozenset(numbers), tuple(audio))


def remove_stale_staging(root: Path) -> None:
    """Remove the hidden half-made episode folders a killed import left (never a finished one)."""
    episodes = root / "episodes"
    if episodes.is_dir():
        for folder in episodes.glob(f".*{STAGING_SUFFIX}"):
            shutil.rmtree(folder, ignore_errors=True)


def new_staging(root: Path, slug: str) -> Path:
    episodes = root / "episodes"
    episodes.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", suffix=STAGING_SUFFIX, dir=episodes))
    staging.chmod(0o755)  # mkdtemp makes it private; an episode folder is as readable as any other
    return staging


def episode_document(fields: dict[str, Any], chapters: list[dict[str, Any]], persons: list[dict[str, Any]]) -> str:
    """episode.toml text: the fields in the order a producer reads them, notes last."""
    document = tomlkit.document()
    document.add(tomlkit.comment("Imported by `podcast import`. Edit freely: a re-import never overwrites this file."))
    for key in ("title", "number", "season", "type", "published", "audio", "explicit", "artwork", "transcript"):
        if fields.get(key) is not None:
            document.add(key, fields[key])
    if isinstance(fields.get("chapters"), str):
        document.add("chapters", fields["chapters"])
    document.add("guid", fields["guid"])
    document["guid"].comment("from the old feed, byte for byte: subscribers' apps know the episode by it")
    document.add("description", tomlkit.string(fields["description"].strip(), multiline=True))
    if chapters:
        table = tomlkit.aot()
        for chapter in chapters:
            table.append(tomlkit.table().add("start", chapter["start"]).add("title", chapter["title"]))
            if chapter.get("url"):
                table[-1].add("url", chapter["url"])
        document.add("chapters", table)
    if persons:
        people = tomlkit.aot()
        for person in persons:
            entry = tomlkit.table()
            for key, value in person.items():
                if value is not None:
                    entry.add(key, value)
            people.append(entry)
        document.add("persons", people)
    return tomlkit.dumps(document)


def finish_episode(root: Path, staging: Path, slug: str, text: str) -> Path:
    """Write episode.toml into ``staging``, check it reads back, and rename the folder into place."""
    from podcast.show.reading import load_episode_manifest

    manifest = staging / EPISODE_FILE
    write_atomic(manifest, text)
    load_episode_manifest(manifest)  # raises EpisodeInvalid naming the field if the feed had something unusable
    folder = root / "episodes" / slug
    try:
        os.rename(staging, folder)  # never merges into a folder that appeared meanwhile
    except OSError as exc:
        raise EpisodeInvalid(
            f"cannot create the episode folder ({exc.strerror})",
            path=folder,
            fix="remove what is in the way, or free disk space, and run the import again",
        ) from None
    return folder


def show_document(show: dict[str, Any], audio: dict[str, Any], base_url: str, require_list: bool) -> str:
    """podcast.toml text for an imported show, checked against the schema before it is written."""
    document = tomlkit.document()
    document.add(tomlkit.comment("Imported by `podcast import`. See README.md for every key."))
    table = tomlkit.table()
    for key, value in show.items():
        if isinstance(value, dict):  # owner, funding: one line each, as DESIGN.md writes them
            inline = tomlkit.inline_table()
            inline.update(value)
            table.add(key, inline)
        elif value is not None:
            table.add(key, value)
    table["guid"].comment("podcast:guid: kept from the old feed (or computed from its address); never changes")
    document.add("show", table)
    audio_table = tomlkit.table()
    for key, value in audio.items():
        audio_table.add(key, value)
    document.add("audio", audio_table)
    publish = tomlkit.table()
    publish.add("target", "feed")
    publish.add("base_url", base_url)
    publish["base_url"].comment("the public address that will serve the feed: change it before publishing")
    document.add("publish", publish)
    safeguarding = tomlkit.table()
    safeguarding.add(tomlkit.comment("The private list of real names, kept OUTSIDE this folder (PODCAST_REDACTIONS)."))
    safeguarding.add("require_redactions", require_list)
    document.add("safeguarding", safeguarding)
    text = tomlkit.dumps(document)
    from pydantic import ValidationError

    from podcast.show.manifest import ShowManifest

    try:
        ShowManifest.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FeedInvalid(
            f"the feed's channel gives an unusable {where} ({first['msg']})",
            path=SHOW_FILE,
            fix="fix it on the old host, or import a saved copy of the feed with it corrected",
        ) from None
    return text


def write_show(root: Path, text: str) -> Path:
    path = root / SHOW_FILE
    write_atomic(path, text)
    return path


def check_episode_fields(fields: dict[str, Any]) -> None:
    """Fail before any download when the item cannot make a valid episode.toml."""
    from pydantic import ValidationError

    from podcast.show.manifest import EpisodeManifest

    try:
        EpisodeManifest.model_validate({**fields, "description": fields.get("description") or "-"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise FeedInvalid(
            f"item '{str(fields.get('title'))[:60]}' gives an unusable {where} ({first['msg']})",
            fix="fix the episode on the old host, or import a saved copy of the feed with it corrected",
        ) from None


def audio_suffix(url: str, content_type: str) -> str:
    """The audio file's suffix from its URL, else its MIME type (".mp3" when neither says).

    >>> audio_suffix("https://cdn.example.org/a/b.M4A?x=1", ""), audio_suffix("https://x.org/play", "audio/x-m4a")
    ('.m4a', '.m4a')
    """
    path = re.sub(r"[?#].*$", "", url)
    found = re.search(r"\.(mp3|m4a|aac|mp4|ogg|oga|opus|wav|flac)$", path, re.IGNORECASE)
    if found:
        return "." + found.group(1).lower()
    by_type = {
        "audio/mpeg": ".mp3",
        "audio/mp3": ".mp3",
        "audio/x-m4a": ".m4a",
        "audio/mp4": ".m4a",
        "audio/aac": ".aac",
        "audio/ogg": ".ogg",
        "audio/opus": ".opus",
        "audio/wav": ".wav",
        "audio/x-wav": ".wav",
        "audio/flac": ".flac",
    }
    return by_type.get(content_type.split(";")[0].strip().lower(), ".mp3")
