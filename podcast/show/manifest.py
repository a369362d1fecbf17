"""The two files a producer writes: ``podcast.toml`` and ``episodes/<slug>/episode.toml``.

The schemas are pydantic models that mirror DESIGN.md key for key. Loading turns any
TOML or schema problem into one :class:`~podcast.errors.PodcastError` line naming the
file, the field and the fix. Unknown keys are kept out of the models but reported as
warnings with a "did you mean …?", because a typo (``titel``) silently ignored is worse
than a noisy one; one that stands for a safety key (``content_waring``) is an error
(see :mod:`podcast.show.unknown_keys`).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from podcast.timecode import parse_time

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


class Person(_Section):
    """podcast:person: someone heard or credited (channel: the regulars; episode: that episode's people).

    Safeguarding: use only names the person has agreed to publish; survivors' names are changed.
    """

    name: Annotated[str, Field(min_length=1, max_length=128)]
    role: Annotated[str, Field(min_length=1, max_length=64)] = "host"
    group: Annotated[str, Field(min_length=1, max_length=64)] = "cast"
    href: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    img: Annotated[str, Field(pattern=URL_PATTERN)] | None = None

    _check_text = field_validator("name", "role", "group")(_no_control_chars)


# podcast:medium values from the Podcasting 2.0 namespace (list variants left out).
Medium = Literal["podcast", "music", "video", "film", "audiobook", "newsletter", "blog"]


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
    persons: list[Person] = []  # podcast:person on the channel (hosts)
    apple_verify: Annotated[str, Field(min_length=1, max_length=4000)] | None = None  # podcast:txt applepodcastsverify
    license: Annotated[str, Field(min_length=1, max_length=128)] | None = (
        None  # podcast:license, e.g. "cc-by-nc-nd-4.0"
    )
    license_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    medium: Medium = "podcast"  # podcast:medium
    block: bool = False  # itunes:block: hide the show from Apple's directory
    complete: bool = False  # itunes:complete: no more episodes will be published

    _check_title = field_validator("title", "author", "description", "support_notice", "copyright")(_no_control_chars)


class AudioSettings(_Section):
    loudness_lufs: Annotated[float, Field(ge=-30.0, le=-10.0)] = -16.0
    true_peak_dbtp: Annotated[float, Field(ge=-9.0, le=0.0)] = -1.0
    channels: Literal[1, 2] = 1
    bitrate_kbps: Literal[48, 64, 96, 112, 128, 160, 192, 256, 320] = 96
    sample_rate_hz: Literal[22050, 24000, 32000, 44100, 48000] = 44100
    leveler: bool = False  # ride speakers' levels (dynaudnorm) before normalising; see README "Loudness"
    crossfade_ms: Annotated[int, Field(ge=0, le=10000)] = 0  # between the parts of an audio list
    max_silence_s: Annotated[float, Field(ge=0.0, le=60.0)] = 2.0  # silence kept at each end, in seconds


class PublishSection(_Section):
    target: Annotated[str, Field(min_length=1)] = "feed"
    base_url: Annotated[str, Field(pattern=URL_PATTERN)]
    endpoint_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    region: str | None = None
    acl: Literal["public-read", "private"] | None = None  # S3: canned ACL for public objects; None = bucket policy
    cloudfront_distribution_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{8,20}$")] | None = None
    new_feed_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None  # itunes:new-feed-url when moving hosts


class FeedSettings(_Section):
    max_items: Annotated[int, Field(ge=1)] | None = None  # list only the newest N episodes


class SafeguardingSettings(_Section):
    """[safeguarding]: see podcast/show/redactions.py, podcast/safeguarding/ and podcast/publishing/takedown.py."""

    redactions: Annotated[str, Field(min_length=1)] | None = None  # path to the private list, outside the show folder
    require_redactions: bool = False  # refuse to work without a list (e.g. a cron job missing PODCAST_REDACTIONS)
    audio: Literal["bleep", "mute"] = "bleep"  # what a listed name sounds like where word timestamps exist
    audit_log: Annotated[str, Field(min_length=1)] = "safeguarding/audit.log"  # relative to podcast.toml
    review_expires: Annotated[str, Field(pattern=r"^\d+[smhd]?$")] = "7d"  # default lifetime of review links


class TagSettings(_Section):
    id3_version: Literal[3, 4] = 3  # ID3v2.3 by default: older players and car stereos do not read v2.4


class TranscriptSettings(_Section):
    """[transcripts]: generate transcripts offline when an episode supplies none (see podcast/build/transcripts.py)."""

    auto: bool = False
    model: Annotated[str, Field(min_length=1)] | None = None  # a CTranslate2 Whisper folder, relative to podcast.toml
    language: Annotated[str, Field(pattern=LANGUAGE_PATTERN)] | None = None  # default: [show] language


class SiteSection(_Section):
    """[site]: the listeners' website published beside feed.xml (see podcast/site/)."""

    enabled: bool = True
    # Where "Leave this site" (and the Escape key) goes: a neutral page that says nothing about the visit.
    quick_exit_url: Annotated[str, Field(pattern=URL_PATTERN)] = "https://www.bbc.co.uk/weather"
    apple_podcasts_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    spotify_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    artwork_alt: Annotated[str, Field(min_length=1, max_length=500)] | None = None  # default: "<title> artwork"

    _check_text = field_validator("artwork_alt")(_no_control_chars)


class ShowManifest(_Section):
    show: ShowInfo
    audio: AudioSettings = AudioSettings()
    publish: PublishSection
    safeguarding: SafeguardingSettings = SafeguardingSettings()
    feed: FeedSettings = FeedSettings()
    tags: TagSettings = TagSettings()
    transcripts: TranscriptSettings = TranscriptSettings()
    site: SiteSection = SiteSection()


class Chapter(_Section):
    start: float
    title: Text255
    url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    image: Annotated[str, Field(min_length=1)] | None = None  # a picture file next to episode.toml

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value: Any) -> float:
        if not isinstance(value, (str, int, float)):  # parse_time would raise AttributeError, not a field error
            raise ValueError(f'must be a time such as "00:01:30", not {type(value).__name__}')
        return parse_time(value)


