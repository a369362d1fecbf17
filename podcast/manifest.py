"""The two files a producer writes: ``podcast.toml`` and ``episodes/<slug>/episode.toml``.

The schemas are pydantic models that mirror DESIGN.md key for key. Loading turns any
TOML or schema problem into one :class:`~podcast.errors.PodcastError` line naming the
file, the field and the fix. Unknown keys are kept out of the models but reported as
warnings, because a typo (``titel``) silently ignored is worse than a noisy one.
"""

from __future__ import annotations

import logging
import re
import tomllib
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import EpisodeInvalid, PodcastError, ShowInvalid
from .timecode import parse_time

log = logging.getLogger(__name__)

SHOW_FILE = "podcast.toml"
EPISODE_FILE = "episode.toml"
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
# BCP 47 as Apple and the RSS spec use it: "en", "en-GB", "pt-BR".
LANGUAGE_PATTERN = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$"
URL_PATTERN = r"^https?://[^\s]+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Text255 = Annotated[str, Field(min_length=1, max_length=255)]


def _no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError("contains control characters (invisible bytes that break feeds)")
    return value


class _Section(BaseModel):
    """Strict types (a number must be a number, not "3"); unknown keys are collected for a warning."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class Owner(_Section):
    name: Text255
    email: Annotated[str, Field(pattern=EMAIL_PATTERN)]


class Funding(_Section):
    url: Annotated[str, Field(pattern=URL_PATTERN)]
    text: Annotated[str, Field(min_length=1, max_length=128)]


class ShowInfo(_Section):
    title: Text255
    description: Annotated[str, Field(min_length=1)]
    author: Text255
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)]
    link: Annotated[str, Field(pattern=URL_PATTERN)]
    artwork: Annotated[str, Field(min_length=1)]
    categories: Annotated[list[str], Field(min_length=1)]
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    copyright: str | None = None
    owner: Owner
    funding: Funding | None = None
    locked: bool = False
    support_notice: str | None = None
    guid: str | None = None  # podcast:guid; written once by `podcast init`

    _check_title = field_validator("title", "author", "description")(_no_control_chars)


class AudioSettings(_Section):
    loudness_lufs: Annotated[float, Field(ge=-30.0, le=-10.0)] = -16.0
    true_peak_dbtp: Annotated[float, Field(ge=-9.0, le=0.0)] = -1.0
    channels: Literal[1, 2] = 1
    bitrate_kbps: Literal[48, 64, 96, 112, 128, 160, 192, 256, 320] = 96
    sample_rate_hz: Literal[22050, 24000, 32000, 44100, 48000] = 44100
    leveler: bool = False  # ride speakers' levels (dynaudnorm) before normalising; see README "Loudness"
    crossfade_ms: Annotated[int, Field(ge=0, le=10000)] = 0  # between the parts of an audio list
    max_silence_s: Annotated[float, Field(ge=0.0, le=60.0)] = 2.0  # silence kept at each end, in seconds


class PublishSettings(_Section):
    target: Annotated[str, Field(min_length=1)] = "feed"
    base_url: Annotated[str, Field(pattern=URL_PATTERN)]
    endpoint_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    region: str | None = None


class ShowManifest(_Section):
    show: ShowInfo
    audio: AudioSettings = AudioSettings()
    publish: PublishSettings


class Chapter(_Section):
    start: float
    title: Text255
    url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value: Any) -> float:
        return parse_time(value)


class EpisodeManifest(_Section):
    title: Text255
    number: Annotated[int, Field(ge=0)]
    season: Annotated[int, Field(ge=1)] | None = None
    type: Literal["full", "trailer", "bonus"] = "full"
    published: datetime
    audio: Annotated[str, Field(min_length=1)] | Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    content_warning: str | None = None
    explicit: bool = False
    transcript: str | None = None
    artwork: str | None = None
    guid: Annotated[str, Field(min_length=8, max_length=255)]
    withdrawn: bool = False
    chapters: list[Chapter] = []

    _check_text = field_validator("title", "description")(_no_control_chars)

    @field_validator("published")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("has no time zone")
        return value

    @property
    def audio_files(self) -> list[str]:
        return [self.audio] if isinstance(self.audio, str) else list(self.audio)


# How to fix each field when it is wrong: the second half of every error line.
FIELD_HINTS: dict[str, str] = {
    "title": 'write it as text in quotes, e.g. title = "Episode one"',
    "number": "write a whole number without quotes, e.g. number = 3",
    "season": "write a whole number without quotes, e.g. season = 1",
    "type": 'use one of the allowed words, e.g. type = "full"',
    "published": "write a date, time and time zone without quotes, e.g. published = 2026-11-20T09:00:00Z",
    "audio": 'name the master file, e.g. audio = "master.wav", or a list ["intro.wav", "master.wav"]',
    "description": 'write the show notes as text, e.g. description = """Notes..."""',
    "guid": "run `podcast new` to create episodes; it writes a fresh guid once",
    "explicit": "write true or false without quotes",
    "language": 'use a language code such as "en" or "en-GB"',
    "link": "use a full web address starting with https://",
    "base_url": "use the public web address that serves the target, starting with https://",
    "email": "use a real email address, e.g. podcast@example.org",
    "categories": 'list at least one Apple category, e.g. categories = ["Society & Culture/Documentary"]',
    "loudness_lufs": "pick a target between -30 and -10; -16 is the podcast standard",
    "true_peak_dbtp": "pick a ceiling between -9 and 0; -1 is the podcast standard",
    "channels": "use 1 (mono, speech) or 2 (stereo)",
    "bitrate_kbps": "use a standard MP3 bitrate such as 64, 96 or 128",
    "sample_rate_hz": "use 44100 or 48000",
    "leveler": "write true or false without quotes",
    "crossfade_ms": "write a whole number of milliseconds between 0 and 10000, e.g. crossfade_ms = 1500",
    "max_silence_s": "write seconds between 0 and 60, e.g. max_silence_s = 2.0",
    "start": 'write HH:MM:SS, MM:SS or seconds, e.g. start = "00:01:30"',
}


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (field path, what is wrong)."""
    loc = ".".join(str(part) for part in error["loc"] if not str(part).startswith(("str", "list[")))
    kind = error["type"]
    if kind == "missing":
        return loc, "is missing"
    if kind in ("string_type", "int_type", "float_type", "bool_type", "datetime_type", "list_type", "model_type"):
        wanted = kind.removesuffix("_type").replace("str", "text").replace("int", "whole number")
        wanted = {"string": "text", "model": "table", "list": "list", "datetime": "date and time"}.get(wanted, wanted)
        return loc, f"must be {wanted}, not {type(error.get('input')).__name__.replace('str', 'text')}"
    message = error["msg"].removeprefix("Value error, ")
    return loc, message[0].lower() + message[1:]


