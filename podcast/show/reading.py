"""Reading a manifest: the TOML, its limits (size, depth, text), safety-key spelling, credentials,
and pydantic's validation turned into one clear error that names the file, the field and the fix."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from podcast.errors import EpisodeInvalid, PodcastError, ShowInvalid
from podcast.files import read_text
from podcast.show.manifest import EpisodeManifest, SafeguardingSettings, ShowManifest
from podcast.show.unknown_keys import lost_safety_key, suggestion, unknown_keys
from podcast.urls import URL_CREDENTIALS_FIX, key_with_credentials

log = logging.getLogger(__name__)


# How to fix each field when it is wrong: the second half of every error line.
FIELD_HINTS: dict[str, str] = {
    "title": 'write it as text in quotes, e.g. title = "Episode one"',
    "number": "write a whole number without quotes, e.g. number = 3",
    "season": "write a whole number without quotes, e.g. season = 1",
    "type": 'use one of the allowed words, e.g. type = "full"',
    "published": "write a date, time and time zone without quotes, e.g. published = 2026-11-20T09:00:00Z, "
    'or set [show] timezone = "Europe/London" in podcast.toml to write local times such as 2026-11-20T09:00:00',
    "timezone": 'use a time zone name from the IANA list, e.g. timezone = "Europe/London"',
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
    "redactions": 'write the path of the private list in quotes, e.g. redactions = "~/.config/survivor-voices/redactions.txt"',
    "audit_log": 'write a path relative to podcast.toml, e.g. audit_log = "safeguarding/audit.log"',
    "review_expires": 'write a lifetime such as "7d", "12h" or "30m"',
    "safeguarding.audio": 'use audio = "bleep" (a 1 kHz tone over listed names) or audio = "mute" (silence)',
    "acl": 'use acl = "public-read" where the store uses ACLs, or leave it out and grant public read with a bucket policy',
    "cloudfront_distribution_id": 'copy the distribution ID from the CloudFront console, e.g. "E2QWRUHAPOMQZL"',
    "start": 'write HH:MM:SS, MM:SS or seconds, e.g. start = "00:01:30"',
    "persons": 'write [[persons]] tables with name = "..." and role = "host" or "guest"',
    "medium": 'write medium = "podcast" (or music, video, film, audiobook, newsletter, blog)',
    "new_feed_url": "use the full address of the feed's new home, starting with https://",
    "max_items": "write a whole number of 1 or more, e.g. max_items = 300",
    "name": 'write the name as text in quotes, e.g. name = "Alex Example" (only names people agreed to publish)',
    "id3_version": "use 3 (ID3v2.3, read by every player) or 4 (ID3v2.4)",
    "chapters": 'use [[chapters]] tables with start and title, or name a file: chapters = "chapters.txt"',
    "tracks": 'remove the audio line and list one [[tracks]] per speaker, e.g. file = "host.wav" speaker = "Host"',
    "speaker": 'name the speaker as text, e.g. speaker = "Host"',
    "file": 'name the track file, e.g. file = "host.wav"',
    "transcript": 'name a transcript file next to episode.toml, e.g. transcript = "transcript.srt"',
    "auto": "write true or false without quotes",
    "artwork_alt": 'describe the artwork for people who cannot see it, e.g. artwork_alt = "A lighthouse at dusk"',
    "update_frequency": 'write update_frequency = { rrule = "FREQ=WEEKLY", text = "Weekly" }',
    "rrule": 'write an iCalendar RRULE, e.g. rrule = "FREQ=WEEKLY;BYDAY=TU" or "FREQ=MONTHLY"',
    "podroll": 'write podroll = [{ guid = "<the other show\'s podcast:guid>", url = "https://.../feed.xml" }]',
    "comments": "write comments = false when the show takes no public comments (or leave it out)",
    "block": "write true or false without quotes",
    "block_services": 'list service ids in lowercase, e.g. block_services = ["spotify"]',
    "alternates": 'list formats such as [[audio.alternates]] codec = "opus" bitrate_kbps = 24',
    "codec": 'use codec = "opus" or codec = "aac"',
    "notify": 'list "websub", "podcastindex", { websub = "https://hub..." } or { pubnotify = "https://..." }',
    "websub": "use the WebSub hub's full address, starting with https://",
    "pubnotify": "use the pubnotify endpoint's full address, starting with https://",
    "notify_timeout_s": "write seconds between 0.5 and 60, e.g. notify_timeout_s = 10",
    "model": 'name a folder holding a CTranslate2 Whisper model (model.bin), e.g. model = "models/whisper-base"',
}


# pydantic error kinds -> what the producer should have written.
_WANTED = {
    "string_type": "text in quotes",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false (without quotes)",
    "datetime_type": "a date and time",
    "list_type": "a list in [brackets]",
    "model_type": "a table",
    "dict_type": "a table",
}
_GIVEN = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "dict": "a table",
    "datetime": "a date",
    "date": "a date without time",
    "time": "a time",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    """``('chapters', 0, 'start')`` -> ``chapters[1].start``: counted from 1, the way a producer counts the
    ``[[chapters]]`` tables in the file; union branch tags like 'constrained-str' dropped.

    >>> _field_path(("audio", "constrained-str"))
    'audio'
    >>> _field_path(("chapters", 1, "title"))
    'chapters[2].title'
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        elif "-" in part or "[" in part or part in ("str", "int", "float", "bool", "list"):
            continue  # pydantic names the union member it tried; the producer never wrote that
        else:
            path += f".{part}" if path else part
    return path


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (field path, what is wrong), in a producer's words."""
    loc = _field_path(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return loc, "is missing"
    if kind in _WANTED:
        given = _GIVEN.get(type(error.get("input")).__name__, type(error.get("input")).__name__)
        return loc, f"must be {_WANTED[kind]}, not {given}"
    message = error["msg"].removeprefix("Value error, ")
    return loc, f"is wrong: {message[0].lower() + message[1:]}"


def _fail(exc_type: type[PodcastError], path: Path, exc: ValidationError) -> PodcastError:
    # A union field (audio = text or list) fails once per branch: report the branch that matches
    # what was written (a value problem) rather than "must be text".
    errors = sorted(exc.errors(), key=lambda error: error["type"] in _WANTED)
    # The branches not taken (chapters = tables, so not a file name) are not more problems.
    taken = [e for e in errors if not (e["type"] in _WANTED and _field_path(e["loc"]) == _field_path(e["loc"][:-1]))]
    errors = taken or errors
    loc, what = _describe(errors[0])
    leaf = re.sub(r"\[\d+\]", "", loc).rsplit(".", 1)[-1]
    fix = FIELD_HINTS.get(loc) or FIELD_HINTS.get(leaf, "see the manifest format in README.md")
    others = len({_field_path(error["loc"]) for error in errors} - {loc})
    more = f" (and {others} more problem{'s' * (others > 1)})" if others else ""
    return exc_type(f"field '{loc}' {what}{more}", path=path, fix=fix)


# Bounds on what a manifest may hold, so a lying or mistaken file costs bounded work: the whole file is
# read into memory, nested tables and lists are walked recursively, and notes end up in the feed (which
# apps download at every refresh) and in the MP3's tags.
MAX_MANIFEST_BYTES = 2_000_000
MAX_TOML_DEPTH = 16  # podcast.toml needs 3 levels ([show] owner = {...}); tomllib itself overflows near 450
MAX_NOTES_CHARS = 200_000  # description: about 30,000 words, far more than any show notes
MAX_NOTICE_CHARS = 4_000  # content_warning and support_notice: shown first in every episode's notes
TEXT_LIMITS = {
    "description": MAX_NOTES_CHARS,
    "content_warning": MAX_NOTICE_CHARS,
    "show.description": MAX_NOTES_CHARS,
    "show.support_notice": MAX_NOTICE_CHARS,
}


def _depth(data: object) -> int:
    """How deeply tables and lists nest in ``data`` (walked without recursion).

    >>> _depth({"a": [1, {"b": 2}]}), _depth("text")
    (3, 0)
    """
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def read_toml(path: Path, exc_type: type[PodcastError]) -> dict[str, Any]:
    """Parse a TOML file, or raise ``exc_type`` naming the line that is wrong.

    The file must be a regular file of at most MAX_MANIFEST_BYTES, nested at most MAX_TOML_DEPTH
    levels; a UTF-8 byte-order mark at the start is dropped.
    """
    text = read_text(
        path, exc_type, missing_fix="create it (see `podcast init` and `podcast new`)", max_bytes=MAX_MANIFEST_BYTES
    )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise exc_type(f"is not valid TOML: {exc}", path=path, fix=_toml_fix(text)) from None
    except RecursionError:
        data = None
    if data is None or _depth(data) > MAX_TOML_DEPTH:
        raise exc_type(
            f"nests tables or lists more than {MAX_TOML_DEPTH} levels deep",
            path=path,
            fix="a manifest needs only a few levels; check that this is the right file and remove the extra brackets",
        )
    return data


_TIME_WITHOUT_SECONDS = re.compile(r"(?m)^\s*(\w+)\s*=\s*(\d{4}-\d\d-\d\d[T ]\d\d:\d\d)\s*(?:#.*)?$")


def _toml_fix(text: str) -> str:
    """How to fix a TOML syntax error; a time written without seconds (TOML needs them) gets its own hint.

    >>> _toml_fix("published = 2026-12-01T09:00")
    'TOML times need seconds: write published = 2026-12-01T09:00:00'
    """
    match = _TIME_WITHOUT_SECONDS.search(text)
    if match:
        return f"TOML times need seconds: write {match.group(1)} = {match.group(2)}:00"
    return "check the quotes, brackets and = signs on that line"


def _check_text_sizes(data: dict[str, Any], path: Path, exc_type: type[PodcastError]) -> None:
    """Refuse notes so long that every app refreshing the feed would download them again and again."""
    for name, limit in TEXT_LIMITS.items():
        section, _, key = name.rpartition(".")
        table = data.get(section) if section else data
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, str) and len(value) > limit:
            raise exc_type(
                f"field '{name}' is {len(value):,} characters long, more than the {limit:,} allowed",
                path=path,
                fix="shorten it and put the rest on a web page the notes link to",
            )


