"""Transcripts: read any format producers bring, check it against the audio, publish what apps read.

One model flows through: a :class:`Transcript` of :class:`Cue` objects (times in whole
milliseconds, so every round trip between formats is exact), an optional speaker per cue
and, when a transcriber produced them, word timings.

* **Read** (pure): SRT via ``srt``, WebVTT via ``webvtt-py`` (``<v Speaker>`` voices),
  Podcast Index JSON, a "Speaker: text" script and plain text. :func:`detect_format`
  decides by content first (a ``WEBVTT`` header, a JSON object, ``-->`` timing lines) and
  then by extension. Every timing line is checked by us before the library sees it, because
  webvtt-py silently drops a cue whose timestamp is broken; errors name ``file:line``.
* **Check** (pure): :func:`check_timing` refuses negative, reversed and overlapping cues and
  cues that run past the end of the audio: captions out of step with testimony are worse
  than none.
* **Render** (pure): WebVTT and SRT captions hold at most 2 lines of at most 42 characters
  (the broadcast caption norm), so long cues are split, at word timings when known. SRT has
  no voice markup, so a "Name:" prefix marks each change of speaker. JSON keeps whole cues
  and their words; HTML and plain text group the cues into speaker turns.
* **Build** (I/O edge): :func:`build_transcripts` writes ``build/<slug>/transcript.*`` and a
  ``transcripts.json`` record keyed by content hashes, like the audio cache; the plain text
  goes into ID3 USLT through :func:`transcript_text` and the files into the feed through
  :func:`built_transcript_files`. Names on the safeguarding redaction list are replaced in
  every published rendering, and a generated transcript's words tell the censor where to
  bleep (:func:`generated_words`).
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from podcast.errors import TranscriptInvalid
from podcast.files import read_text

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

Format = Literal["vtt", "srt", "json", "script", "text"]
Progress = Callable[[str, float], None]

# Bump when rendering changes so every cached transcript is written again.
TRANSCRIPT_FORMAT = 1
MAX_LINE_CHARS = 42
MAX_LINES = 2
END_TOLERANCE_MS = 500  # encoders pad the end of an MP3; a cue may end this far past the measured duration
RECORD_FILE = "transcripts.json"
WORD_LEVEL_SEGMENTS = 20  # this many one-word segments and nothing longer: a word-level JSON file

# (suffix, MIME type as listed in <podcast:transcript>, timed?)
OUTPUTS: tuple[tuple[str, str, bool], ...] = (
    (".vtt", "text/vtt", True),
    (".srt", "application/x-subrip", True),
    (".json", "application/json", True),
    (".html", "text/html", False),
    (".txt", "text/plain", False),
)


# --- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One word with its time, as a transcriber reports it (kept for the JSON transcript)."""

    start_ms: int
    end_ms: int
    text: str


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


# --- small pure helpers -------------------------------------------------------------------------


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


_TIMESTAMP = {
    # WebVTT: hours optional, exactly three decimals, a dot.
    "vtt": r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}",
    # SRT: hours required; players accept a dot or a comma and 1-3 decimals.
    "srt": r"\d{1,3}:[0-5]\d:[0-5]\d[,.]\d{1,3}",
}
_TIMING_LINE = {
    kind: re.compile(rf"^\s*({pattern})\s+-->\s+({pattern})(?:\s+.*)?$") for kind, pattern in _TIMESTAMP.items()
}
_SPEAKER = re.compile(r"^([A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}):\s+(\S.*)$")
_TAGS = re.compile(r"<[^>]*>|\{\\[^}]*\}")


