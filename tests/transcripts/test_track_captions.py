"""Captions from separate speaker tracks that deaf and hard-of-hearing listeners can follow: split at each
track's pauses, merged in time order, no overlap, no zero-length cue, at most 2 lines of 42 characters;
the same checks on generated transcripts as on supplied ones, and `validate` flags overlapping cues."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import corpus
import pytest

from podcast.audio.runner import ffmpeg_exe
from podcast.errors import TranscriptInvalid
from podcast.transcripts.model import Cue, Transcript, Word
from podcast.transcripts.readers import read_transcript
from podcast.transcripts.renderers import captions, render_srt, render_vtt
from podcast.transcripts.timing import caption_problems, check_timing, tidy_generated
from podcast.validate.captions import cue_problems


def words(start_ms: int, text: str, step: int = 400) -> tuple[Word, ...]:
    return tuple(Word(start_ms + i * step, start_ms + (i + 1) * step - 50, w) for i, w in enumerate(text.split()))


def cue(speaker: str, *pieces: tuple[int, str]) -> Cue:
    """One transcriber segment made of word runs at the given times (as VAD joins speech over silences)."""
    ws = tuple(w for start, text in pieces for w in words(start, text))
    return Cue(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), speaker, ws)


# What the producer saw: one host segment from 6.1 s to 28.5 s spanning the guest's answers, a guest
# segment that starts where a host word starts, and a zero-length cue.
HOST = [
    cue("Host", (0, "Welcome back to the show.")),
    cue("Host", (6100, "So tell me how it started."), (26500, "Thank you, that was very helpful.")),
]
GUEST = [
    cue("Guest", (9000, "It started in the spring when the garden group met.")),
    cue("Guest", (14000, "We planted roses and then the tomatoes came up as well, which surprised everyone.")),
    Cue(20000, 20000, "Yes.", "Guest", (Word(20000, 20000, "Yes."),)),
]


def test_generated_track_cues_are_split_at_pauses_and_pass_the_cue_checks():
    merged = tidy_generated(Transcript(tuple(HOST + GUEST)))
    assert cue_problems(merged.cues) == []
    for prefixed in (False, True):
        assert caption_problems(captions(merged, speaker_prefix=prefixed)) == []
    host = [c for c in merged.cues if c.speaker == "Host"]
    assert [(c.start_ms, c.text) for c in host][1:] == [
        (6100, "So tell me how it started."),
        (26500, "Thank you, that was very helpful."),
    ]
    assert [c.speaker for c in merged.cues] == ["Host", "Host", "Guest", "Guest", "Guest", "Host"]
    assert "Yes." in " ".join(c.text for c in merged.cues)  # the short cue kept its words
    # Rendered and read back, the published captions keep the order too.
    for rendered in (render_vtt(merged), render_srt(merged)):
        assert "-->" in rendered


def test_the_old_merge_failed_the_checks():
    """Without the split, the host's long segment overlaps the guest's captions (the reported bug)."""
    from podcast.transcripts.timing import resolve_overlaps

    naive = Transcript(tuple(resolve_overlaps(HOST + GUEST)))
    assert caption_problems(captions(naive)) or cue_problems(naive.cues)


def test_caption_checks_name_each_problem():
    from podcast.transcripts.model import Caption

    bad = [
        Caption(0, 3000, ("ok",), None),
        Caption(2000, 2000, ("a", "b", "c"), None),
        Caption(1000, 1500, ("z",), None),
    ]
    problems = caption_problems(bad)
    assert any("starts before the previous one ends" in p for p in problems)
    assert any("has no length" in p for p in problems)
    assert any("has 3 lines (at most 2)" in p for p in problems)
    assert any("out of time order" in p for p in problems)


def test_a_supplied_zero_length_cue_is_refused_with_its_line(tmp_path):
    path = tmp_path / "t.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n2\n00:00:03,000 --> 00:00:03,000\nGone.\n")
    with pytest.raises(TranscriptInvalid, match=r"t.srt:\d+: cue 2 \(00:00:03.000\) has no length"):
        check_timing(read_transcript(path), path)


def test_validate_flags_overlapping_cues(demo_show, cli):
    episode = demo_show / "episodes" / "trailer"
    (episode / "transcript.srt").write_text(
        "1\n00:00:01,000 --> 00:00:09,000\nWelcome to the show.\n\n2\n00:00:05,000 --> 00:00:07,000\nHello.\n",
        encoding="utf-8",
    )
    toml = episode / "episode.toml"
    toml.write_text('transcript = "transcript.srt"\n' + toml.read_text(), encoding="utf-8")
    result = cli("-C", demo_show, "--json", "validate")
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "transcript-cues"]
    assert len(found) == 1 and found[0]["severity"] == "error"
    assert found[0]["where"] == "episodes/trailer/transcript.srt"
    assert "cue 2 (00:00:05.000) starts before cue 1 ends (00:00:09.000)" in found[0]["message"]
    assert result.exit_code == 1


def place(path: Path, lines: list[tuple[float, str]], *, voice: str, length_s: float) -> Path:
    """One speaker's track: each line spoken (espeak-ng) at its time, silence between, ``length_s`` long."""
    parts = []
    for index, (at, text) in enumerate(lines):
        parts.append((at, corpus.speak(path.with_name(f"{path.stem}-{index}.wav"), text, voice=voice)))
    inputs = [arg for _, clip in parts for arg in ("-i", str(clip))]
    delays = ";".join(f"[{i}:a]adelay={int(at * 1000)}:all=1[d{i}]" for i, (at, _) in enumerate(parts))
    mix = (
        "".join(f"[d{i}]" for i in range(len(parts)))
        + f"amix=inputs={len(parts)}:normalize=0,apad=whole_dur={length_s}"
    )
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            f"{delays};{mix}",
            "-ar",
            "44100",
            "-ac",
            "1",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.mark.slow