# Keys whose loss silently weakens safeguarding: misspelt or misplaced, they are errors, not warnings.
# The [safeguarding] keys are read from the model, so a key added there is strict from the start.
EPISODE_SAFETY_KEYS = ("content_warning", "published", "withdrawn")
SHOW_SAFETY_KEYS = ("safeguarding", *(f"safeguarding.{name}" for name in SafeguardingSettings.model_fields))
SAFETY_KEY_FIX = (
    "did you mean '{wanted}'? A safety key that is misspelt or in the wrong table is ignored, and publishing "
    "would go ahead without it; correct that line"
)


def _check_unknown(
    data: dict[str, Any], model: type[BaseModel], path: Path, exc_type: type[PodcastError], safety_keys: tuple[str, ...]
) -> list[str]:
    """Refuse an unknown key that stands for a safety key; return the warnings for the others."""
    unknown = list(unknown_keys(data, model))
    for found in unknown:
        wanted = lost_safety_key(found, safety_keys)
        if wanted is not None:
            raise exc_type(f"unknown key '{found.key}'", path=path, fix=SAFETY_KEY_FIX.format(wanted=wanted))
    warnings = []
    for found in unknown:
        near = suggestion(found)
        hint = f"— did you mean '{near}'?" if near else "(a typo?)"
        warnings.append(f"{path}: unknown key '{found.key}' is ignored {hint}")
    return warnings