class Track(_Section):
    """One speaker's own recording; the tracks are mixed for the episode and transcribed one by one."""

    file: Annotated[str, Field(min_length=1)]
    speaker: Text255


class SignOff(_Section):
    """``[[safeguarding.signoff]]``: a producer listened to one passage the safeguarding pass could not check.

    ``at`` is the time the refusal named, ``line`` the redaction list line it named (0: the whole
    episode, when no word timings could be made), ``by`` who listened.
    """

    at: float
    line: Annotated[int, Field(ge=0)]
    by: Annotated[str, Field(min_length=1)]

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> float:
        if not isinstance(value, (str, int, float)):
            raise ValueError(f'must be a time such as "00:01:30", not {type(value).__name__}')
        return parse_time(value)


class EpisodeSafeguarding(_Section):
    signoff: list[SignOff] = []


class EpisodeManifest(_Section):
    title: Text255
    number: Annotated[int, Field(ge=0)]
    season: Annotated[int, Field(ge=1)] | None = None
    type: Literal["full", "trailer", "bonus"] = "full"
    published: datetime
    audio: (
        Annotated[str, Field(min_length=1)] | Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    )
    description: Annotated[str, Field(min_length=1)]
    content_warning: str | None = None
    explicit: bool = False
    transcript: str | None = None
    artwork: str | None = None
    guid: Annotated[str, Field(min_length=8, max_length=255)]
    withdrawn: bool = False
    # [[chapters]] tables, or the name of a chapters file (Audacity labels, HH:MM:SS lines, chapters JSON)
    chapters: list[Chapter] | Annotated[str, Field(min_length=1)] = []
    persons: list[Person] = []  # podcast:person on this episode (guests)
    tracks: list[Track] = []  # [[tracks]]: one file per speaker, mixed into the episode audio
    safeguarding: EpisodeSafeguarding = EpisodeSafeguarding()  # [[safeguarding.signoff]] passages a producer checked

    _check_text = field_validator("title", "description", "content_warning")(_no_control_chars)

    @field_validator("published")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("has no time zone")
        return value

    @model_validator(mode="before")
    @classmethod
    def _tracks_are_the_audio(cls, data: Any) -> Any:
        """With [[tracks]] and no ``audio``, the track files are the audio (mixed, not played in order)."""
        if isinstance(data, dict) and "audio" not in data and isinstance(data.get("tracks"), list):
            files = [t.get("file") for t in data["tracks"] if isinstance(t, dict)]
            if files and all(isinstance(f, str) for f in files):
                return {**data, "audio": files}
        return data

    @field_validator("tracks")
    @classmethod
    def _tracks_alone(cls, value: list[Track], info: ValidationInfo) -> list[Track]:
        audio = info.data.get("audio")
        if value and (audio if isinstance(audio, list) else [audio]) != [t.file for t in value]:
            raise ValueError("cannot be combined with audio: the tracks are mixed into the episode audio")
        return value

    @property
    def audio_files(self) -> list[str]:
        return [self.audio] if isinstance(self.audio, str) else list(self.audio)


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
