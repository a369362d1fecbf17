"""Transcripts without a transcriber: every reader, the timing checks, the renderers and round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podcast.errors import TranscriptInvalid
from podcast.transcripts.model import MAX_LINE_CHARS, MAX_LINES, Cue, Transcript, Word
from podcast.transcripts.readers import (
    detect_format,
    parse_json,
    parse_srt,
    parse_transcript,
    parse_vtt,
    read_transcript,
)
from podcast.transcripts.renderers import captions, render_html, render_json, render_srt, render_txt, render_vtt
from podcast.transcripts.timing import check_timing

VTT = """WEBVTT

NOTE an editor's note

intro
00:00:00.500 --> 00:00:02.250
<v Host>Welcome to the show &amp; thanks
for listening.

00:02.250 --> 00:00:04.001
<v.loud Guest>Glad to <b>be</b> here.
"""

SRT = """1
00:00:00,500 --> 00:00:02,250
Host: Welcome to the show & thanks
for listening.

2
00:00:02,250 --> 00:00:04,001
Guest: Glad to <i>be</i> here.

3
00:00:04,100 --> 00:00:05,000
It is a sunny day.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading ------------------------------------------------------------------------------------


def test_vtt_voices_times_and_markup(tmp_path):
    transcript = read_transcript(write(tmp_path, "t.vtt", VTT))
    assert transcript.timed
    assert [(c.start_ms, c.end_ms, c.speaker, c.text) for c in transcript.cues] == [
        (500, 2250, "Host", "Welcome to the show & thanks for listening."),
        (2250, 4001, "Guest", "Glad to be here."),
    ]
    assert [c.line for c in transcript.cues] == [6, 10]


def test_srt_speakers_carry_on_until_the_next_name(tmp_path):
    transcript = read_transcript(write(tmp_path, "t.srt", SRT))
    assert [(c.start_ms, c.end_ms, c.speaker, c.text) for c in transcript.cues] == [
        (500, 2250, "Host", "Welcome to the show & thanks for listening."),
        (2250, 4001, "Guest", "Glad to be here."),
        (4100, 5000, "Guest", "It is a sunny day."),
    ]


def test_podcast_index_json_with_words(tmp_path):
    data = {
        "version": "1.0.0",
        "segments": [
            {
                "speaker": "Host",
                "startTime": 0.5,
                "endTime": 1.25,
                "body": "Hello there",
                "words": [
                    {"startTime": 0.5, "endTime": 0.9, "body": "Hello"},
                    {"startTime": 0.9, "endTime": 1.25, "body": "there"},
                ],
            },
            {"startTime": 1.5, "endTime": 2.0, "body": "Hi"},
        ],
    }
    transcript = read_transcript(write(tmp_path, "t.json", json.dumps(data)))
    assert transcript.cues[0] == Cue(
        500, 1250, "Hello there", "Host", (Word(500, 900, "Hello"), Word(900, 1250, "there"))
    )
    assert transcript.cues[1] == Cue(1500, 2000, "Hi")


def test_one_word_json_segments_are_grouped_into_cues(tmp_path):
    words = ("Hello and welcome. This is the show. " * 3).split()
    segments = [
        {"speaker": "Host", "startTime": i * 0.5, "endTime": i * 0.5 + 0.4, "body": w} for i, w in enumerate(words)
    ]
    transcript = read_transcript(write(tmp_path, "t.json", json.dumps({"version": "1.0.0", "segments": segments})))
    assert [c.text for c in transcript.cues] == ["Hello and welcome.", "This is the show."] * 3
    assert transcript.cues[1].start_ms == 1500 and transcript.cues[1].end_ms == 3400
    assert len(transcript.cues[1].words) == 4


def test_whisper_json_and_bare_word_lists(tmp_path):
    whisper = {
        "text": " Hi Ana.",
        "segments": [
            {
                "id": 0,
                "start": 0.0,
                "end": 1.2,
                "text": " Hi there.",
                "words": [{"start": 0.0, "end": 0.5, "word": " Hi"}, {"start": 0.5, "end": 1.2, "word": " there."}],
            }
        ],
    }
    transcript = read_transcript(write(tmp_path, "whisper.json", json.dumps(whisper)))
    assert transcript.cues == (Cue(0, 1200, "Hi there.", None, (Word(0, 500, "Hi"), Word(500, 1200, "there."))),)
    bare = {
        "words": [
            {"start": 0.1, "end": 0.4, "word": "Good"},
            {"start": 0.4, "end": 0.9, "word": "morning."},
            {"start": 1.0, "end": 1.3, "word": "Welcome."},
        ]
    }
    cues = read_transcript(write(tmp_path, "words.json", json.dumps(bare))).cues
    assert [(c.start_ms, c.end_ms, c.text, len(c.words)) for c in cues] == [
        (100, 900, "Good morning.", 2),
        (1000, 1300, "Welcome.", 1),
    ]


