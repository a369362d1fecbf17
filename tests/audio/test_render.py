"""The closed loop's plain-gain branch (podcast.audio.render.render_episode_audio).

When the scout's excerpts see no peak worth a limiter, the programme's loudness at
unity gain is metered instead of calibrating the limiter, and the gain is planned
from it. Peaks the excerpts missed can still bring the limiter in afterwards; that
path reads the unity loudness *and* then calibrates, so it is tested on its own here.
"""

from __future__ import annotations

from pathlib import Path

import corpus

from podcast.audio import render
from podcast.audio.filters import RenderSettings
from podcast.audio.loudness import SCOUT_EXCERPT_S, SCOUT_EXCERPTS, measure_loudness
from podcast.audio.render import ACCEPT_LU, render_episode_audio

MONO = RenderSettings(loudness_lufs=-16.0, true_peak_dbtp=-1.0, channels=1, bitrate_kbps=96, sample_rate_hz=44100)
LENGTH_S = 150.0  # longer than the scout reads whole, so it reads excerpts
BURST_AT_S = 6.0  # between the first two excerpts, so the scout never sees it


def quiet_tone_with_a_hidden_burst(path: Path) -> Path:
    """A tone at -30 dBFS with a 0.1 s full-scale burst where no scout excerpt looks."""
    corpus.ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"aevalsrc=0.0316*sin(2*PI*440*t)+between(t\\,{BURST_AT_S}\\,{BURST_AT_S + 0.1})*0.96*sin(2*PI*1000*t)"
        f":s=44100:d={LENGTH_S}",
        "-c:a",
        "pcm_s16le",
        str(path),
    )
    return path


def test_peaks_the_scout_missed_bring_in_the_limiter_after_a_plain_gain(tmp_path, monkeypatch):
    """Scout says no limiter; the full analysis finds the burst; the gain is calibrated through the limiter."""
    assert LENGTH_S > 2 * SCOUT_EXCERPTS * SCOUT_EXCERPT_S  # else the scout reads it all and sees the burst
    source = quiet_tone_with_a_hidden_burst(tmp_path / "burst.wav")
    scouted: list[tuple[float, float] | None] = []
    real_scout = render.scout_trials

    def spy(*args, **kwargs):  # the real scout, its answer recorded
        scouted.append(real_scout(*args, **kwargs))
        return scouted[-1]

    monkeypatch.setattr(render, "scout_trials", spy)
    output = tmp_path / "out.mp3"
    report = render_episode_audio([source], output, MONO)

    assert scouted == [None], "the scout saw the burst: this test no longer reaches the plain-gain branch"
    assert report.limited
    assert report.calibrations >= 1
    assert any(step["stage"] == 0.0 for step in report.history)  # the limiter was calibrated
    stats = measure_loudness(output)
    assert abs(stats["integrated_lufs"] - MONO.loudness_lufs) <= ACCEPT_LU
    assert stats["true_peak_dbtp"] <= MONO.true_peak_dbtp


def test_plain_gain_without_a_limiter(tmp_path):
    """No peaks near the ceiling anywhere: the unity loudness alone sets the gain, no limiter."""
    source = tmp_path / "tone.wav"
    corpus.ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=5:sample_rate=44100,volume=-30dB",
        "-c:a",
        "pcm_s16le",
        str(source),
    )
    report = render_episode_audio([source], tmp_path / "out.mp3", MONO)
    assert not report.limited
    assert report.calibrations == 0
    assert abs(report.after["integrated_lufs"] - MONO.loudness_lufs) <= ACCEPT_LU