# Keys that hold secrets. Credentials come from the AWS credential chain, never from a file in the show
# folder: the show folder is shared, copied and committed to git, so a key written there leaks.
CREDENTIAL_KEY = re.compile(
    r"(^|_)(secret|password|passwd|token|credentials?|access_key|access_key_id|secret_access_key|api_key|private_key)$",
    re.IGNORECASE,
)
CREDENTIAL_FIX = (
    "delete it from the file and rotate that key (it may already have leaked); give credentials through the "
    "AWS credential chain instead: the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, "
    "a profile in ~/.aws/credentials (AWS_PROFILE) or an IAM role"
)


def _credential_key(data: dict[str, Any], prefix: str = "") -> str | None:
    """The dotted name of the first key that looks like a credential (the value is never looked at or shown).

    >>> _credential_key({"publish": {"target": "s3://b", "aws_secret_access_key": "x"}})
    'publish.aws_secret_access_key'
    >>> _credential_key({"show": {"title": "Tokens of hope"}}) is None
    True
    """
    for key, value in data.items():
        name = f"{prefix}{key}"
        if CREDENTIAL_KEY.search(str(key)):
            return name
        if isinstance(value, dict):
            found = _credential_key(value, f"{name}.")
            if found:
                return found
    return None


def _refuse_credentials(data: dict[str, Any], path: Path, exc_type: type[PodcastError]) -> None:
    """Refuse a manifest holding credentials, naming the key but never echoing its value."""
    key = _credential_key(data)
    if key:
        raise exc_type(
            f"'{key}' looks like a credential; never write credentials in {path.name}",
            path=path,
            fix=CREDENTIAL_FIX,
        )


def _refuse_url_credentials(data: dict[str, Any], path: Path, exc_type: type[PodcastError]) -> None:
    """Refuse a manifest with ``user:password@`` in any address, naming the key, never the address."""
    key = key_with_credentials(data)
    if key:
        raise exc_type(
            f"'{key}' holds a user name or password in a web address (user:password@host)",
            path=path,
            fix=URL_CREDENTIALS_FIX,
        )


_Manifest = TypeVar("_Manifest", bound=BaseModel)


def _load(
    path: Path,
    model: type[_Manifest],
    exc_type: type[PodcastError],
    safety_keys: tuple[str, ...],
    context: dict[str, Any] | None = None,
) -> _Manifest:
    data = read_toml(path, exc_type)
    _refuse_credentials(data, path, exc_type)
    _refuse_url_credentials(data, path, exc_type)
    _check_text_sizes(data, path, exc_type)
    warnings = _check_unknown(data, model, path, exc_type, safety_keys)  # before validation: `publshed` is a slip
    try:
        manifest = model.model_validate(data, context=context)
    except ValidationError as exc:
        raise _fail(exc_type, path, exc) from None
    for warning in warnings:
        log.warning("%s", warning)
    return manifest


def load_show_manifest(path: Path) -> ShowManifest:
    return _load(path, ShowManifest, ShowInvalid, SHOW_SAFETY_KEYS)


def load_episode_manifest(path: Path, *, timezone: str | None = None) -> EpisodeManifest:
    """Read episode.toml; ``timezone`` ([show] timezone) places a ``published`` time written without an offset."""
    return _load(path, EpisodeManifest, EpisodeInvalid, EPISODE_SAFETY_KEYS, context={"timezone": timezone})
