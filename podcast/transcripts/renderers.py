"""Rendering transcripts: every format apps read, from one :class:`Transcript`.

WebVTT and SRT captions hold at most 2 lines of at most 42 characters (the broadcast
caption norm), so long cues are split, at word timings when known. SRT has no voice markup,
so a "Name:" prefix marks each change of speaker. JSON keeps whole cues and their words;
HTML and plain text group the cues into speaker turns. All pure: the build stage
(``podcast/build/transcripts.py``) writes the files.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from podcast.errors import TranscriptInvalid
from podcast.transcripts.model import (
    MAX_LINE_CHARS,
    MAX_LINES,
    OUTPUTS,
    Caption,
    Cue,
    Transcript,
    Word,
    format_timestamp,
)


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


def captions(
    transcript: Transcript, *, speaker_prefix: bool = False, width: int = MAX_LINE_CHARS, max_lines: int = MAX_LINES
) -> list[Caption]:
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
        usable = (
            len(cue.words) == len(cue.text.split()) == sum(len(p.split()) for p in parts) - prefix_words
            # a cue cut short where the next speaker starts keeps words past its end: time it by length instead
            and all(cue.start_ms <= w.start_ms and w.end_ms <= cue.end_ms for w in cue.words)
        )
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
            segment["words"] = [
                {"startTime": w.start_ms / 1000, "endTime": w.end_ms / 1000, "body": w.text} for w in cue.words
            ]
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
        same = (
            previous is not None
            and cue.speaker == previous.speaker
            and transcript.timed
            and (cue.speaker is not None or cue.start_ms - previous.end_ms < 2000)
        )
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
        raise TranscriptInvalid(
            f"cannot write a transcript as '{suffix or path.name}'",
            path=path,
            fix="name the output .json, .vtt, .srt, .html or .txt",
        )
    return rendered[suffix]