def test_script_and_plain_text_are_untimed(tmp_path):
    script = read_transcript(
        write(tmp_path, "script.txt", "Host: Welcome back.\nIt is good to see you.\n\nGuest: Thank you.\n")
    )
    assert not script.timed
    assert [(c.speaker, c.text) for c in script.cues] == [
        ("Host", "Welcome back. It is good to see you."),
        ("Guest", "Thank you."),
    ]
    text = read_transcript(write(tmp_path, "notes.txt", "First paragraph\nwraps here.\n\nSecond one at 10:30.\n"))
    assert [(c.speaker, c.text, c.line) for c in text.cues] == [
        (None, "First paragraph wraps here.", 1),
        (None, "Second one at 10:30.", 4),
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.vtt", VTT, "vtt"),
        ("a.txt", VTT, "vtt"),  # content beats the extension
        ("a.srt", SRT, "srt"),
        ("transcript", SRT, "srt"),
        ("a.json", '{"segments": []}', "json"),
        ("a.txt", '{"segments": []}', "json"),
        ("a.txt", "Host: Hi.\nGuest: Hello.", "script"),
        ("a.md", "Words, words.\n\nMore words.", "text"),
    ],
)
def test_detect_format(name, text, expected):
    assert detect_format(Path(name), text) == expected


# --- malformed input: each error names the file and the line ------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        (
            "bad.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:0x,000 --> 00:00:03,000\nYo\n",
            6,
            "broken cue timing",
        ),
        ("bad.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.00\nHi\n", 3, "broken cue timing"),
        ("bad.vtt", "00:00:01.000 --> 00:00:02.000\nHi\n", 1, "WEBVTT header"),
        (
            "bad.srt",
            "1\n00:00:01,000 --> 00:00:03,000\nHi\n\n2\n00:00:02,000 --> 00:00:04,000\nYo\n",
            6,
            "starts before the previous cue ends",
        ),
        ("bad.vtt", "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nHi\n", 3, "before it starts"),
        ("bad.json", '{"segments": [\n {"startTime": -1.0, "endTime": 2.0, "body": "Hi"}\n]}', 2, "negative time"),
        ("bad.json", '{"segments": [\n {"startTime": 1.0, "endTime": "soon", "body": "Hi"}\n]}', 2, "must be a number"),
        ("bad.json", '{"segments": [\n {"startTime": 1.0, "endTime": 2.0, "body": "Hi"},\n]}', 3, "not valid JSON"),
        (
            "bad.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n\n00:00:03.000 -> 00:00:04.000\nYo\n",
            6,
            "no cue timing line",
        ),
        (
            "bad.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nHi\n\nstray words\n\n2\n00:00:03,000 --> 00:00:04,000\nYo\n",
            5,
            "no cue timing line",
        ),
        (
            "late.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:09,000 --> 00:00:11,000\nYo\n",
            6,
            "after the audio ends",
        ),
    ],
)
def test_malformed_transcripts_name_file_and_line(tmp_path, name, text, line, words):
    path = write(tmp_path, name, text)
    with pytest.raises(TranscriptInvalid) as caught:
        check_timing(read_transcript(path), path, duration_s=10.0)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message
    assert " — " in message  # and says how to fix it


def test_empty_transcript_is_an_error(tmp_path):
    with pytest.raises(TranscriptInvalid, match="has no text"):
        read_transcript(write(tmp_path, "empty.txt", "\n\n"))


# --- rendering ----------------------------------------------------------------------------------

LONG = (
    "This is a long answer that goes on for quite a while, far longer than one caption can hold "
    "on a small phone screen, so it has to be split into several captions."
)


def test_captions_respect_two_lines_of_42_characters():
    words = tuple(Word(i * 300, i * 300 + 250, w) for i, w in enumerate(LONG.split()))
    transcript = Transcript(
        (Cue(0, words[-1].end_ms, LONG, "A Very Long Speaker Name", words), Cue(20000, 21000, "Short reply.", "Guest"))
    )
    for prefix in (False, True):
        parts = captions(transcript, speaker_prefix=prefix)
        assert len(parts) > 2
        assert all(
            1 <= len(c.lines) <= MAX_LINES and all(len(line) <= MAX_LINE_CHARS for line in c.lines) for c in parts
        )
        assert all(a.end_ms <= b.start_ms for a, b in zip(parts, parts[1:]))
        assert parts[0].start_ms == 0 and parts[-2].end_ms == words[-1].end_ms
    vtt = render_vtt(transcript)
    assert all(
        len(line) <= MAX_LINE_CHARS
        for line in vtt.replace("<v A Very Long Speaker Name>", "").replace("<v Guest>", "").splitlines()
    )
    srt_text = render_srt(transcript)
    assert srt_text.count("A Very Long Speaker Name:") == 1 and srt_text.count("Guest:") == 1
    assert all(len(line) <= MAX_LINE_CHARS for line in srt_text.splitlines())
    # Word timings place the split: the second caption starts on its first word's time.
    second = captions(transcript)[1]
    first_word = second.lines[0].split()[0]
    assert any(w.start_ms == second.start_ms and w.text == first_word for w in words)


