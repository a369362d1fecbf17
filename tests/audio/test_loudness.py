"""Loudness on a generated corpus, re-measured on the real encoded MP3 by an independent meter.

Every render is checked with ffmpeg's ``ebur128=peak=true`` on the final file (not on PCM):
within ±0.5 LU of the show's target, true peak at or below its ceiling, the show's channels
and sample rate, and the input's duration within 25 ms. The corpus (tests/corpus.py) is
made once per session from espeak-ng speech and generated chords.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import replace
from pathlib import Path

import corpus
import pytest

from podcast.audio.filters import Limiter, RenderPlan, RenderSettings
from podcast.audio.loudness import analyse_part, analyse_source, measure_loudness, probe
from podcast.audio.render import encode_and_verify, render_episode_audio
from podcast.audio.runner import ffmpeg_exe
from podcast.errors import ExternalToolError

MONO = RenderSettings(loudness_lufs=-16.0, true_peak_dbtp=-1.0, channels=1, bitrate_kbps=96, sample_rate_hz=44100)
STEREO = RenderSettings(loudness_lufs=-16.0, true_peak_dbtp=-1.0, channels=2, bitrate_kbps=128, sample_rate_hz=48000)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, corpus.Clip]:
    return corpus.make_corpus(tmp_path_factory.mktemp("corpus"))


def decoded_seconds(path: Path) -> float:
    """Length as a player decodes it (gapless info honoured), from the decoded sample count."""
    info = probe(path)
    stderr = corpus.ffmpeg(
        "-i",
        str(path),
        "-af",
        "aformat=channel_layouts=mono,astats=measure_perchannel=none:measure_overall=Number_of_samples",
        "-f",
        "null",
        "-",
    )
    return int(float(re.findall(r"Number of samples:\s*([\d.]+)", stderr)[-1])) / info.sample_rate_hz


def passage_loudness(path: Path, start: float, end: float) -> float:
    """Integrated loudness of one passage (the short-term loudness over it, gated as BS.1770 gates)."""
    stderr = corpus.ffmpeg(
        "-ss", f"{start}", "-t", f"{end - start}", "-i", str(path), "-af", "ebur128=framelog=verbose", "-f", "null", "-"
    )
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", stderr)[-1])


def short_term_series(path: Path) -> list[float]:
    """ebur128's short-term (3 s) loudness every 100 ms."""
    stderr = corpus.ffmpeg("-i", str(path), "-af", "ebur128=framelog=info", "-f", "null", "-")
    return [float(value) for value in re.findall(r" S:\s*(-?[\d.]+)", stderr)]


def assert_delivers(output: Path, settings: RenderSettings, *, source_seconds: float | None) -> dict:
    stats = measure_loudness(output)
    assert abs(stats["integrated_lufs"] - settings.loudness_lufs) <= 0.5, stats
    assert stats["true_peak_dbtp"] <= settings.true_peak_dbtp, stats
    info = probe(output)
    assert info.codec == "mp3"
    assert (info.channels, info.sample_rate_hz) == (settings.channels, settings.sample_rate_hz)
    if source_seconds is not None:
        assert abs(decoded_seconds(output) - source_seconds) <= 0.025
    return dict(stats)


CASES = [
    ("quiet_speech", MONO),
    ("hot_clipped", MONO),
    ("interview", MONO),
    ("music_intro", MONO),
    ("wav_48k_24bit_stereo", MONO),
    ("mp3_stereo", MONO),
    ("m4a_aac_mono", MONO),
    ("flac_stereo", MONO),
    ("wav_48k_24bit_stereo", STEREO),
    ("m4a_aac_mono", STEREO),
    ("music_intro", STEREO),
]


