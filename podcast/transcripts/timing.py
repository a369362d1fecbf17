"""Cue timing: check a transcript against its audio, and reshape a transcriber's cues.

:func:`check_timing` refuses negative, reversed and overlapping cues and cues that run past
the end of the audio: captions out of step with testimony are worse than none. The other
functions tidy what a transcriber (or a word-level file) produces: overlaps between merged
speaker tracks, stray sentence fragments, one-word cues. All pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from podcast.errors import TranscriptInvalid
from podcast.transcripts.model import (
    MAX_LINE_CHARS,
    MAX_LINES,
    Cue,
    Transcript,
    Word,
    file_line,
    format_timestamp,
    to_ms,
)

END_TOLERANCE_MS = 500  # encoders pad the end of an MP3; a cue may end this far past the measured duration


def check_timing(transcript: Transcript, path: Path | str, *, duration_s: float | None = None) -> None:
    """Refuse cue times that cannot be right: negative, reversed, overlapping, or after the audio ends."""
    if not transcript.timed:
        return
    previous: Cue | None = None
    limit = to_ms(duration_s) + END_TOLERANCE_MS if duration_s else None
    for number, cue in enumerate(transcript.cues, start=1):
        where = file_line(path, cue.line)
        label = f"cue {number} ({format_timestamp(max(cue.start_ms, 0))})"
        if cue.start_ms < 0 or cue.end_ms < 0:
            raise TranscriptInvalid(f"{label} has a negative time", path=where, fix="times start at 0 with the audio")
        if cue.end_ms < cue.start_ms:
            raise TranscriptInvalid(
                f"{label} ends at {format_timestamp(cue.end_ms)}, before it starts",
                path=where,
                fix="swap or correct the two times",
            )
        if previous is not None and cue.start_ms < previous.end_ms:
            raise TranscriptInvalid(
                f"{label} starts before the previous cue ends ({format_timestamp(previous.end_ms)})",
                path=where,
                fix="put cues in time order and make each end before the next starts",
            )
        if limit is not None and cue.end_ms > limit:
            raise TranscriptInvalid(
                f"{label} ends at {format_timestamp(cue.end_ms)}, after the audio ends ({format_timestamp(to_ms(duration_s or 0))})",
                path=where,
                fix="check the transcript belongs to this episode and its times include any intro",
            )
        previous = cue


def resolve_overlaps(cues: Iterable[Cue]) -> list[Cue]:
    """Cues in time order with no overlap (for merged per-speaker transcriptions, where people talk over each other).

    An earlier cue is cut short where the next one starts; if that would leave it empty,
    the next one starts where the earlier one ends instead.

    >>> [(c.start_ms, c.end_ms) for c in resolve_overlaps([Cue(0, 2000, "a"), Cue(1500, 3000, "b")])]
    [(0, 1500), (1500, 3000)]
    """
    ordered: list[Cue] = []
    for cue in sorted(cues, key=lambda c: (c.start_ms, c.end_ms)):
        if ordered and cue.start_ms < ordered[-1].end_ms:
            last = ordered[-1]
            if cue.start_ms > last.start_ms:
                ordered[-1] = replace(last, end_ms=cue.start_ms)
            else:
                cue = replace(cue, start_ms=last.end_ms, end_ms=max(cue.end_ms, last.end_ms))
        ordered.append(cue)
    return ordered


def join_fragments(cues: Iterable[Cue], *, max_words: int = 3, max_gap_ms: int = 500) -> list[Cue]:
    """Join a transcriber's sentence fragments to their neighbour, so no caption shows two stray words.

    A cue of at most ``max_words`` words joins the one before it when the same person is
    speaking, the pause is short and the earlier cue does not end a sentence.

    >>> [c.text for c in join_fragments([Cue(0, 900, "we keep children", "A"), Cue(900, 1500, "safe online.", "A"),
    ...                                  Cue(1600, 2000, "Yes.", "A")])]
    ['we keep children safe online.', 'Yes.']
    """
    joined: list[Cue] = []
    for cue in cues:
        if joined:
            last = joined[-1]
            short = min(len(cue.text.split()), len(last.text.split())) <= max_words
            if (
                short
                and cue.speaker == last.speaker
                and cue.start_ms - last.end_ms <= max_gap_ms
                and not last.text.endswith((".", "?", "!"))
            ):
                joined[-1] = replace(
                    last,
                    end_ms=max(last.end_ms, cue.end_ms),
                    text=f"{last.text} {cue.text}",
                    words=last.words + cue.words if last.words and cue.words else (),
                )
                continue
        joined.append(cue)
    return joined


def regroup_words(cues: Sequence[Cue], *, max_chars: int = MAX_LINE_CHARS * MAX_LINES) -> list[Cue]:
    """Join one-word cues into caption-sized cues per speaker, keeping each word's time.

    A cue ends at a change of speaker, after a sentence end, at a pause of a second or more,
    or when it would no longer fit two caption lines.
    """
    grouped: list[Cue] = []
    current: list[Cue] = []

    def flush() -> None:
        if current:
            words = tuple(Word(c.start_ms, c.end_ms, c.text) for c in current)
            grouped.append(
                Cue(
                    current[0].start_ms,
                    current[-1].end_ms,
                    " ".join(w.text for w in words),
                    speaker=current[0].speaker,
                    words=words,
                    line=current[0].line,
                )
            )
            current.clear()

    for cue in cues:
        if not cue.text:
            continue
        if current:
            length = sum(len(c.text) + 1 for c in current) + len(cue.text)
            if (
                cue.speaker != current[-1].speaker
                or length > max_chars
                or cue.start_ms - current[-1].end_ms >= 1000
                or current[-1].text.endswith((".", "?", "!"))
            ):
                flush()
        current.append(cue)
    flush()
    return grouped
