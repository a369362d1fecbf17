"""Reading transcripts: whatever format producers bring, into one :class:`Transcript`.

SRT via ``srt``, WebVTT via ``webvtt-py`` (``<v Speaker>`` voices), Podcast Index JSON
(and Whisper's own JSON), a "Speaker: text" script and plain text. :func:`detect_format`
decides by content first (a ``WEBVTT`` header, a JSON object, ``-->`` timing lines) and
then by extension. Every timing line is checked by us before the library sees it, because
webvtt-py silently drops a cue whose timestamp is broken; errors name ``file:line``.
Pure, except :func:`read_transcript`, which reads the file.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from podcast.errors import TranscriptInvalid
from podcast.files import read_text
from podcast.transcripts.model import Cue, Transcript, Word, file_line, to_ms
from podcast.transcripts.timing import regroup_words

Format = Literal["vtt", "srt", "json", "script", "text"]

WORD_LEVEL_SEGMENTS = 20  # this many one-word segments and nothing longer: a word-level JSON file

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
                path=file_line(path, number),
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
            path=file_line(path, number),
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
            "does not start with the WEBVTT header", path=file_line(path, 1), fix="make the first line read WEBVTT"
        )
    timings = _timing_lines(text, path, "vtt")
    _check_blocks(text, path, "vtt")
    try:
        captions = webvtt.from_string(text.lstrip("\ufeff")).captions
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
            path=file_line(path, line),
            fix="separate subtitles with one blank line: number, times, text",
        ) from None
    cues = []
    speaker: str | None = None
    for subtitle, (line, _, _) in zip(subtitles, timings):
        body = _one_line(_TAGS.sub("", subtitle.content))
        named, rest = split_speaker(body)
        if named:
            speaker, body = named, rest
        cues.append(
            Cue(
                to_ms(subtitle.start.total_seconds()),
                to_ms(subtitle.end.total_seconds()),
                body,
                speaker=speaker,
                line=line,
            )
        )
    return Transcript(tuple(cues))


def _json_with_lines(text: str) -> Any:
    """``json.loads``, but every object also gets ``"_line"``: where it starts, for error messages."""
    import json.decoder
    import json.scanner

    decoder: Any = json.JSONDecoder()  # its private hooks are untyped

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        source, start = s_and_end
        obj, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        if isinstance(obj, dict):
            obj["_line"] = source.count("\n", 0, start) + 1
        return obj, end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]  # the C scanner ignores parse_object
    return decoder.decode(text)


def _seconds(value: Any, what: str, path: Path, line: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TranscriptInvalid(
            f"{what} must be a number of seconds, not {value!r}",
            path=file_line(path, line),
            fix='write it like "startTime": 12.5',
        )
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
        raise TranscriptInvalid(
            f"a {what} is not an object", path=file_line(path, line), fix='write it as {"startTime": ..., ...}'
        )
    line = item.get("_line", line)
    key, text = _pick(item, _TEXT)
    if not isinstance(text, str):
        raise TranscriptInvalid(
            f'a {what} has no "{key}" text',
            path=file_line(path, line),
            fix='give every segment "startTime", "endTime" and "body"',
        )
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
        raise TranscriptInvalid(
            f"is not valid JSON ({exc.msg})",
            path=file_line(path, exc.lineno),
            fix="check the commas, quotes and brackets on that line",
        ) from None
    if isinstance(data, dict) and not isinstance(data.get("segments"), list) and isinstance(data.get("words"), list):
        word_cues = [
            Cue(*_json_cue(w, path, None, "word"), line=w.get("_line") if isinstance(w, dict) else None)
            for w in data["words"]
        ]
        return Transcript(tuple(regroup_words([replace(w, text=w.text.strip()) for w in word_cues])))
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise TranscriptInvalid(
            'has no "segments" list',
            path=path,
            fix='use the Podcast Index format: {"version": "1.0.0", "segments": [...]}',
        )
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
        cues.append(
            Cue(
                start,
                end,
                _one_line(body),
                speaker=speaker if isinstance(speaker, str) and speaker else None,
                words=tuple(words),
                line=line,
            )
        )
    if len(cues) >= WORD_LEVEL_SEGMENTS and all(len(cue.text.split()) <= 1 and not cue.words for cue in cues):
        cues = regroup_words(cues)
    return Transcript(tuple(cues))


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