@pytest.mark.parametrize(("name", "settings"), CASES, ids=[f"{n}-{s.channels}ch" for n, s in CASES])
def test_encoded_mp3_lands_on_target(clips, tmp_path, name, settings):
    clip = clips[name]
    output = tmp_path / "out.mp3"
    report = render_episode_audio([clip.path], output, settings)
    measured = assert_delivers(output, settings, source_seconds=decoded_seconds(clip.path))
    # The report's "after" is the meter's reading of the same encoded frames (streamed, so
    # without the gapless trim of the encoder's first and last few ms): one 0.1 LU step apart at most.
    assert abs(report.after["integrated_lufs"] - measured["integrated_lufs"]) <= 0.15
    # Its true peak is a 4x-oversampled estimate (ebur128=peak=true only near the ceiling): close to the meter's.
    assert abs(report.after["true_peak_dbtp"] - measured["true_peak_dbtp"]) <= 0.2
    assert report.before["integrated_lufs"] < report.after["integrated_lufs"] or name == "hot_clipped"
    assert not list(tmp_path.glob(".*.tmp")), "the temporary render was left behind"


def test_peak_near_the_ceiling_is_read_by_the_reference_meter(clips, tmp_path, caplog):
    """An encoded file whose cheap true-peak estimate is near the ceiling is re-read with ebur128=peak=true."""
    plan = RenderPlan(trims=(), crossfade_s=0.0, gain_db=12.0, limiter=Limiter(-1.2))
    output = tmp_path / "near.mp3"
    with caplog.at_level(logging.DEBUG, logger="podcast.audio"):
        stats = encode_and_verify([clips["hot_clipped"].path], output, MONO, plan, duration_s=8.0).after
    assert "checking with ebur128=peak=true" in caplog.text
    assert stats == measure_loudness(output)


