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
    Caption,
    Cue,
    Transcript,
    Word,
    file_line,
    format_timestamp,
    to_ms,
)

END_TOLERANCE_MS = 500  # encoders pad the end of an MP3; a cue may end this far past the measured duration
PAUSE_SPLIT_MS = 700  # a pause this long inside a transcriber's segment ends the caption (per-speaker tracks)
MIN_CUE_MS = 300  # a cue shorter than this cannot be read; a zero-length one is stretched or joined


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
        if cue.end_ms == cue.start_ms:
            raise TranscriptInvalid(
                f"{label} has no length (it ends when it starts), so no one can read it",
                path=where,
                fix="give the cue an end time after its start",
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


def split_at_pauses(cues: Iterable[Cue], *, min_gap_ms: int = PAUSE_SPLIT_MS) -> list[Cue]:
    """Split each cue wherever its words pause for ``min_gap_ms`` or more.

    A transcriber with voice-activity filtering joins speech across long silences: on one
    speaker's track of an interview, the host's words at 6 s and at 28 s can come back as one
    segment spanning the guest's answer. Split at the pauses, each caption covers only the
    words it shows, so the tracks merge in time order. Cues without word timings are kept.

    >>> from podcast.transcripts.model import Word
    >>> cue = Cue(6100, 28500, "Hello there. And welcome back.", "Host",
    ...           (Word(6100, 6500, "Hello"), Word(6500, 7000, "there."), Word(27000, 27400, "And"),
    ...            Word(27400, 27800, "welcome"), Word(27800, 28500, "back.")))
    >>> [(c.start_ms, c.end_ms, c.text) for c in split_at_pauses([cue])]
    [(6100, 7000, 'Hello there.'), (27000, 28500, 'And welcome back.')]
    """
    out: list[Cue] = []
    for cue in cues:
        if len(cue.words) < 2:
            out.append(cue)
            continue
        groups: list[list[Word]] = [[cue.words[0]]]
        for word in cue.words[1:]:
            if word.start_ms - groups[-1][-1].end_ms >= min_gap_ms:
                groups.append([])
            groups[-1].append(word)
        if len(groups) == 1:
            out.append(cue)
            continue
        for index, group in enumerate(groups):
            start = cue.start_ms if index == 0 else group[0].start_ms
            end = cue.end_ms if index == len(groups) - 1 else group[-1].end_ms
            out.append(
                replace(
                    cue,
                    start_ms=min(start, group[0].start_ms),
                    end_ms=max(end, group[-1].end_ms),
                    text=" ".join(w.text for w in group),
                    words=tuple(group),
                )
            )
    return out


def fix_short_cues(cues: Sequence[Cue], *, min_ms: int = MIN_CUE_MS) -> list[Cue]:
    """Cues in order with no zero-length one: a short cue is stretched into the gap after it, and one
    that has no room is joined to the cue before it (same text, nothing lost).

    >>> cues = [Cue(0, 1000, "a"), Cue(1000, 1000, "b"), Cue(1000, 3000, "c"), Cue(5000, 5000, "d")]
    >>> [(c.start_ms, c.end_ms, c.text) for c in fix_short_cues(cues)]
    [(0, 1000, 'a b'), (1000, 3000, 'c'), (5000, 5300, 'd')]
    """
    out: list[Cue] = []
    for index, cue in enumerate(cues):
        if cue.end_ms - cue.start_ms >= min_ms:
            out.append(cue)
            continue
        room = cues[index + 1].start_ms if index + 1 < len(cues) else cue.start_ms + min_ms
        end = min(max(cue.end_ms, cue.start_ms + min_ms), room)
        if end > cue.start_ms:
            out.append(replace(cue, end_ms=end))
        elif out:
            last = out[-1]
            out[-1] = replace(last, text=f"{last.text} {cue.text}", words=last.words + cue.words if last.words else ())
        else:
            out.append(replace(cue, end_ms=cue.start_ms + min_ms))
    return out


def caption_problems(captions: Sequence[Caption], *, width: int = MAX_LINE_CHARS, lines: int = MAX_LINES) -> list[str]:
    """What is wrong with captions as a listener's app would show them: out of time order, overlapping,
    zero length, more than ``lines`` lines, or a line longer than ``width`` characters. [] when they pass.

    The same checks run on supplied and on generated transcripts, on what is published.

    >>> from podcast.transcripts.model import Caption
    >>> caption_problems([Caption(0, 2000, ("Hello.",), None), Caption(1500, 1500, ("x" * 43,), None)])
    ['caption 2 (00:00:01.500) starts before the previous one ends (00:00:02.000)', 'caption 2 (00:00:01.500) has no length', 'caption 2 (00:00:01.500) has a line of 43 characters (at most 42)']
    """
    problems: list[str] = []
    previous: Caption | None = None
    for number, caption in enumerate(captions, start=1):
        label = f"caption {number} ({format_timestamp(max(caption.start_ms, 0))})"
        if previous is not None and caption.start_ms < previous.start_ms:
            problems.append(f"{label} is out of time order")
        elif previous is not None and caption.start_ms < previous.end_ms:
            problems.append(f"{label} starts before the previous one ends ({format_timestamp(previous.end_ms)})")
        if caption.end_ms <= caption.start_ms:
            problems.append(f"{label} has no length")
        if len(caption.lines) > lines:
            problems.append(f"{label} has {len(caption.lines)} lines (at most {lines})")
        longest = max((len(line) for line in caption.lines), default=0)
        if longest > width:
            problems.append(f"{label} has a line of {longest} characters (at most {width})")
        previous = caption
    return problems


def tidy_generated(transcript: Transcript) -> Transcript:
    """A transcriber's cues made fit to caption: split at pauses, in time order without overlaps (per-speaker
    tracks merged), and none too short to read."""
    return replace(transcript, cues=tuple(fix_short_cues(resolve_overlaps(split_at_pauses(transcript.cues)))))