def _fail(exc_type: type[PodcastError], path: Path, exc: ValidationError) -> PodcastError:
    errors = exc.errors()
    loc, what = _describe(errors[0])
    leaf = loc.rsplit(".", 1)[-1]
    leaf = leaf if not leaf.isdigit() else loc.split(".")[-2] if "." in loc else leaf
    fix = FIELD_HINTS.get(leaf, "see the manifest format in README.md")
    more = f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
    return exc_type(f"field '{loc}' {what}{more}", path=path, fix=fix)


def read_toml(path: Path, exc_type: type[PodcastError]) -> dict[str, Any]:
    """Parse a TOML file, or raise ``exc_type`` naming the line that is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise exc_type("file not found", path=path, fix="create it (see `podcast init` and `podcast new`)") from None
    except UnicodeDecodeError:
        raise exc_type("is not UTF-8 text", path=path, fix="save it as UTF-8 in your editor") from None
    except OSError as exc:
        raise exc_type(f"cannot be read ({exc.strerror})", path=path, fix="check the file's permissions") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise exc_type(
            f"is not valid TOML: {exc}", path=path, fix="check the quotes, brackets and = signs on that line"
        ) from None


def _warn_unknown(model: BaseModel, path: Path, prefix: str = "") -> None:
    for key in model.model_extra or {}:
        log.warning("%s: unknown key '%s%s' is ignored (a typo?)", path, prefix, key)
    for name, value in model:
        if isinstance(value, BaseModel):
            _warn_unknown(value, path, f"{prefix}{name}.")


def load_show_manifest(path: Path) -> ShowManifest:
    data = read_toml(path, ShowInvalid)
    try:
        manifest = ShowManifest.model_validate(data)
    except ValidationError as exc:
        raise _fail(ShowInvalid, path, exc) from None
    _warn_unknown(manifest, path)
    return manifest


def load_episode_manifest(path: Path) -> EpisodeManifest:
    data = read_toml(path, EpisodeInvalid)
    try:
        manifest = EpisodeManifest.model_validate(data)
    except ValidationError as exc:
        raise _fail(EpisodeInvalid, path, exc) from None
    _warn_unknown(manifest, path)
    return manifest


def new_guid() -> str:
    """A random, permanent episode GUID (never derived from a URL, so moving hosts never changes it)."""
    return str(uuid.uuid4())


def show_guid(feed_url: str) -> str:
    """podcast:guid per the Podcasting 2.0 spec: UUIDv5 of the feed URL without scheme or trailing slash.

    >>> show_guid("https://mp3s.nashownotes.com/pc20rss.xml")
    '917393e3-1b1e-5cef-ace4-edaa54e1f810'
    """
    bare = re.sub(r"^[a-zA-Z]+://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), bare))