def test_a_failing_encoder_is_reported_not_the_broken_pipe_it_leaves(clips, tmp_path, monkeypatch):
    """Feeder | encoder | meter: when the encoder dies, its own error is the one reported.

    (Its neighbours fail right after it, with a broken pipe or no input, saying nothing useful.)
    A fake ffmpeg injects the fault: the encoder reads a little of its input, then fails.
    """
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(
        '#!/bin/sh\ncase "$*" in *pipe:0*libmp3lame*) head -c 65536 >/dev/null; '
        'echo "lame: the encoder ran out of memory" >&2; exit 1;; esac\n'
        f'exec {ffmpeg_exe()} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PODCAST_FFMPEG", str(wrapper))
    plan = RenderPlan(trims=(), crossfade_s=0.0, gain_db=3.0, limiter=Limiter(-3.0))
    output = tmp_path / "out.mp3"
    with pytest.raises(ExternalToolError, match="the encoder ran out of memory"):
        encode_and_verify([clips["quiet_speech"].path], output, MONO, plan, duration_s=8.0)


def test_corpus_covers_the_contract(clips):
    """The inputs really are what the cases claim (so the accuracy tests test something)."""
    assert abs(corpus.loudness(clips["quiet_speech"].path) - -35.0) <= 0.5
    assert abs(corpus.loudness(clips["hot_clipped"].path) - -8.0) <= 1.0
    assert measure_loudness(clips["hot_clipped"].path)["true_peak_dbtp"] >= -0.1  # clipped flat at full scale
    voices = [passage_loudness(clips["interview"].path, a + 0.5, b - 0.5) for a, b, _ in clips["interview"].passages]
    assert voices[0] - voices[1] >= 8.0
    wav = probe(clips["wav_48k_24bit_stereo"].path)
    assert (wav.sample_rate_hz, wav.channels, wav.codec) == (48000, 2, "pcm_s24le")
    assert probe(clips["m4a_aac_mono"].path).codec == "aac"
    assert probe(clips["flac_stereo"].path).codec == "flac"


def test_static_fallback_ffmpeg_also_delivers(clips, tmp_path, monkeypatch):
    """imageio-ffmpeg's static build (ffmpeg 7+) is the fallback: same contract."""
    import imageio_ffmpeg

    monkeypatch.setenv("PODCAST_FFMPEG", imageio_ffmpeg.get_ffmpeg_exe())
    output = tmp_path / "out.mp3"
    render_episode_audio([clips["quiet_speech"].path], output, MONO)
    assert_delivers(output, MONO, source_seconds=decoded_seconds(clips["quiet_speech"].path))


def test_leveler_brings_quiet_voice_within_3_lu(clips, tmp_path):
    # At the EBU R128 broadcast target (-23 LUFS) a plain gain needs no limiter, so the
    # difference between the voices survives untouched unless the leveler closes it.
    clip, settings = clips["interview"], replace(MONO, loudness_lufs=-23.0)
    plain, levelled = tmp_path / "plain.mp3", tmp_path / "levelled.mp3"
    assert not render_episode_audio([clip.path], plain, settings).limited
    report = render_episode_audio([clip.path], levelled, replace(settings, leveler=True))
    assert report.leveler
    assert_delivers(levelled, settings, source_seconds=decoded_seconds(clip.path))

    def gap(path: Path) -> float:
        loud = [passage_loudness(path, a + 0.5, b - 0.5) for a, b, who in clip.passages if who == 0]
        quiet = [passage_loudness(path, a + 0.5, b - 0.5) for a, b, who in clip.passages if who == 1]
        return sum(loud) / len(loud) - sum(quiet) / len(quiet)

    assert gap(plain) >= 8.0  # a plain gain keeps the 10 dB difference ...
    assert abs(gap(levelled)) <= 3.0  # ... the leveler closes it


def test_leveler_does_not_pump_on_music(clips, tmp_path):
    """Sustained chords keep their short-term loudness: the leveler moves it less than 1 LU more than the source."""
    source = clips["music_intro"].path
    output = tmp_path / "music.mp3"
    render_episode_audio([source], output, replace(MONO, leveler=True))
    steady = slice(35, -10)  # skip the first 3 s (the short-term window filling) and the last fade
    before, after = short_term_series(source)[steady], short_term_series(output)[steady]
    assert max(after) - min(after) <= max(before) - min(before) + 1.0


def test_assembly_crossfades_and_trims_silence(clips, tmp_path):
    """intro music + padded speech + outro: silence at the ends cut to max_silence_s, crossfades overlap."""
    speech = tmp_path / "speech.wav"
    corpus.ffmpeg("-i", str(clips["m4a_aac_mono"].path), "-af", "adelay=4000:all=1,apad=pad_dur=3", str(speech))
    intro = clips["music_intro"].path
    settings = replace(MONO, crossfade_ms=1000, max_silence_s=1.0)
    output = tmp_path / "episode.mp3"
    report = render_episode_audio([intro, speech, intro], output, settings)
    intro_s, speech_s = decoded_seconds(intro), decoded_seconds(clips["m4a_aac_mono"].path)
    # Speech loses its 4 s lead and 3 s tail down to 0.5 s each side of a join; two 1 s crossfades overlap.
    lead_kept = trail_kept = 0.5
    expected = intro_s + (speech_s + lead_kept + trail_kept) + intro_s - 2 * 1.0
    assert report.trimmed_s >= 5.5
    assert abs(decoded_seconds(output) - expected) <= 0.35  # silence edges fall on 100 ms detection steps
    assert_delivers(output, settings, source_seconds=None)


def test_trailing_silence_is_trimmed_to_the_maximum(clips, tmp_path):
    padded = tmp_path / "padded.wav"
    corpus.ffmpeg("-i", str(clips["quiet_speech"].path), "-af", "adelay=3000:all=1,apad=pad_dur=5", str(padded))
    output = tmp_path / "out.mp3"
    render_episode_audio([padded], output, replace(MONO, max_silence_s=0.5))
    expected = decoded_seconds(clips["quiet_speech"].path) + 0.5 + 0.5
    assert abs(decoded_seconds(output) - expected) <= 0.3
    kept = tmp_path / "kept.mp3"
    render_episode_audio([padded], kept, replace(MONO, max_silence_s=None))
    assert abs(decoded_seconds(kept) - decoded_seconds(padded)) <= 0.025


# --- bad audio through the CLI ---------------------------------------------------------------


def _episode_with(show: Path, audio: Path) -> None:
    folder = show / "episodes" / "trailer"
    for old in folder.glob("master.*"):
        old.unlink()
    target = folder / f"master{audio.suffix}"
    shutil.copyfile(audio, target)
    manifest = folder / "episode.toml"
    text = re.sub(r"(?m)^audio = .*$", f'audio = "{target.name}"', manifest.read_text())
    manifest.write_text(text)


def _bad(kind: str, tmp_path: Path, clips: dict[str, corpus.Clip]) -> Path:
    if kind == "silence":
        path = tmp_path / "silence.wav"
        corpus.ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "5", str(path))
        return path
    if kind == "half_second":
        path = tmp_path / "short.wav"
        corpus.ffmpeg("-i", str(clips["quiet_speech"].path), "-t", "0.5", str(path))
        return path
    if kind == "corrupt":
        path = tmp_path / "corrupt.flac"
        data = bytearray(clips["flac_stereo"].path.read_bytes())
        for i in range(2000, len(data), 997):  # scribble over the frames, keep the header
            data[i] = (data[i] * 7 + 13) % 256
        path.write_bytes(bytes(data))
        return path
    if kind == "truncated_wav":
        path = tmp_path / "cut.wav"
        path.write_bytes(clips["quiet_speech"].path.read_bytes()[:100_000])
        return path
    if kind == "truncated_mp3":
        mp3 = tmp_path / "whole.mp3"
        corpus.ffmpeg("-i", str(clips["quiet_speech"].path), "-c:a", "libmp3lame", "-b:a", "96k", str(mp3))
        path = tmp_path / "cut.mp3"
        path.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 3])
        return path
    if kind == "not_audio":
        path = tmp_path / "notes.mp3"
        path.write_text("These are show notes saved with the wrong name.\n" * 50)
        return path
    if kind == "unsupported_codec":
        path = tmp_path / "odd.wav"
        data = bytearray(clips["quiet_speech"].path.read_bytes())
        data[20:22] = (0x1234).to_bytes(2, "little")  # a WAVE format tag no decoder knows
        path.write_bytes(bytes(data))
        return path
    raise AssertionError(kind)