def test_a_multi_track_build_writes_captions_that_pass_the_cue_checks(demo_show, cli):
    """The multi-track example: the host speaks, the guest answers, the host speaks again much later."""
    episode = demo_show / "episodes" / "trailer"
    place(
        episode / "host.wav",
        [(0.5, "Welcome to the garden show."), (13.0, "Thank you, that was lovely.")],
        voice=corpus.VOICES[0],
        length_s=17,
    )
    place(
        episode / "guest.wav",
        [(4.0, "I grow roses and tomatoes in my small garden every summer.")],
        voice=corpus.VOICES[1],
        length_s=17,
    )
    toml = episode / "episode.toml"
    toml.write_text(
        toml.read_text().replace('audio = "master.flac"\n', "")
        + '\n[[tracks]]\nfile = "host.wav"\nspeaker = "Host"\n\n[[tracks]]\nfile = "guest.wav"\nspeaker = "Guest"\n'
    )
    with (demo_show / "podcast.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[transcripts]\nauto = true\n")
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 0, result.stderr
    built = demo_show / "build" / "trailer"
    vtt = (built / "transcript.vtt").read_text(encoding="utf-8")
    cues = read_transcript(built / "transcript.vtt").cues
    assert cue_problems(cues) == [], vtt
    assert cue_problems(read_transcript(built / "transcript.srt").cues) == []
    for block in vtt.split("\n\n")[1:]:
        text = [line for line in block.splitlines()[1:] if line]
        assert 1 <= len(text) <= 2 and all(
            len(line.removeprefix("<v Host>").removeprefix("<v Guest>")) <= 42 for line in text
        ), block
    host = [c for c in cues if c.speaker == "Host"]
    assert host[0].end_ms <= 4500 and host[-1].start_ms >= 12000, vtt  # not one cue spanning the guest
    speakers = [c.speaker for c in cues]
    assert speakers[0] == "Host" and "Guest" in speakers and speakers[-1] == "Host", vtt
    # Each track brought to the others' loudness before the mix, and listed in the report.
    tracks = json.loads((built / "build.json").read_text())["loudness"]["tracks"]
    assert [(t["file"], t["speaker"]) for t in tracks] == [("host.wav", "Host"), ("guest.wav", "Guest")]
    levelled = [t["before_lufs"] + t["gain_db"] for t in tracks]
    assert abs(levelled[0] - levelled[1]) < 0.1
    assert "host.wav (Host, gain" in result.stdout and "guest.wav (Guest, gain" in result.stdout