def split_speaker(line: str) -> tuple[str | None, str]:
    """Split ``"Name: text"`` (a capitalised name of up to four words) into speaker and text.

    >>> split_speaker("Host: Welcome back.")
    ('Host', 'Welcome back.')
    >>> split_speaker("Dr Lee Smith: Thank you.")
    ('Dr Lee Smith', 'Thank you.')
    >>> split_speaker("the time was 10:30 then")
    (None, 'the time was 10:30 then')
    """
    match = _SPEAKER.match(line.strip())
    if match:
        return match.group(1), match.group(2).strip()
    return None, line.strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _where(path: Path | str, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


# --- reading ------------------------------------------------------------------------------------


def detect_format(path: Path, text: str) -> Format:
    """Which reader fits: content first (header, JSON, timing lines), then the file's extension.

    >>> detect_format(Path("t.txt"), "WEBVTT\\n\\n00:01.000 --> 00:02.000\\nHi")
    'vtt'
    >>> detect_format(Path("t"), "1\\n00:00:01,000 --> 00:00:02,000\\nHi")
    'srt'
    >>> detect_format(Path("t.txt"), "Host: Hello.\\nGuest: Hi.")
    'script'
    >>> detect_format(Path("t.md"), "Just words.")
    'text'
    """
    body = text.lstrip("\ufeff").lstrip()
    if body.startswith("WEBVTT"):
        return "vtt"
    if body.startswith("{"):
        return "json"
    suffix = path.suffix.lower()
    if suffix in (".vtt", ".srt", ".json"):
        return suffix[1:]  # type: ignore[return-value]
    if re.search(r"^.*-->.*$", body, re.MULTILINE):
        return "srt"
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n(?=[A-Z][\w'’. -]{0,40}:\s)", body) if p.strip()]
    labelled = sum(1 for p in paragraphs if split_speaker(p.splitlines()[0])[0])
    return "script" if paragraphs and labelled * 2 >= len(paragraphs) else "text"


def _timing_lines(text: str, path: Path, kind: Literal["vtt", "srt"]) -> list[tuple[int, int, int]]:
    """(line number, start ms, end ms) of every ``-->`` line; a broken one is an error naming its line."""
    pattern = _TIMING_LINE[kind]
    example = "00:01:02.500 --> 00:01:05.000" if kind == "vtt" else "00:01:02,500 --> 00:01:05,000"
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "-->" not in line:
            continue
        match = pattern.match(line)
        if not match:
            raise TranscriptInvalid(
                f"broken cue timing '{line.strip()[:60]}'",
                path=_where(path, number),
                fix=f"write the times like {example}",
            )
        found.append((number, _parse_clock(match.group(1)), _parse_clock(match.group(2))))
    return found


def _check_blocks(text: str, path: Path, kind: Literal["vtt", "srt"]) -> None:
    """Every block between blank lines must be a cue with a timing line (WebVTT also allows its
    header, NOTE, STYLE and REGION blocks). Libraries skip or merge a block without one, which
    would silently drop a caption, so it is an error naming its first line.
    """
    example = "00:01:02.500 --> 00:01:05.000" if kind == "vtt" else "00:01:02,500 --> 00:01:05,000"
    for match in re.finditer(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", text.lstrip("\ufeff")):
        lines = match.group(0).splitlines()
        first = lines[0].strip()
        if kind == "vtt" and (first.startswith("WEBVTT") or first.split(" ", 1)[0] in ("NOTE", "STYLE", "REGION")):
            continue
        if any("-->" in line for line in lines[:2]):
            continue
        number = text.lstrip("\ufeff").count("\n", 0, match.start()) + 1
        raise TranscriptInvalid(
            f"'{first[:40]}' starts a block with no cue timing line",
            path=_where(path, number),
            fix=f"give each cue a timing line like {example}, and no blank lines inside a cue's text",
        )


def _parse_clock(value: str) -> int:
    """Milliseconds from a caption timestamp (``[HH:]MM:SS.mmm``, comma or dot).

    >>> _parse_clock("01:02:03,4"), _parse_clock("02:03.045")
    (3723400, 123045)
    """
    clock, _, fraction = value.replace(",", ".").partition(".")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + int((fraction + "00")[:3])


def parse_vtt(text: str, path: Path) -> Transcript:
    """WebVTT through webvtt-py; ``<v Speaker>`` becomes the cue's speaker, markup is dropped."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if not first.startswith("WEBVTT"):
        raise TranscriptInvalid(
            "does not start with the WEBVTT header", path=_where(path, 1), fix="make the first line read WEBVTT"
        )
    timings = _timing_lines(text, path, "vtt")
    _check_blocks(text, path, "vtt")
    try:
        captions = list(webvtt.from_string(text.lstrip("\ufeff")))
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise TranscriptInvalid(f"is not valid WebVTT ({exc})", path=path, fix="check it in a caption editor") from None
    if len(captions) != len(timings):
        raise TranscriptInvalid(
            f"has {len(timings)} timing lines but only {len(captions)} readable cues",
            path=path,
            fix="separate cues with one blank line and put the timing line first (after an optional id)",
        )
    cues = []
    for caption, (line, start, end) in zip(captions, timings):
        body = html.unescape(_one_line(caption.text))
        cues.append(Cue(start, end, body, speaker=caption.voice or None, line=line))
    return Transcript(tuple(cues))


def parse_srt(text: str, path: Path) -> Transcript:
    """SRT through ``srt``. A leading ``Name:`` sets the speaker, which carries on until the next one."""
    import srt

    timings = _timing_lines(text, path, "srt")
    _check_blocks(text, path, "srt")
    try:
        subtitles = list(srt.parse(text.lstrip("\ufeff"), ignore_errors=False))
    except srt.SRTParseError as exc:
        line = text.count("\n", 0, exc.expected_start) + 1
        raise TranscriptInvalid(
            "is not valid SRT here (expected a number, then a timing line, then text)",
            path=_where(path, line),
            fix="separate subtitles with one blank line: number, times, text",
        ) from None
    cues = []
    speaker: str | None = None
    for subtitle, (line, _, _) in zip(subtitles, timings):
        body = _one_line(_TAGS.sub("", subtitle.content))
        named, rest = split_speaker(body)
        if named:
            speaker, body = named, rest
        cues.append(Cue(to_ms(subtitle.start.total_seconds()), to_ms(subtitle.end.total_seconds()), body,
                        speaker=speaker, line=line))  # fmt: skip
    return Transcript(tuple(cues))


def _json_with_lines(text: str) -> Any:
    """``json.loads``, but every object also gets ``"_line"``: where it starts, for error messages."""
    import json.decoder
    import json.scanner

    decoder = json.JSONDecoder()

    def parse_object(s_and_end, *args):  # type: ignore[no-untyped-def]
        source, start = s_and_end
        obj, end = json.decoder.JSONObject(s_and_end, *args)
        if isinstance(obj, dict):
            obj["_line"] = source.count("\n", 0, start) + 1
        return obj, end

    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # the C scanner ignores parse_object
    return decoder.decode(text)


def _seconds(value: Any, what: str, path: Path, line: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TranscriptInvalid(f"{what} must be a number of seconds, not {value!r}", path=_where(path, line),
                                fix='write it like "startTime": 12.5')  # fmt: skip
    return to_ms(value)


# JSON key spellings: Podcast Index first, then Whisper's own JSON output ("start", "end", "text"/"word").
_START, _END, _TEXT = ("startTime", "start"), ("endTime", "end"), ("body", "text", "word")


def _pick(item: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    """The first of ``keys`` present in ``item`` and its value (the first key when none is)."""
    for key in keys:
        if key in item:
            return key, item[key]
    return keys[0], None


def _json_cue(item: Any, path: Path, line: int | None, what: str) -> tuple[int, int, str]:
    if not isinstance(item, dict):
        raise TranscriptInvalid(f"a {what} is not an object", path=_where(path, line), fix='write it as {"startTime": ..., ...}')
    line = item.get("_line", line)
    key, text = _pick(item, _TEXT)
    if not isinstance(text, str):
        raise TranscriptInvalid(f'a {what} has no "{key}" text', path=_where(path, line),
                                fix='give every segment "startTime", "endTime" and "body"')  # fmt: skip
    start_key, start = _pick(item, _START)
    end_key, end = _pick(item, _END)
    return _seconds(start, f'"{start_key}"', path, line), _seconds(end, f'"{end_key}"', path, line), text


def parse_json(text: str, path: Path) -> Transcript:
    """Podcast Index transcript JSON: ``{"version", "segments": [{speaker, startTime, endTime, body}]}``.

    Segments may carry ``words`` (as we write them). Whisper's own JSON output (segments with
    ``start``/``end``/``text`` and ``words`` with ``word``) and a bare ``{"words": [...]}``
    list are read too. One-word segments (as some services write; at least
    ``WORD_LEVEL_SEGMENTS`` of them, so a short transcript of one-word answers is left
    alone) and bare word lists are regrouped into caption-sized cues.
    """
    try:
        data = _json_with_lines(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise TranscriptInvalid(f"is not valid JSON ({exc.msg})", path=_where(path, exc.lineno),
                                fix="check the commas, quotes and brackets on that line") from None  # fmt: skip
    if isinstance(data, dict) and not isinstance(data.get("segments"), list) and isinstance(data.get("words"), list):
        words = [Cue(*_json_cue(w, path, None, "word"), line=w.get("_line") if isinstance(w, dict) else None)
                 for w in data["words"]]  # fmt: skip
        return Transcript(tuple(regroup_words([replace(w, text=w.text.strip()) for w in words])))
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise TranscriptInvalid('has no "segments" list', path=path,
                                fix='use the Podcast Index format: {"version": "1.0.0", "segments": [...]}')  # fmt: skip
    cues = []
    for segment in data["segments"]:
        line = segment.get("_line") if isinstance(segment, dict) else None
        start, end, body = _json_cue(segment, path, line, "segment")
        words = []
        for word in segment.get("words") or ():
            w_start, w_end, w_text = _json_cue(word, path, line, "word")
            if w_text.strip():
                words.append(Word(w_start, w_end, w_text.strip()))
        speaker = segment.get("speaker")
        cues.append(Cue(start, end, _one_line(body), speaker=speaker if isinstance(speaker, str) and speaker else None,
                        words=tuple(words), line=line))  # fmt: skip
    if len(cues) >= WORD_LEVEL_SEGMENTS and all(len(cue.text.split()) <= 1 and not cue.words for cue in cues):
        cues = regroup_words(cues)
    return Transcript(tuple(cues))


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
            grouped.append(Cue(current[0].start_ms, current[-1].end_ms, " ".join(w.text for w in words),
                               speaker=current[0].speaker, words=words, line=current[0].line))  # fmt: skip
            current.clear()

    for cue in cues:
        if not cue.text:
            continue
        if current:
            length = sum(len(c.text) + 1 for c in current) + len(cue.text)
            if (cue.speaker != current[-1].speaker or length > max_chars or cue.start_ms - current[-1].end_ms >= 1000
                    or current[-1].text.endswith((".", "?", "!"))):  # fmt: skip
                flush()
        current.append(cue)
    flush()
    return grouped


def parse_script(text: str, path: Path) -> Transcript:
    """A script: ``Name: text`` starts a turn; following lines without a name continue it. Untimed."""
    cues: list[Cue] = []
    speaker: str | None = None
    lines: list[str] = []
    start_line = 1

    def flush() -> None:
        if lines:
            cues.append(Cue(0, 0, _one_line(" ".join(lines)), speaker=speaker, line=start_line))
            lines.clear()

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not raw.strip():
            flush()
            continue
        named, rest = split_speaker(raw)
        if named:
            flush()
            speaker, start_line = named, number
            lines.append(rest)
        else:
            if not lines:
                start_line = number
            lines.append(raw.strip())
    flush()
    return Transcript(tuple(cues), timed=False)


def parse_text(text: str, path: Path) -> Transcript:
    """Plain text: one untimed cue per paragraph (paragraphs are separated by blank lines)."""
    cues = []
    for match in re.finditer(r"\S(?:.*\S)?(?:\n[ \t]*\S.*)*", text.lstrip("\ufeff")):
        cues.append(Cue(0, 0, _one_line(match.group(0)), line=text.count("\n", 0, match.start()) + 1))
    return Transcript(tuple(cues), timed=False)


READERS: dict[Format, Callable[[str, Path], Transcript]] = {
    "vtt": parse_vtt,
    "srt": parse_srt,
    "json": parse_json,
    "script": parse_script,
    "text": parse_text,
}


def parse_transcript(text: str, path: Path, fmt: Format | None = None) -> Transcript:
    """Read ``text`` (the contents of ``path``) in ``fmt``, or the format :func:`detect_format` finds."""
    transcript = READERS[fmt or detect_format(path, text)](text, path)
    if not any(cue.text for cue in transcript.cues):
        raise TranscriptInvalid("has no text", path=path, fix="check it is the right file, or remove transcript = ...")
    return transcript


def read_transcript(path: Path, *, shown: Path | None = None) -> Transcript:
    """Read a transcript file in whatever supported format it is in; errors name it as ``shown``."""
    text = read_text(path, TranscriptInvalid, missing_fix="check the transcript name in episode.toml", shown=shown)
    return parse_transcript(text, shown or path)


# --- checking -----------------------------------------------------------------------------------


def check_timing(transcript: Transcript, path: Path | str, *, duration_s: float | None = None) -> None:
    """Refuse cue times that cannot be right: negative, reversed, overlapping, or after the audio ends."""
    if not transcript.timed:
        return
    previous: Cue | None = None
    limit = to_ms(duration_s) + END_TOLERANCE_MS if duration_s else None
    for number, cue in enumerate(transcript.cues, start=1):
        where = _where(path, cue.line)
        label = f"cue {number} ({format_timestamp(max(cue.start_ms, 0))})"
        if cue.start_ms < 0 or cue.end_ms < 0:
            raise TranscriptInvalid(f"{label} has a negative time", path=where, fix="times start at 0 with the audio")
        if cue.end_ms < cue.start_ms:
            raise TranscriptInvalid(f"{label} ends at {format_timestamp(cue.end_ms)}, before it starts", path=where,
                                    fix="swap or correct the two times")  # fmt: skip
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
            if (short and cue.speaker == last.speaker and cue.start_ms - last.end_ms <= max_gap_ms
                    and not last.text.endswith((".", "?", "!"))):  # fmt: skip
                joined[-1] = replace(last, end_ms=max(last.end_ms, cue.end_ms), text=f"{last.text} {cue.text}",
                                     words=last.words + cue.words if last.words and cue.words else ())  # fmt: skip
                continue
        joined.append(cue)
    return joined


# --- rendering ----------------------------------------------------------------------------------


def wrap_lines(text: str, width: int = MAX_LINE_CHARS) -> list[str]:
    """Greedy word wrap to ``width`` characters; a word longer than a line is cut.

    >>> wrap_lines("the quick brown fox jumps over the lazy dog", 16)
    ['the quick brown', 'fox jumps over', 'the lazy dog']
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Caption:
    """One displayed caption: at most ``MAX_LINES`` lines of at most ``MAX_LINE_CHARS`` characters."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None


def captions(transcript: Transcript, *, speaker_prefix: bool = False, width: int = MAX_LINE_CHARS,
             max_lines: int = MAX_LINES) -> list[Caption]:  # fmt: skip
    """Split cues into captions that fit the line limits, timing each part.

    A part is timed from its words when the transcriber's words match the text, else in
    proportion to its length. With ``speaker_prefix`` (SRT), ``"Name: "`` opens the first
    caption after each change of speaker and counts towards the line length.
    """
    result: list[Caption] = []
    previous_speaker: str | None = None
    for cue in transcript.cues:
        text = cue.text
        if speaker_prefix and cue.speaker and cue.speaker != previous_speaker:
            text = f"{cue.speaker}: {text}"
        previous_speaker = cue.speaker
        lines = wrap_lines(text, width)
        chunks = [lines[i : i + max_lines] for i in range(0, len(lines), max_lines)] or [[""]]
        if len(chunks) == 1:
            result.append(Caption(cue.start_ms, cue.end_ms, tuple(chunks[0]), cue.speaker))
            continue
        prefix_words = len(text.split()) - len(cue.text.split())
        parts = [" ".join(chunk) for chunk in chunks]
        usable = len(cue.words) == len(cue.text.split()) == sum(len(p.split()) for p in parts) - prefix_words
        boundaries = _chunk_times(cue, parts, cue.words if usable else (), prefix_words=prefix_words)
        for chunk, (start, end) in zip(chunks, boundaries):
            result.append(Caption(start, end, tuple(chunk), cue.speaker))
    return result


def _chunk_times(cue: Cue, chunks: list[str], words: tuple[Word, ...], *, prefix_words: int) -> list[tuple[int, int]]:
    """Start and end of each chunk of ``cue``: from word times when known, else by character count."""
    times: list[tuple[int, int]] = []
    if words:
        index = -prefix_words
        for chunk in chunks:
            count = len(chunk.split())
            first = words[max(index, 0)]
            last = words[max(min(index + count, len(words)) - 1, 0)]
            times.append((first.start_ms, last.end_ms))
            index += count
        # Captions run edge to edge: each lasts until the next starts, the last until the cue ends.
        fixed = [(cue.start_ms, times[1][0] if len(times) > 1 else cue.end_ms)]
        for i in range(1, len(times)):
            start = max(times[i][0], fixed[-1][1])
            end = times[i + 1][0] if i + 1 < len(times) else cue.end_ms
            fixed.append((start, max(end, start)))
        return fixed
    total = sum(len(chunk) for chunk in chunks) or 1
    span = cue.end_ms - cue.start_ms
    done = 0
    for chunk in chunks:
        start = cue.start_ms + span * done // total
        done += len(chunk)
        times.append((start, cue.start_ms + span * done // total))
    return times


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(transcript: Transcript) -> str:
    """WebVTT captions (via webvtt-py), each voiced ``<v Speaker>`` when the speaker is known."""
    import webvtt

    items = []
    for caption in captions(transcript):
        body = "\n".join(_escape_vtt(line) for line in caption.lines)
        if caption.speaker:
            body = f"<v {_escape_vtt(caption.speaker)}>{body}"
        items.append(webvtt.Caption(format_timestamp(caption.start_ms), format_timestamp(caption.end_ms), body))
    return webvtt.WebVTT(captions=items).content


def render_srt(transcript: Transcript) -> str:
    """SRT subtitles (via ``srt``) with ``Name:`` at each change of speaker."""
    import srt

    subtitles = [
        srt.Subtitle(index, timedelta(milliseconds=c.start_ms), timedelta(milliseconds=c.end_ms), "\n".join(c.lines))
        for index, c in enumerate(captions(transcript, speaker_prefix=True), start=1)
    ]
    return srt.compose(subtitles, reindex=False)


def render_json(transcript: Transcript) -> str:
    """Podcast Index transcript JSON: one segment per cue, with its words when they are known."""
    segments = []
    for cue in transcript.cues:
        segment: dict[str, Any] = {}
        if cue.speaker:
            segment["speaker"] = cue.speaker
        segment |= {"startTime": cue.start_ms / 1000, "endTime": cue.end_ms / 1000, "body": cue.text}
        if cue.words:
            segment["words"] = [{"startTime": w.start_ms / 1000, "endTime": w.end_ms / 1000, "body": w.text}
                                for w in cue.words]  # fmt: skip
        segments.append(segment)
    return json.dumps({"version": "1.0.0", "segments": segments}, indent=2, ensure_ascii=False) + "\n"


def turns(transcript: Transcript) -> list[tuple[str | None, int | None, str]]:
    """(speaker, start ms or None, text) per paragraph: consecutive cues of one speaker joined.

    Without speakers, a timed transcript starts a new paragraph at a pause of two seconds.

    >>> turns(Transcript((Cue(0, 900, "Hi.", "A"), Cue(1000, 1900, "Hello.", "A"), Cue(2000, 2500, "Yes.", "B"))))
    [('A', 0, 'Hi. Hello.'), ('B', 2000, 'Yes.')]
    """
    paragraphs: list[tuple[str | None, int | None, str]] = []
    previous: Cue | None = None
    for cue in transcript.cues:
        if not cue.text:
            continue
        same = previous is not None and cue.speaker == previous.speaker and transcript.timed and (
            cue.speaker is not None or cue.start_ms - previous.end_ms < 2000)  # fmt: skip
        if same:
            speaker, start, text = paragraphs[-1]
            paragraphs[-1] = (speaker, start, f"{text} {cue.text}")
        else:
            paragraphs.append((cue.speaker, cue.start_ms if transcript.timed else None, cue.text))
        previous = cue
    return paragraphs


def render_txt(transcript: Transcript) -> str:
    """Plain text (also the ID3 USLT lyrics frame): one paragraph per turn, ``Name: `` before it."""
    return "\n\n".join(f"{speaker}: {text}" if speaker else text for speaker, _, text in turns(transcript)) + "\n"


def clock(ms: int) -> str:
    """A reader's clock for the HTML transcript: ``M:SS`` or ``H:MM:SS``.

    >>> clock(9000), clock(754000), clock(3723000)
    ('0:09', '12:34', '1:02:03')
    """
    seconds = ms // 1000
    hours, minutes, secs = seconds // 3600, seconds % 3600 // 60, seconds % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_html(transcript: Transcript, *, title: str, language: str) -> str:
    """A small standalone page in the Podcast Index HTML transcript shape: per turn, ``<cite>`` for
    the speaker, ``<time>`` for its start and ``<p>`` for what was said.
    """
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(language)}">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Transcript: {html.escape(title)}</title></head>",
        "<body>",
        f"<h1>Transcript: {html.escape(title)}</h1>",
    ]
    for speaker, start, text in turns(transcript):
        if speaker:
            parts.append(f"<cite>{html.escape(speaker)}:</cite>")
        if start is not None:
            parts.append(f'<time datetime="PT{start / 1000:.3f}S">{clock(start)}</time>')
        parts.append(f"<p>{html.escape(text)}</p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def render_all(transcript: Transcript, *, title: str, language: str) -> dict[str, str]:
    """Every published rendering by suffix; untimed transcripts get only HTML and text."""
    renderers: dict[str, Callable[[], str]] = {
        ".vtt": lambda: render_vtt(transcript),
        ".srt": lambda: render_srt(transcript),
        ".json": lambda: render_json(transcript),
        ".html": lambda: render_html(transcript, title=title, language=language),
        ".txt": lambda: render_txt(transcript),
    }
    return {suffix: renderers[suffix]() for suffix, _, timed in OUTPUTS if transcript.timed or not timed}


def render_as(transcript: Transcript, path: Path, *, title: str, language: str) -> str:
    """The rendering a file name asks for (``transcript.vtt`` -> WebVTT), for `podcast transcribe -o`."""
    suffix = path.suffix.lower()
    rendered = render_all(transcript, title=title, language=language)
    if suffix not in rendered:
        raise TranscriptInvalid(f"cannot write a transcript as '{suffix or path.name}'", path=path,
                                fix="name the output .json, .vtt, .srt, .html or .txt")  # fmt: skip
    return rendered[suffix]


# --- building (the I/O edge) --------------------------------------------------------------------