BAD = ["silence", "half_second", "corrupt", "truncated_wav", "truncated_mp3", "not_audio", "unsupported_codec"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_audio_is_one_clear_error(kind, clips, demo_show, cli, tmp_path):
    _episode_with(demo_show, _bad(kind, tmp_path, clips))
    result = cli("-C", demo_show, "build")
    assert result.exit_code in (1, 3), (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: "), result.stderr
    assert "master" in errors[0] and " — " in errors[0]  # names the file and says how to fix it
    assert "Traceback" not in result.stderr + result.stdout
    leftovers = [p for p in (demo_show / "build").rglob("*") if p.is_file()] if (demo_show / "build").exists() else []
    assert leftovers == []


def test_build_reports_before_and_after(demo_show, cli):
    result = cli("-C", demo_show, "--json", "build")
    assert result.exit_code == 0, result.stderr
    loudness = json.loads(result.stdout)["episodes"][0]["loudness"]
    for side in ("before", "after"):
        assert set(loudness[side]) == {"integrated_lufs", "range_lu", "true_peak_dbtp"}
    assert abs(loudness["after"]["integrated_lufs"] - -16.0) <= 0.5
    assert loudness["renders"] >= 1 and "encoder_shift_lu" in loudness
    text = cli("-C", demo_show, "build", "trailer")
    assert "LUFS ->" in text.stdout and "dBTP" in text.stdout


def test_several_episodes_build_side_by_side(demo_show, cli, clips):
    """Two episodes, two workers: both built, in order, and both meet the target."""
    second = demo_show / "episodes" / "second"
    shutil.copytree(demo_show / "episodes" / "trailer", second)
    manifest = second / "episode.toml"
    text = manifest.read_text()
    text = re.sub(r"(?m)^guid = .*$", 'guid = "0b7e4f8a-2c1d-4e3f-8a9b-0c1d2e3f4a5b"', text)
    text = re.sub(r"(?m)^number = .*$", "number = 2", text)
    manifest.write_text(text)
    result = cli("-C", demo_show, "--json", "build")
    assert result.exit_code == 0, result.stderr
    episodes = json.loads(result.stdout)["episodes"]
    assert [e["slug"] for e in episodes] == ["second", "trailer"]
    for episode in episodes:
        assert abs(measure_loudness(demo_show / episode["mp3_path"])["integrated_lufs"] - -16.0) <= 0.5


def test_batch_builds_two_episodes_on_two_workers(demo_show):
    """build_episodes runs each episode on its own worker thread (so both cores get work)."""
    import threading

    from podcast.build.batch import build_episodes
    from podcast.show.model import load_show
    from podcast.show.settings import resolve_settings

    second = demo_show / "episodes" / "second"
    shutil.copytree(demo_show / "episodes" / "trailer", second)
    manifest = second / "episode.toml"
    text = re.sub(r"(?m)^guid = .*$", 'guid = "1c8f5a9b-3d2e-4f4a-9b0c-1d2e3f4a5b6c"', manifest.read_text())
    manifest.write_text(re.sub(r"(?m)^number = .*$", "number = 2", text))
    show = load_show(demo_show)
    workers: dict[str, set[str]] = {}

    def progress(slug: str, step: str, fraction: float) -> None:
        if step == "encode":
            workers.setdefault(slug, set()).add(threading.current_thread().name)

    outcomes = build_episodes(show, list(show.episodes), resolve_settings(show), workers=2, on_progress=progress)
    assert [o.slug for o in outcomes] == ["second", "trailer"] and all(o.built for o in outcomes)
    names = set().union(*workers.values())
    assert len(names) == 2 and all(name.startswith("build") for name in names), workers


def test_audio_settings_reach_the_renderer(demo_show):
    """[audio] leveler / crossfade_ms / max_silence_s in podcast.toml become the render settings."""
    from podcast.build.stages import render_settings
    from podcast.show.model import load_show

    toml = demo_show / "podcast.toml"
    toml.write_text(
        toml.read_text().replace("[audio]\n", "[audio]\nleveler = true\ncrossfade_ms = 1500\nmax_silence_s = 1\n")
    )
    settings = render_settings(load_show(demo_show))
    assert (settings.leveler, settings.crossfade_ms, settings.max_silence_s) == (True, 1500, 1.0)


def test_bad_audio_setting_is_one_clear_error(demo_show, cli):
    toml = demo_show / "podcast.toml"
    toml.write_text(toml.read_text().replace("[audio]\n", '[audio]\ncrossfade_ms = "long"\n'))
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "crossfade_ms" in result.stderr and "milliseconds" in result.stderr


def test_the_before_meters_taken_ahead_are_the_feeders_own(clips, tmp_path):
    """analyse_source (beside the scout) reads what the render's feeder reads: the same "before", the same 100 ms
    series; its analysis is analyse_part's; and a render told them encodes the same MP3 and meters the same "after"."""
    source = clips["interview"].path
    plan = RenderPlan(trims=(), crossfade_s=0.0, gain_db=6.0, limiter=Limiter(-3.0))
    fed = encode_and_verify([source], tmp_path / "fed.mp3", MONO, plan, duration_s=8.0)
    part, ahead = analyse_source(source, MONO, probe(source))
    assert part == analyse_part(source, MONO, probe(source))
    told = encode_and_verify([source], tmp_path / "told.mp3", MONO, plan, duration_s=8.0, before=ahead)
    assert ahead.stats == fed.before and ahead.frames == fed.before_frames and len(ahead.frames) > 50
    assert ahead.stats["true_peak_dbtp"] >= part.peak_dbfs - 0.05  # the oversampled peak, not the sample peak
    assert (told.before, told.before_frames) == (fed.before, fed.before_frames)
    assert (told.after, told.after_frames, told.window_peaks) == (fed.after, fed.after_frames, fed.window_peaks)
    assert (tmp_path / "told.mp3").read_bytes() == (tmp_path / "fed.mp3").read_bytes()
