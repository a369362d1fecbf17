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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


class UpdateFrequency(_Section):
    """podcast:updateFrequency: when listeners can expect new episodes (an iCalendar RRULE, RFC 5545)."""

    rrule: Annotated[str, Field(min_length=1, max_length=500)]
    text: Annotated[str, Field(min_length=1, max_length=128)]  # what apps show, e.g. "Every other Tuesday"
    complete: bool = False  # no more episodes are planned
    dtstart: datetime | None = None

    _check_text = field_validator("rrule", "text")(_no_control_chars)

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str) -> str:
        from dateutil.rrule import rrulestr

        try:
            rrulestr(value, dtstart=datetime(2026, 1, 1))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"is not an iCalendar RRULE ({exc})") from None
        return value


GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class PodrollShow(_Section):
    """One show recommended in podcast:podroll, named by its podcast:guid (and, for apps without an index, its feed)."""

    guid: Annotated[str, Field(pattern=GUID_PATTERN)]
    url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    title: Annotated[str, Field(min_length=1, max_length=128)] | None = None


# podcast:block id values (the Podcasting 2.0 service slugs a show may block one by one).
BlockService = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]

# podcast:medium values from the Podcasting 2.0 namespace (list variants left out).
Medium = Literal["podcast", "music", "video", "film", "audiobook", "newsletter", "blog"]


def _known_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone name") from None
    return value


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
    block: bool = False  # itunes:block and podcast:block: keep the show out of Apple's and every other directory
    block_services: list[BlockService] = []  # podcast:block id="...": keep it out of these services only
    artwork_alt: Annotated[str, Field(min_length=1, max_length=500)] | None = None  # podcast:image alt text
    update_frequency: UpdateFrequency | None = None  # podcast:updateFrequency
    comments: bool = True  # false: every episode says podcast:socialInteract protocol="disabled"
    podroll: list[PodrollShow] = []  # podcast:podroll: other shows this one recommends
    complete: bool = False  # itunes:complete: no more episodes will be published
    # An IANA zone ("Europe/London"): episode times written without an offset are local times in it.
    timezone: str | None = None

    _check_title = field_validator("title", "author", "description", "support_notice", "copyright", "artwork_alt")(
        _no_control_chars
    )
    _check_zone = field_validator("timezone")(_known_zone)


class Alternate(_Section):
    """One ``[[audio.alternates]]`` format: encoded from the same normalised programme as the MP3."""

    codec: Literal["opus", "aac"]
    bitrate_kbps: Annotated[int, Field(ge=12, le=320)]
    channels: Literal[1, 2] | None = None  # default: [audio] channels


class AudioSettings(_Section):
    loudness_lufs: Annotated[float, Field(ge=-30.0, le=-10.0)] = -16.0
    true_peak_dbtp: Annotated[float, Field(ge=-9.0, le=0.0)] = -1.0
    channels: Literal[1, 2] = 1
    bitrate_kbps: Literal[48, 64, 96, 112, 128, 160, 192, 256, 320] = 96
    sample_rate_hz: Literal[22050, 24000, 32000, 44100, 48000] = 44100
    leveler: bool = False  # ride speakers' levels (dynaudnorm) before normalising; see README "Loudness"
    crossfade_ms: Annotated[int, Field(ge=0, le=10000)] = 0  # between the parts of an audio list
    max_silence_s: Annotated[float, Field(ge=0.0, le=60.0)] = 2.0  # silence kept at each end, in seconds
    music_offset_lu: Annotated[float, Field(ge=-20.0, le=0.0)] = -3.0  # music parts this far below the speech
    alternates: list[Alternate] = []  # podcast:alternateEnclosure formats besides the MP3 (Opus, AAC)

    @field_validator("alternates")
    @classmethod
    def _distinct(cls, value: list[Alternate]) -> list[Alternate]:
        seen = {(a.codec, a.bitrate_kbps, a.channels) for a in value}
        if len(seen) != len(value):
            raise ValueError("lists the same format twice")
        return value


NotifyName = Literal["websub", "podcastindex"]
WEBSUB_HUB = "https://pubsubhubbub.appspot.com/"  # "websub": Google's public hub, which most apps watch
PUBNOTIFY_URL = "https://api.podcastindex.org/api/1.0/hub/pubnotify"  # "podcastindex": needs no key


class NotifyEndpoint(_Section):
    """One notification endpoint written out: a WebSub hub or a Podcast Index ``pubnotify`` address."""

    websub: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    pubnotify: Annotated[str, Field(pattern=URL_PATTERN)] | None = None

    @model_validator(mode="after")
    def _one(self) -> NotifyEndpoint:
        if (self.websub is None) == (self.pubnotify is None):
            raise ValueError('needs exactly one of websub = "https://..." or pubnotify = "https://..."')
        return self


