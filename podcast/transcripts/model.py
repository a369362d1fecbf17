"""The transcript model: what every reader produces and every renderer consumes.

A :class:`Transcript` is a tuple of :class:`Cue` objects with times in whole milliseconds,
so every round trip between formats is exact; a cue may name its speaker and, when a
transcriber produced them, carry word timings. The constants here are shared by the
readers, the timing checks, the renderers and the build stage (``podcast/build/transcripts.py``):
the caption line limits, the cache's format version and record file, and the published outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Bump when rendering changes so every cached transcript is written again.
TRANSCRIPT_FORMAT = 3  # 3: on the published file's timeline (cut silence); 2: cues split at pauses, checked
MAX_LINE_CHARS = 42
MAX_LINES = 2
RECORD_FILE = "transcripts.json"

# (suffix, MIME type as listed in <podcast:transcript>, timed?)
OUTPUTS: tuple[tuple[str, str, bool], ...] = (
    (".vtt", "text/vtt", True),
    (".srt", "application/x-subrip", True),
    (".json", "application/json", True),
    (".html", "text/html", False),
    (".txt", "text/plain", False),
)


@dataclass(frozen=True)
class Word:
    """One word with its time, as a transcriber reports it (kept for the JSON transcript)."""

    start_ms: int
    end_ms: int
    text: str
    # How sure the model was (0-1), when it just heard it; never written out, so a read transcript has None.
    probability: float | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Cue:
    """A stretch of speech: times in milliseconds, text on one line, and who said it."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None
    words: tuple[Word, ...] = ()
    line: int | None = field(default=None, compare=False)  # where it came from, for error messages


@dataclass(frozen=True)
class Transcript:
    """An episode's transcript. ``timed`` is False for plain text and scripts (no cue times)."""

    cues: tuple[Cue, ...]
    timed: bool = True

    @property
    def speakers(self) -> list[str]:
        """Speakers in order of first appearance."""
        return list(dict.fromkeys(cue.speaker for cue in self.cues if cue.speaker))


@dataclass(frozen=True)
class TranscriptFile:
    """One rendered transcript on disk and how the feed lists it."""

    path: Path
    type: str
    language: str
    rel: str | None


@dataclass(frozen=True)
class Caption:
    """One displayed caption: at most ``MAX_LINES`` lines of at most ``MAX_LINE_CHARS`` characters."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None


def format_timestamp(ms: int, *, separator: str = ".") -> str:
    """``HH:MM:SS.mmm`` (WebVTT) or, with ``separator=","``, SRT's ``HH:MM:SS,mmm``.

    >>> format_timestamp(3723004)
    '01:02:03.004'
    >>> format_timestamp(1250, separator=",")
    '00:00:01,250'
    """
    return f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}{separator}{ms % 1000:03d}"


def to_ms(seconds: float) -> int:
    """Seconds to whole milliseconds, rounding (0.1 + 0.2 must be 300 ms, not 299).

    >>> to_ms(0.30000000000000004), to_ms(1.2345)
    (300, 1234)
    """
    return int(round(seconds * 1000))


def file_line(path: Path | str, line: int | None) -> str:
    """Where an error is, for messages: ``file:line`` when the line is known.

    >>> file_line("t.vtt", 3), file_line("t.vtt", None)
    ('t.vtt:3', 't.vtt')
    """
    return f"{path}:{line}" if line else str(path)
