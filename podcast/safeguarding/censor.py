"""Bleeping or muting listed names in the audio, wherever word timestamps say when they are spoken.

Words come as ``(start_s, end_s, word)`` on the published episode's timeline (the
assembled programme: the timeline a transcript of the episode uses). The pure part,
:func:`censor_regions`, finds the words that make up a listed name (multi-word names,
possessives and accents included, exactly as text redaction matches them) and returns
padded, merged time ranges. :func:`censor_filter` is the one ffmpeg pass (run by the
build's censor stage, :mod:`podcast.build.censor`) that
silences those ranges and, for ``[safeguarding] audio = "bleep"``, mixes in a 1 kHz
tone there (``volume=enable='between(t,a,b)'`` plus a gated ``sine``).

Where do word timestamps come from? The build's transcript stage
(:func:`podcast.build.transcripts.episode_words`) reads an episode's JSON
transcript when it has word timings (``{"words": [...]}``, Whisper-style
``segments[].words[]``, or Podcast Index ``segments[]`` of single words). Generated
transcripts (the transcripts module) should pass their words to
:func:`censor_regions` / :func:`censor_plan` the same way.

The build applies the plan to its cached render (``censored_audio``) and folds the
plan's signature into the audio key, so changing the list or the transcript redoes only
this quick pass and the tags, and an unchanged episode is not re-encoded. Generated
transcripts must be written before the build asks for the plan (render, transcribe,
censor, tag), so their words count from the first build.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from podcast.safeguarding import soundalike, spotting
from podcast.show.redactions import RedactionList

if TYPE_CHECKING:
    from podcast.show.model import Episode, Show

log = logging.getLogger(__name__)

TimedWord = tuple[float, float, str]
Mode = Literal["bleep", "mute"]

BLEEP_HZ = 1000
BLEEP_AMPLITUDE = 0.25  # -12 dBFS peak: about as loud as speech at -16 LUFS, never near the true-peak ceiling
PAD_S = 0.05  # a little before and after the word, so its first and last sounds are covered
# Around words placed by the offline model: tiny.en's word times are off by up to about 0.2 s at either end
# (measured on the spoken-names corpus, tests/names_corpus.py), so a fixed pad either leaves syllables or
# hides far too much; the plan is marked ``snap`` and the build moves each edge to the pause next to it.
HEARD_PAD_S = 0.03  # then each edge moves out to the pause around the words (snap_regions)
# A spotted name is hidden unless a word there was heard at least this surely (corpus: "I'm" 0.58 where an
# espeak voice said "Ximena"; in an hour of speech without a name, 17 of 86 spotted places had no such word).
CLEAR = 0.6


@dataclass(frozen=True)
class CensorPlan:
    """What to do to one episode's audio: the mode and the time ranges (seconds)."""

    mode: Mode
    regions: tuple[tuple[float, float], ...]
    snap: bool = False  # move each edge out to the pause around the words (snap_regions) before applying

    def signature(self) -> str:
        """A short, stable digest for cache keys (it does not reveal which words matched)."""
        parts: list[Any] = [self.mode, self.regions] + ([SNAP_FORMAT] if self.snap else [])
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def merge_regions(regions: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sort and merge overlapping or touching ranges.

    >>> merge_regions([(5.0, 6.0), (1.0, 2.0), (1.5, 3.0)])
    [(1.0, 3.0), (5.0, 6.0)]
    """
    merged: list[tuple[float, float]] = []
    for start, end in sorted(regions):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Mark:
    """One place a listed name is, or may be, spoken: seconds on the episode's timeline, the list line,
    how it was found and how sure (1.0 for the listed spelling). Never the name itself.

    ``how``: "text" (the listed spelling was heard), "sound" (a sound-alike of it was heard),
    "aligned" (a supplied transcript names it here, placed by aligning that text to what was heard),
    "unlocated" (a supplied transcript names it, but it could not be placed; ``start`` is a guess),
    "spotted" (the acoustic keyword spotter heard it where the speech model heard no word clearly),
    "untimed" (no word timings could be made at all: the whole episode is unchecked).
    """

    start: float
    end: float
    line: int
    how: str = "text"
    score: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "length": round(self.end - self.start, 3),
            "line": self.line,
            "how": self.how,
            "score": round(self.score, 3),
        }


def text_marks(words: Sequence[TimedWord], names: RedactionList) -> list[Mark]:
    """Where the listed spellings are among ``words`` (multi-word names, possessives and accents included)."""
    if not names or not words:
        return []
    spans: list[tuple[int, int]] = []
    text, offset = [], 0
    for _start, _end, word in words:
        spans.append((offset, offset + len(word)))
        text.append(word)
        offset += len(word) + 1
    marks = []
    for match in names.find(" ".join(text)):
        covered = [i for i, (first, last) in enumerate(spans) if first < match.end and last > match.start]
        if covered:
            start = min(words[i][0] for i in covered)
            marks.append(Mark(start, max(words[i][1] for i in covered), match.entry.line))
    return marks


def sound_marks(words: Sequence[TimedWord], names: RedactionList) -> tuple[list[Mark], list[Mark]]:
    """Sound-alikes of listed names among ``words``: (matches, near misses), from :mod:`.soundalike`."""
    matches, near = soundalike.scan(words, names)
    return (
        [Mark(m.start, m.end, m.line, "sound", m.score) for m in matches],
        [Mark(m.start, m.end, m.line, "near", m.score) for m in near],
    )


def overlapping(start: float, end: float, marks: Iterable[Mark]) -> bool:
    """Whether the span ``start``-``end`` overlaps any of ``marks``."""
    return any(m.start < end and start < m.end for m in marks)


def uncovered(marks: Iterable[Mark], by: Sequence[Mark]) -> list[Mark]:
    """The ``marks`` that overlap none of ``by`` (a near miss where a name is hidden is no near miss)."""
    return [m for m in marks if not overlapping(m.start, m.end, by)]


def find_marks(words: Sequence[TimedWord], names: RedactionList) -> tuple[list[Mark], list[Mark]]:
    """Every place a listed name is heard in ``words`` by spelling or by sound: (to hide, near misses)."""
    if not names or not words:
        return [], []
    exact = text_marks(words, names)
    sound, near = sound_marks(words, names)
    hidden = exact + uncovered(sound, exact)
    return sorted(hidden, key=lambda m: m.start), uncovered(near, hidden)


def add_spotted(
    marks: Sequence[Mark],
    near: Sequence[Mark],
    spotted: Sequence[spotting.Spotted],
    clear: Sequence[tuple[float, float]],
) -> tuple[list[Mark], list[Mark]]:
    """``marks`` and ``near`` with the places the keyword spotter heard a listed name added: (to hide, near misses).

    A spotted place already hidden adds nothing. Elsewhere it is hidden when no word there (by its
    middle) was heard clearly: ``clear`` holds the times of the words either listening heard with a
    probability of at least :data:`CLEAR`. Where the speech model clearly heard an ordinary word
    ("train" where the spotter heard "Tran"), the place is a near miss to listen to. Fail safe:
    where the models disagree and neither is sure, the name is hidden.
    """
    hidden, missed = list(marks), list(near)
    for spot in spotted:
        if overlapping(spot.start, spot.end, hidden):
            continue
        mark = Mark(spot.start, spot.end, spot.line, "spotted", 0.0)
        if any(spot.start <= (start + end) / 2 <= spot.end for start, end in clear):
            if not overlapping(spot.start, spot.end, missed):
                missed.append(mark)
        else:
            hidden.append(mark)
    return sorted(hidden, key=lambda m: m.start), sorted(uncovered(missed, hidden), key=lambda m: m.start)


# The biased listening stretches a name's last word into the next one (measured up to 0.43 s on the
# corpus, "Berghe" 1.34-1.96 s where the next word began at 1.60 s), while the plain listening, which did
# not hear the name, times the word after it well. Trust the earlier start, but never by more than this.
END_BACK_S = 0.5
SAME_WORD_NEAR_S = 0.6  # how far apart two listenings may place the start of one word
MIN_MARK_S = 0.15  # and a mark keeps at least this much of itself


def end_at_next_word(
    marks: Sequence[Mark],
    words: Sequence[TimedWord],
    other: Sequence[TimedWord],
    *,
    phonemize: soundalike.Phonemizer = soundalike.espeak_phonemes,
) -> list[Mark]:
    """``marks`` found in ``words``, each ending where the ``other`` listening heard the next word begin,
    when that is earlier: the word right after the mark in ``words``, found in ``other`` by sound near
    the same time. Ends only move back, by at most :data:`END_BACK_S`, keeping at least
    :data:`MIN_MARK_S` of the mark; the build's pause snapping (:func:`snap_regions`) then settles each edge.

    >>> mark = Mark(1.34, 1.96, 8)
    >>> ipa = {"Berghe": "bˈɜːɡ", "Lives": "lˈaɪvz", "live": "lˈɪv", "wonder": "wˈʌndɚ"}
    >>> end_at_next_word([mark], [(1.34, 1.96, "Berghe"), (2.04, 2.1, "Lives")],
    ...                  [(0.8, 1.22, "wonder"), (1.56, 1.98, "live")], phonemize=lambda ws: [ipa[w] for w in ws])
    [Mark(start=1.34, end=1.56, line=8, how='text', score=1.0)]
    """
    if not marks or not other:
        return list(marks)
    texts = sorted({w for _s, _e, w in words} | {w for _s, _e, w in other})
    ipa = dict(zip(texts, phonemize(texts)))
    out = []
    for mark in marks:
        after = next((w for w in words if w[0] >= mark.end - 0.01), None)
        end = mark.end
        if after is not None:
            floor = max(mark.end - END_BACK_S, mark.start + MIN_MARK_S)
            for start, _end, text in other:
                if (
                    floor <= start < end
                    and abs(start - after[0]) <= SAME_WORD_NEAR_S
                    and soundalike.same_word(text, after[2], ipa)
                ):
                    end = start
        out.append(Mark(mark.start, round(end, 3), mark.line, mark.how, mark.score) if end != mark.end else mark)
    return out


def padded_regions(marks: Iterable[Mark], *, pad_s: float = PAD_S) -> list[tuple[float, float]]:
    """Time ranges covering ``marks`` (padded, merged, rounded to ms)."""
    return merge_regions(
        (round(max(0.0, m.start - pad_s), 3), round(m.end + pad_s, 3)) for m in marks if m.how != "untimed"
    )


SNAP_FORMAT = 2  # bump when snap_regions changes
SNAP_S = 0.3  # how far outside a model-timed word edge to look for the pause around it
SNAP_IN_S = 0.25  # and how far inside an end: the model's word ends run late (measured: up to ~0.4 s)
SNAP_PAUSE_S = 0.02  # a pause the end may come back to is at least this long
SNAP_FRAME_S = 0.01
SNAP_WITHIN_DB = 6.0  # frames this close to the quietest one count as the pause


def _quiet_runs(levels_db: Sequence[float], first: int, last: int) -> list[tuple[int, int]]:
    """Runs of frames in [first, last) within :data:`SNAP_WITHIN_DB` of the quietest one there, as
    (first, end) frame indexes."""
    floor = min(levels_db[first:last])
    runs: list[list[int]] = []
    for i in range(first, last):
        if levels_db[i] <= floor + SNAP_WITHIN_DB:
            if runs and runs[-1][1] == i:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1])
    return [(a, b) for a, b in runs]


def snap_regions(
    regions: Sequence[tuple[float, float]],
    levels_db: Sequence[float],
    *,
    frame_s: float = SNAP_FRAME_S,
    reach_s: float = SNAP_S,
    inside_s: float = SNAP_IN_S,
    pad_s: float = PAD_S,
) -> list[tuple[float, float]]:
    """Move each region's edges to the pause around the words, from the audio's per-frame levels.

    The model's word times are rough: starts a tenth of a second or two either way, ends most
    often late, into the next word. "Quiet" is within :data:`SNAP_WITHIN_DB` of the quietest frame
    of the stretch searched. A start only ever moves out: to the end of the last quiet frame among
    the ``reach_s`` before it (or the first ``pad_s`` after). An end moves to the nearest pause (a
    run of :data:`SNAP_PAUSE_S` or more of quiet frames) from ``inside_s`` inside it to ``reach_s``
    outside it, so a late end that ran into the next word comes back to the pause before that word.
    The measured effect on the spoken-names corpus is in BENCHMARKS.md. A region never shrinks
    below a tenth of a second.

    >>> levels = [-60.0] * 10 + [-20.0] * 50 + [-60.0] * 5 + [-20.0] * 35   # a word from 0.10 s to 0.60 s
    >>> snap_regions([(0.25, 0.45)], levels)       # the model's times fell inside the word
    [(0.09, 0.61)]
    >>> snap_regions([(0.12, 0.75)], levels)       # the end ran 0.15 s into the next word
    [(0.09, 0.61)]
    """
    snapped = []
    count = len(levels_db)
    min_frames = max(1, round(SNAP_PAUSE_S / frame_s))
    for start, end in regions:
        new_start, new_end = start, end
        first, last = max(0, int((start - reach_s) / frame_s)), min(count, int((start + pad_s) / frame_s) + 1)
        if last > first:  # where the quiet before the word ends
            new_start = min(start, _quiet_runs(levels_db, first, last)[-1][1] * frame_s)
        first, last = max(0, int((end - inside_s) / frame_s)), min(count, int((end + reach_s) / frame_s) + 1)
        if last > first:  # where the nearest pause around the word's end begins
            pauses = [a for a, b in _quiet_runs(levels_db, first, last) if b - a >= min_frames or b == last]
            new_end = min((a * frame_s for a in pauses), key=lambda t: abs(t - end), default=end)
        if new_end - new_start < 0.1:
            new_start, new_end = start, end
        snapped.append((round(max(0.0, new_start - pad_s / 5), 3), round(new_end + pad_s / 5, 3)))
    return merge_regions(snapped)


def censor_regions(
    words: Sequence[TimedWord], names: RedactionList, *, pad_s: float = PAD_S
) -> list[tuple[float, float]]:
    """Time ranges covering every listed name spoken in ``words`` with its listed spelling (padded, merged).

    >>> from podcast.show.redactions import parse_redactions
    >>> words = [(0.0, 0.4, "I"), (0.4, 0.9, "met"), (1.0, 1.5, "Jordan"), (1.5, 2.0, "Example's"), (2.1, 2.5, "dog")]
    >>> censor_regions(words, parse_redactions("Jordan Example"))
    [(0.95, 2.05)]
    """
    return padded_regions(text_marks(words, names), pad_s=pad_s)


def words_from_json(document: Any) -> list[TimedWord]:
    """TimedWord timings from the JSON transcript shapes in common use; [] when it has none.

    >>> words_from_json({"words": [{"start": 1, "end": 1.5, "word": "Ana"}]})
    [(1.0, 1.5, 'Ana')]
    >>> words_from_json({"segments": [{"start": 0, "end": 2, "text": "Hi Ana", "words": [{"start": 0, "end": 1, "word": " Hi"}]}]})
    [(0.0, 1.0, 'Hi')]
    >>> words_from_json({"version": "1.0.0", "segments": [{"startTime": 2, "endTime": 2.4, "body": "Ana"}]})
    [(2.0, 2.4, 'Ana')]
    """

    def word(item: Any) -> TimedWord | None:
        if not isinstance(item, dict):
            return None
        start = item.get("start", item.get("startTime"))
        end = item.get("end", item.get("endTime"))
        text = item.get("word", item.get("text", item.get("body")))
        if isinstance(start, (int, float)) and isinstance(end, (int, float)) and isinstance(text, str) and end >= start:
            return float(start), float(end), text.strip()
        return None

    items: list[Any] = []
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict):
        if isinstance(document.get("words"), list):
            items = document["words"]
        elif isinstance(document.get("segments"), list):
            for segment in document["segments"]:
                if isinstance(segment, dict) and isinstance(segment.get("words"), list):
                    items += segment["words"]
                else:
                    items.append(segment)  # Podcast Index segments: word-level when each body is a word
    return [w for w in (word(item) for item in items) if w is not None]


def censor_plan(
    show: Show, episode: Episode, marks: Sequence[Mark], *, pad_s: float = PAD_S, snap: bool = False
) -> CensorPlan | None:
    """The plan for ``episode``, or None when no listed name is spoken at a known time.

    ``marks`` say where names are heard (:func:`find_marks`, plus any placed by aligning a
    supplied transcript); each is padded by ``pad_s`` (:data:`HEARD_PAD_S` for the model's words).
    """
    if not show.redactions:
        return None
    regions = padded_regions(marks, pad_s=pad_s)
    if not regions:
        return None
    safeguarding = getattr(show.manifest, "safeguarding", None)
    mode: Mode = getattr(safeguarding, "audio", "bleep")
    log.info("%s: %s %d place(s) where a listed name is spoken", episode.slug, mode, len(regions))
    return CensorPlan(mode=mode, regions=tuple(regions), snap=snap)


def _enable(regions: Sequence[tuple[float, float]]) -> str:
    """ffmpeg timeline expression true inside any region.

    >>> _enable([(1.0, 2.5), (4.0, 4.25)])
    'between(t,1.000,2.500)+between(t,4.000,4.250)'
    """
    return "+".join(f"between(t,{start:.3f},{end:.3f})" for start, end in regions)


def censor_filter(plan: CensorPlan, *, sample_rate_hz: int, channels: int) -> str:
    """The ffmpeg filter graph: input ``[0:a]``, output ``[out]``."""
    layout = "mono" if channels == 1 else "stereo"
    inside = _enable(plan.regions)
    fmt = f"aformat=sample_fmts=fltp:sample_rates={sample_rate_hz}:channel_layouts={layout}"
    # ffmpeg decides `enable` once per frame (26 ms of MP3): short frames keep the edges exact.
    muted = f"[0:a]{fmt},asetnsamples=n=256:p=0,volume=volume=0:enable='{inside}'"
    if plan.mode == "mute":
        return f"{muted}[out]"
    tone = (
        f"sine=frequency={BLEEP_HZ}:sample_rate={sample_rate_hz}:samples_per_frame=256,{fmt},"
        f"volume=volume='{BLEEP_AMPLITUDE}*({inside})':eval=frame"
    )
    return (
        f"{muted}[speech];{tone}[tone];[speech][tone]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[out]"
    )