def test_text_html_and_json_renderings():
    transcript = Transcript(
        (
            Cue(0, 1000, "Hello <there>.", "Host"),
            Cue(1000, 2000, "Still me.", "Host"),
            Cue(2500, 3000, "Hi & bye.", "Guest"),
        )
    )
    assert render_txt(transcript) == "Host: Hello <there>. Still me.\n\nGuest: Hi & bye.\n"
    page = render_html(transcript, title="Episode <1>", language="en-GB")
    assert '<html lang="en-GB">' in page and "<title>Transcript: Episode &lt;1&gt;</title>" in page
    assert '<cite>Host:</cite>\n<time datetime="PT0.000S">0:00</time>\n<p>Hello &lt;there&gt;. Still me.</p>' in page
    assert '<cite>Guest:</cite>\n<time datetime="PT2.500S">0:02</time>\n<p>Hi &amp; bye.</p>' in page
    assert "<v Host>Hello &lt;there&gt;." in render_vtt(transcript)
    segments = json.loads(render_json(transcript))["segments"]
    assert segments[2] == {"speaker": "Guest", "startTime": 2.5, "endTime": 3.0, "body": "Hi & bye."}


# --- round trips --------------------------------------------------------------------------------

SPEAKERS = ["Host", "Guest", "Dr Lee"]
WORDS = ["hello", "river", "garden", "music", "Tuesday", "walk", "it's", "café", "42", "well,", "yes."]


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    """Cues that fit one caption (so no format has to split them), all named or all unnamed."""
    named = draw(st.booleans())
    cues, clock = [], 0
    for _ in range(draw(st.integers(1, 8))):
        clock += draw(st.integers(0, 5000))
        length = draw(st.integers(1, 20000))
        text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)))
        speaker = draw(st.sampled_from(SPEAKERS)) if named else None
        cues.append(Cue(clock, clock + length, text, speaker))
        clock += length
    return Transcript(tuple(cues))


def _reparse(transcript: Transcript, tmp: Path) -> dict[str, Transcript]:
    return {
        "vtt": parse_vtt(render_vtt(transcript), tmp / "t.vtt"),
        "srt": parse_srt(render_srt(transcript), tmp / "t.srt"),
        "json": parse_json(render_json(transcript), tmp / "t.json"),
    }


@settings(max_examples=60, deadline=None)
@given(transcripts())
def test_round_trips_keep_millisecond_times_and_speakers(transcript):
    tmp = Path("roundtrip")
    for fmt, again in _reparse(transcript, tmp).items():
        assert again == transcript, fmt
        # ... and onwards through every other format.
        for other, twice in _reparse(again, tmp).items():
            assert twice == transcript, (fmt, other)


def test_round_trip_keeps_words_in_json(tmp_path):
    cue = Cue(1001, 2999, "Hello there", "Host", (Word(1001, 1500, "Hello"), Word(1600, 2999, "there")))
    assert parse_json(render_json(Transcript((cue,))), tmp_path / "t.json").cues == (cue,)


def test_parse_transcript_round_trips_text_and_script(tmp_path):
    script = Transcript((Cue(0, 0, "Hello there.", "Host"), Cue(0, 0, "Hi.", "Guest")), timed=False)
    assert parse_transcript(render_txt(script), tmp_path / "t.txt") == script


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text(alphabet="abcdefghij ,.'", min_size=1, max_size=60), min_size=1, max_size=12),
    st.integers(0, 100000),
    st.integers(1, 60000),
    st.sampled_from([None, "Host", "Dr Lee Smith"]),
    st.booleans(),
)
def test_captions_always_fit_and_stay_inside_their_cue(pieces, start, length, speaker, with_words):
    text = " ".join(" ".join(pieces).split()) or "x"
    count = len(text.split())
    step = max(length // count, 1)
    words = (
        tuple(Word(start + i * step, start + i * step + step // 2, w) for i, w in enumerate(text.split()))
        if with_words
        else ()
    )
    cue = Cue(start, start + max(length, step * count), text, speaker, words)
    for prefix in (False, True):
        parts = captions(Transcript((cue,)), speaker_prefix=prefix)
        assert all(
            1 <= len(c.lines) <= MAX_LINES and all(len(line) <= MAX_LINE_CHARS for line in c.lines) for c in parts
        )
        assert parts[0].start_ms == cue.start_ms and parts[-1].end_ms == cue.end_ms
        assert all(cue.start_ms <= c.start_ms <= c.end_ms <= cue.end_ms for c in parts)
        assert all(a.end_ms <= b.start_ms for a, b in zip(parts, parts[1:]))
        shown = "".join("".join(c.lines) for c in parts).replace(" ", "")
        expected = (f"{speaker}: {text}" if prefix and speaker else text).replace(" ", "")
        assert shown == expected  # every character shown, in order (over-long words are cut, not lost)
