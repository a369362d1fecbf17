"""Listen-back clips with pydub (podcast.audio.clips): our ffmpeg, no ffprobe needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_audio

from podcast.audio.clips import cut_clip
from podcast.audio.runner import ffmpeg_exe
from podcast.errors import AudioInvalid


@pytest.fixture(scope="module")
def mp3_tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("clips") / "tone.mp3", source="sine=frequency=440:duration=6", filters="")


@pytest.fixture
def only_our_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PODCAST_FFMPEG is a wrapper that logs each call; PATH holds no ffmpeg and no ffprobe."""
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "our-ffmpeg"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {ffmpeg_exe()} "$@"\n')
    wrapper.chmod(0o755)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PODCAST_FFMPEG", str(wrapper))
    monkeypatch.setenv("PATH", str(empty))
    return log


def test_mp3_clip_is_decoded_by_our_ffmpeg_without_ffprobe(mp3_tone, only_our_ffmpeg):
    clip = cut_clip(mp3_tone, 2.0, 1.5)
    assert len(clip) == 1500  # milliseconds
    assert (clip.frame_rate, clip.channels) == (44100, 1)
    assert clip.dBFS > -40.0  # the tone, not silence
    calls = only_our_ffmpeg.read_text().splitlines()
    assert any("-ss 2.0" in call and "-t 1.5" in call for call in calls), calls  # pydub's decode ran our ffmpeg


def test_wav_clip(tmp_path, only_our_ffmpeg):
    wav = make_audio(tmp_path / "tone.wav", source="sine=frequency=440:duration=4", filters="")
    clip = cut_clip(wav, 1.0, 2.0)
    assert len(clip) == 2000
    assert clip.dBFS > -40.0


def test_a_clip_past_the_end_runs_short(mp3_tone):
    assert len(cut_clip(mp3_tone, 5.0, 3.0)) == pytest.approx(1000, abs=60)


def test_not_audio_is_one_clear_error(tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not audio")
    with pytest.raises(AudioInvalid, match="notes.mp3"):
        cut_clip(text, 0.0, 1.0)
    with pytest.raises(AudioInvalid, match="not found"):
        cut_clip(tmp_path / "missing.mp3", 0.0, 1.0)