class PublishSection(_Section):
    target: Annotated[str, Field(min_length=1)] = "feed"
    base_url: Annotated[str, Field(pattern=URL_PATTERN)]
    endpoint_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None
    region: str | None = None
    acl: Literal["public-read", "private"] | None = None  # S3: canned ACL for public objects; None = bucket policy
    cloudfront_distribution_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{8,20}$")] | None = None
    new_feed_url: Annotated[str, Field(pattern=URL_PATTERN)] | None = None  # itunes:new-feed-url when moving hosts
    # Tell apps at once after a publish or takedown that changed the feed (see podcast/publishing/notify.py):
    # "websub" / { websub = URL } for WebSub hubs, "podcastindex" / { pubnotify = URL } for the Podcast Index.
    notify: list[NotifyName | NotifyEndpoint] = []
    notify_timeout_s: Annotated[float, Field(ge=0.5, le=60.0)] = 10.0  # per request

    def notify_endpoints(self) -> list[tuple[str, str]]:
        """``[publish] notify`` as (kind, url) pairs, kind "websub" or "pubnotify", in the file's order, once each."""
        pairs: list[tuple[str, str]] = []
        for entry in self.notify:
            if entry == "websub":
                pair = ("websub", WEBSUB_HUB)
            elif entry == "podcastindex":
                pair = ("pubnotify", PUBNOTIFY_URL)
            elif isinstance(entry, NotifyEndpoint) and entry.websub:
                pair = ("websub", entry.websub)
            elif isinstance(entry, NotifyEndpoint) and entry.pubnotify:
                pair = ("pubnotify", entry.pubnotify)
            else:
                continue
            if pair not in pairs:
                pairs.append(pair)
        return pairs

    def websub_hubs(self) -> list[str]:
        """The WebSub hubs the feed declares as ``<atom:link rel="hub">``."""
        return [url for kind, url in self.notify_endpoints() if kind == "websub"]


class FeedSettings(_Section):
    max_items: Annotated[int, Field(ge=1)] | None = None  # list only the newest N episodes


class SafeguardingSettings(_Section):
    """[safeguarding]: see podcast/show/redactions.py, podcast/safeguarding/ and podcast/publishing/takedown.py."""

    redactions: Annotated[str, Field(min_length=1)] | None = None  # path to the private list, outside the show folder
    require_redactions: bool = False  # refuse to work without a list (e.g. a cron job missing PODCAST_REDACTIONS)
    audio: Literal["bleep", "mute"] = "bleep"  # what a listed name sounds like where word timestamps exist
    audit_log: Annotated[str, Field(min_length=1)] = "safeguarding/audit.log"  # relative to podcast.toml
    review_expires: Annotated[str, Field(pattern=r"^\d+[smhd]$")] = "7d"  # default lifetime of review links


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
    block: bool = False  # itunes:block: keep this episode out of Apple Podcasts (the rest of the feed stays)
    artwork_alt: Annotated[str, Field(min_length=1, max_length=500)] | None = None  # podcast:image alt of its artwork
    # [[chapters]] tables, or the name of a chapters file (Audacity labels, HH:MM:SS lines, chapters JSON)
    chapters: list[Chapter] | Annotated[str, Field(min_length=1)] = []
    persons: list[Person] = []  # podcast:person on this episode (guests)
    tracks: list[Track] = []  # [[tracks]]: one file per speaker, mixed into the episode audio
    music: list[Annotated[str, Field(min_length=1)]] = []  # files of `audio` that are music (intro, outro, beds)
    safeguarding: EpisodeSafeguarding = EpisodeSafeguarding()  # [[safeguarding.signoff]] passages a producer checked

    _check_text = field_validator("title", "description", "content_warning", "artwork_alt")(_no_control_chars)

    @field_validator("published")
    @classmethod
    def _aware(cls, value: datetime, info: ValidationInfo) -> datetime:
        """A time without an offset is local time in the show's [show] timezone; without one, refused."""
        if value.tzinfo is None:
            zone = (info.context or {}).get("timezone")
            if zone is None:
                raise ValueError('has no time zone (add Z or an offset, or set [show] timezone = "Europe/London")')
            return value.replace(tzinfo=ZoneInfo(zone))
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

    @field_validator("music")
    @classmethod
    def _music_is_audio(cls, value: list[str], info: ValidationInfo) -> list[str]:
        audio = info.data.get("audio")
        files = audio if isinstance(audio, list) else [audio]
        unknown = [name for name in value if name not in files]
        if unknown:
            raise ValueError(
                f"names '{unknown[0]}', which is not in the audio list: list the music files of audio = [...] "
                '(e.g. music = ["intro.wav", "outro.wav"])'
            )
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
