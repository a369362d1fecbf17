"""The state record, ``.podcast/state.json``: what a target holds and what its feed lists.

Publish writes it after the feed; takedown rewrites it without the withdrawn episode;
status reads it; the publish gate scans it before anything is uploaded. It has two tables:

* ``objects``: every object the target should hold, ``key -> {sha256, size}``, so a
  republish skips what is already online and deletes what nothing names any more;
* ``episodes``: ``slug -> record`` for every episode in the live feed, so an episode not
  rebuilt now keeps its media, artwork, chapters and transcripts in the feed;

and, once the target was published with a redaction list, ``redactions``: the list's keyed
fingerprint and how many names it has (never a name), so a later publish from a terminal
without the list is refused (:mod:`podcast.publishing.listcheck`).

:func:`encode_state` is the one encoder of the bytes stored, and :func:`decode_state`
reads them back, forgiving a record that is cut off or hand-edited out of shape.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from podcast.publishing.target import STATE_KEY

if TYPE_CHECKING:
    from podcast.publishing.target import Target

log = logging.getLogger(__name__)


class ObjectRecord(TypedDict):
    """One object the target holds: its content hash and size (a content-hashed key of that size is complete)."""

    sha256: str
    size: int


class TranscriptRecord(TypedDict):
    """One ``<podcast:transcript>`` of an episode."""

    key: str
    type: str
    language: str
    rel: str | None


class AlternateRecord(TypedDict):
    """One ``<podcast:alternateEnclosure>`` of an episode (an Opus or AAC copy of its programme)."""

    key: str
    type: str  # MIME type: audio/ogg, audio/mp4
    codecs: str  # RFC 6381: opus, mp4a.40.2
    bitrate_kbps: int
    size: int
    sha256: str
    name: str  # e.g. opus-24k-mono


class EpisodeRecord(TypedDict, total=False):
    """What the feed needs of an episode that is not rebuilt now; ``*_key``/``*_keys`` fields name its objects.

    Not total: records written before chapters or transcripts existed lack those fields,
    and a record is carried forward as it was stored, unknown fields included.
    """

    guid: str
    media_key: str
    size: int
    sha256: str
    duration_s: float
    artwork_key: str | None
    chapters_key: str
    chapters: list[dict[str, Any]]  # podcast.build.chapters.marks_to_records
    chapter_image_keys: list[str]
    transcripts: list[TranscriptRecord]
    transcript_keys: list[str]
    alternates: list[AlternateRecord]  # Opus/AAC copies ([[audio.alternates]]), for feed and site
    alternate_keys: list[str]


class RedactionRecord(TypedDict, total=False):
    """The redaction list a target was last published with: a keyed fingerprint and the number of names.

    ``key`` (hex) is the target's own fingerprint key, made at its first publish with a list, so every
    producer's machine computes the same fingerprint for the same list (a machine's own key, which
    build/ cache keys use, differs between machines).
    """

    fingerprint: str
    names: int
    key: str


@dataclass
class StateRecord:
    """The parsed state record; empty for a target never published to.

    ``redactions`` is None for a target never published with a list (and for records
    written before the field existed, which stay readable).
    """

    objects: dict[str, ObjectRecord] = field(default_factory=dict)
    episodes: dict[str, EpisodeRecord] = field(default_factory=dict)
    redactions: RedactionRecord | None = None


def encode_state(state: StateRecord) -> bytes:
    """The bytes stored as ``.podcast/state.json``: sorted keys, so the same state is the same bytes.

    A publish compares them with the stored bytes to skip a write that changes nothing.

    >>> print(encode_state(StateRecord({"media/a-1.mp3": {"sha256": "ab", "size": 3}}, {})).decode(), end="")
    {
      "episodes": {},
      "objects": {
        "media/a-1.mp3": {
          "sha256": "ab",
          "size": 3
        }
      }
    }
    """
    document: dict[str, Any] = {"objects": state.objects, "episodes": state.episodes}
    if state.redactions is not None:
        document["redactions"] = state.redactions
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def decode_state(raw: bytes | None) -> StateRecord:
    """The state record from its bytes; absent, unreadable or of the wrong shape reads as empty (with a warning).

    >>> decode_state(b'{"objects": {}, "episodes": {"a": {"guid": "g"}}}')
    StateRecord(objects={}, episodes={'a': {'guid': 'g'}}, redactions=None)
    >>> decode_state(None) == decode_state(b'{"episodes": []') == StateRecord()
    True
    >>> decode_state(b'{"redactions": {"fingerprint": "ab", "names": 2}}').redactions
    {'fingerprint': 'ab', 'names': 2}
    """
    if not raw:
        return StateRecord()
    try:
        state = json.loads(raw)
        parsed = {"objects": dict(state.get("objects", {})), "episodes": dict(state.get("episodes", {}))}
        if not all(isinstance(record, dict) for part in parsed.values() for record in part.values()):
            raise ValueError("a record is not a table")
        return StateRecord(objects=parsed["objects"], episodes=parsed["episodes"], redactions=_redaction_record(state))
    except (ValueError, TypeError, AttributeError):  # not JSON, or JSON of the wrong shape (hand-edited, half-synced)
        log.warning("%s is unreadable; treating the target as empty", STATE_KEY)
        return StateRecord()


def _redaction_record(state: dict[str, Any]) -> RedactionRecord | None:
    """The ``redactions`` table, if present and of the right shape.

    A hand-edited, malformed table still says a list was used: it reads as an unknown list
    (empty fingerprint) rather than as none, so a publish without a list stays refused.
    """
    if "redactions" not in state:
        return None
    found = state["redactions"]
    if isinstance(found, dict) and isinstance(found.get("fingerprint"), str) and isinstance(found.get("names"), int):
        record: RedactionRecord = {"fingerprint": found["fingerprint"], "names": found["names"]}
        if isinstance(found.get("key"), str) and _is_hex(found["key"]):
            record["key"] = found["key"]
        return record
    log.warning("%s: its 'redactions' record is damaged; treating it as an unknown list", STATE_KEY)
    return {"fingerprint": "", "names": 0}


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return bool(text)


def encode_episodes_for_scan(episodes: dict[str, EpisodeRecord]) -> bytes:
    """The episode table as the publish gate scans it, before the state record exists.

    The object table holds only object names, which the gate scans as names already; the
    episode table is scanned on its own so a hit's place reads ``<slug>.<field>``.

    >>> encode_episodes_for_scan({"a": {"guid": "g", "size": 3}})
    b'{"a": {"guid": "g", "size": 3}}'
    """
    return json.dumps(episodes, sort_keys=True).encode()


def read_state(target: Target) -> StateRecord:
    """The target's state record (empty if it has none)."""
    return decode_state(target.get_bytes(STATE_KEY))


def read_state_versioned(target: Target) -> tuple[StateRecord, bytes | None, str | None]:
    """The state record parsed, as stored, and its version tag (for the conditional write)."""
    raw, version = target.get_versioned(STATE_KEY)
    return decode_state(raw), raw, version
