"""Bleep and mute: listed names are covered in the audio exactly where the word timestamps put them.

The programme is a 440 Hz tone standing in for speech, so "is there a bleep here?" is
"is there 1 kHz energy here?" and "is the speech gone?" is "is there 440 Hz energy?",
both measured with real ffmpeg (narrow band-pass, then astats) on the output MP3.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest
from conftest import make_audio
from safeguarding_helpers import add_episode, copy_built_demo, write_redactions

from podcast.audio.clips import cut_clip
from podcast.audio.filters import RenderSettings
from podcast.audio.runner import ffmpeg_exe
from podcast.build.censor import censor_audio
from podcast.safeguarding.censor import BLEEP_HZ, CensorPlan, censor_regions
from podcast.show.redactions import parse_redactions

NAMES = parse_redactions("Ana\n= Jordan Example => Sam\n")  # as write_redactions() writes it
SETTINGS = RenderSettings(loudness_lufs=-16.0, true_peak_dbtp=-1.0, channels=1, bitrate_kbps=96, sample_rate_hz=44100)
WORDS = [(0.5, 1.0, "hello"), (2.0, 2.6, "Aña's"), (3.5, 4.0, "Jordan"), (4.0, 4.5, "Example"), (5.0, 5.5, "bye")]
PRESENT_DB = -45.0  # a tone at -10..-12 dBFS measures about -33 dB through the triple band-pass
ABSENT_DB = -80.0


def band_level_db(path: Path, start: float, duration: float, hz: int) -> float:
    """RMS level (dB) of ``path`` between start and start+duration, in a narrow band around ``hz``."""
    bandpass = ",".join([f"bandpass=f={hz}:width_type=q:width=10"] * 3)
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-ss",
        f"{start:.3f}",
        "-t",
        f"{duration:.3f}",
        "-i",
        str(path),
        "-af",
        f"{bandpass},astats",
        "-f",
        "null",
        "-",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    return float(re.findall(r"RMS level dB: (\S+)", result.stderr)[-1])


def tone_power(samples: list[int], rate: int, hz: float) -> float:
    """Power of ``samples`` at ``hz`` (Goertzel), in squared sample units (compare two frequencies of one clip)."""
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / len(samples) ** 2


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    return copy_built_demo(built_demo, tmp_path)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(
        tmp_path_factory.mktemp("censor") / "speech.mp3", source="sine=frequency=440:duration=6", filters="volume=-10dB"
    )


def test_regions_cover_each_spoken_name():
    assert censor_regions(WORDS, NAMES) == [(1.95, 2.65), (3.45, 4.55)]
    assert censor_regions(WORDS, parse_redactions("")) == []


def test_a_first_name_or_surname_spoken_alone_is_covered():
    words = [(0.5, 1.0, "Marigold's"), (1.0, 1.5, "dog"), (2.0, 2.5, "met"), (2.5, 3.0, "Featherstone")]
    assert censor_regions(words, parse_redactions("Marigold Featherstone => Jess")) == [(0.45, 1.05), (2.45, 3.05)]


def test_bleep_puts_1khz_exactly_over_the_names(speech, tmp_path):
    plan = CensorPlan("bleep", tuple(censor_regions(WORDS, NAMES)))
    out = tmp_path / "bleeped.mp3"
    censor_audio(speech, out, plan, SETTINGS)
    for start, end in plan.regions:
        assert band_level_db(out, start + 0.05, end - start - 0.1, 1000) > PRESENT_DB  # the bleep
        assert band_level_db(out, start + 0.05, end - start - 0.1, 440) < ABSENT_DB  # the word is gone
        assert band_level_db(out, start + 0.03, 0.1, 1000) > PRESENT_DB  # starts on time ...
        assert band_level_db(out, start - 0.2, 0.15, 1000) < ABSENT_DB  # ... not before
        assert band_level_db(out, end + 0.05, 0.15, 1000) < ABSENT_DB  # and stops on time
    for start, end in [(0.3, 1.4), (4.8, 5.8)]:  # everything else untouched
        assert band_level_db(out, start, end - start, 1000) < ABSENT_DB
        assert band_level_db(out, start, end - start, 440) > PRESENT_DB


def test_listen_back_clips_hear_the_bleep_over_each_name(speech, tmp_path):
    """A clip cut (with pydub) from inside each bleeped region is the 1 kHz tone at its level, not the speech."""
    plan = CensorPlan("bleep", tuple(censor_regions(WORDS, NAMES)))
    out = tmp_path / "bleeped.mp3"
    censor_audio(speech, out, plan, SETTINGS)
    for start, end in plan.regions:
        clip = cut_clip(out, start + 0.05, end - start - 0.1)
        assert clip.frame_rate == SETTINGS.sample_rate_hz and clip.channels == 1
        assert abs(len(clip) - round((end - start - 0.1) * 1000)) <= 30  # milliseconds
        samples = list(clip.get_array_of_samples())
        bleep, word = tone_power(samples, clip.frame_rate, BLEEP_HZ), tone_power(samples, clip.frame_rate, 440)
        assert bleep > 1000 * word  # 30 dB: the tone, and nothing of the name under it
        assert clip.dBFS > -40.0  # heard, not a near-silence that happens to be mostly 1 kHz
    untouched = cut_clip(out, 0.3, 1.1)  # before the first name: the speech, no tone
    samples = list(untouched.get_array_of_samples())
    assert tone_power(samples, untouched.frame_rate, 440) > 1000 * tone_power(samples, untouched.frame_rate, BLEEP_HZ)


def test_mute_silences_the_names_without_a_tone(speech, tmp_path):
    plan = CensorPlan("mute", tuple(censor_regions(WORDS, NAMES)))
    out = tmp_path / "muted.mp3"
    censor_audio(speech, out, plan, SETTINGS)
    for start, end in plan.regions:
        assert band_level_db(out, start + 0.05, end - start - 0.1, 440) < ABSENT_DB
        assert band_level_db(out, start + 0.05, end - start - 0.1, 1000) < ABSENT_DB
    assert band_level_db(out, 0.3, 1.1, 440) > PRESENT_DB


def test_build_bleeps_names_from_a_word_timed_transcript(show, tmp_path, monkeypatch, cli):
    """End to end: episode.toml names a JSON transcript with word timings; the built MP3 is bleeped there."""
    write_redactions(tmp_path, monkeypatch)
    master = make_audio(tmp_path / "master.wav", source="sine=frequency=440:duration=6", filters="volume=-20dB")
    folder = add_episode(show, "episode-1", master, number=1, transcript="words.json")
    words = [{"start": s, "end": e, "word": w} for s, e, w in WORDS]
    (folder / "words.json").write_text(json.dumps({"words": words}, ensure_ascii=False), encoding="utf-8")

    result = cli("-C", show, "--json", "build", "episode-1")
    assert result.exit_code == 0, result.stderr
    mp3 = show / "build" / "episode-1" / "episode-1.mp3"
    assert band_level_db(mp3, 2.0, 0.6, 1000) > PRESENT_DB
    assert band_level_db(mp3, 3.5, 1.0, 1000) > PRESENT_DB
    assert band_level_db(mp3, 0.3, 1.3, 1000) < ABSENT_DB
    assert band_level_db(mp3, 0.3, 1.3, 440) > PRESENT_DB

    again = json.loads(cli("-C", show, "--json", "build", "episode-1").stdout)["episodes"][0]
    assert again["audio_rebuilt"] is False and again["tags_rewritten"] is False  # same plan: no work at all

    toml = show / "podcast.toml"
    toml.write_text(toml.read_text() + '\n[safeguarding]\naudio = "mute"\n')
    muted = json.loads(cli("-C", show, "--json", "build", "episode-1").stdout)["episodes"][0]
    # A new plan renders again: the names are hidden inside the loudness pass, so the MP3 lands on target.
    assert muted["audio_rebuilt"] is True and muted["tags_rewritten"] is True
    assert abs(muted["loudness"]["after"]["integrated_lufs"] + 16.0) <= 0.5
    assert band_level_db(mp3, 2.0, 0.6, 1000) < ABSENT_DB
    assert band_level_db(mp3, 2.0, 0.6, 440) < ABSENT_DB
    status = {row["slug"]: row["build"] for row in json.loads(cli("-C", show, "--json", "status").stdout)["episodes"]}
    assert status["episode-1"] == "built"

    (folder / "words.json").write_text(json.dumps({"words": words[:1]}), encoding="utf-8")  # no names spoken now
    status = {row["slug"]: row["build"] for row in json.loads(cli("-C", show, "--json", "status").stdout)["episodes"]}
    assert status["episode-1"] == "stale"
    plain = json.loads(cli("-C", show, "--json", "build", "episode-1").stdout)["episodes"][0]
    assert plain["audio_rebuilt"] is True
    assert band_level_db(mp3, 2.0, 0.6, 440) > PRESENT_DB


def test_a_name_in_a_transcript_without_word_timings_that_cannot_be_located_refuses_until_signed_off(
    show, tmp_path, monkeypatch, cli
):
    """The demo trailer is music: the SRT's listed name cannot be placed on the audio, so nothing is
    published until a producer listens and signs the passage off (kept in episode.toml, audited)."""
    write_redactions(tmp_path, monkeypatch)
    folder = show / "episodes" / "trailer"
    (folder / "transcript.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nHello.\n\n2\n00:00:03,000 --> 00:00:05,000\nAña said hi.\n", encoding="utf-8"
    )
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'transcript = "transcript.srt"\nguid ='))
    built = (show / "build" / "trailer" / "trailer.mp3").read_bytes()
    result = cli("-C", show, "build", "trailer")
    assert result.exit_code == 1, result.stderr
    assert "cannot be located" in result.stderr and "list line 1" in result.stderr
    assert "Aña" not in result.stderr and "Ana" not in result.stderr
    assert (show / "build" / "trailer" / "trailer.mp3").read_bytes() == built  # the old build, not re-tagged

    toml.write_text(toml.read_text() + '\n[[safeguarding.signoff]]\nat = "00:00:00"\nline = 1\nby = "Sam (producer)"\n')
    result = cli("-C", show, "build", "trailer")
    assert result.exit_code == 0, result.stderr
    audit = [json.loads(line) for line in (show / "safeguarding" / "audit.log").read_text().splitlines()]
    assert [(r["action"], r["slug"], r["line"], r["by"]) for r in audit] == [
        ("signoff", "trailer", 1, "Sam (producer)")
    ]
    bleeps = json.loads((show / "build" / "trailer" / "bleeps.json").read_text())
    assert bleeps["signed_off"] == [{"start": 0.0, "line": 1, "how": "unlocated", "by": "Sam (producer)"}]
    cli("-C", show, "build", "trailer")
    assert len((show / "safeguarding" / "audit.log").read_text().splitlines()) == 1  # recorded once
