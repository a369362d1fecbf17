"""What the audio step did, shown to the producer: music beds keep their place below the speech, a bleeped
episode lands on target and its report describes the published MP3, the limiter's work is reported (and
warned about when it is hard), and the loudness picture is drawn. Real ffmpeg, real builds, measured again
independently on the MP3."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, make_audio

from podcast.audio.filters import Limiter
from podcast.audio.loudness import measure_loudness
from podcast.audio.render import limiter_report
from podcast.audio.runner import ffmpeg_exe

EPISODE = """\
title = "Episode one"
number = 1
published = 2026-01-05T09:00:00Z
audio = {audio}
{extra}description = "First notes."
guid = "9d0e5c3a-3333-4aaa-8bbb-000000000001"
"""


def show_with(root: Path, files: dict[str, Path], *, extra: str = "", audio_extra: str = "") -> Path:
    root.mkdir(parents=True)
    text = (REPO / "podcast.toml").read_text(encoding="utf-8")
    (root / "podcast.toml").write_text(text.replace("[audio]\n", f"[audio]\n{audio_extra}"), encoding="utf-8")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    folder = root / "episodes" / "ep-one"
    folder.mkdir(parents=True)
    for name, source in files.items():
        shutil.copy2(source, folder / name)
    names = list(files)
    audio = json.dumps(names[0]) if len(names) == 1 else json.dumps(names)
    (folder / "episode.toml").write_text(EPISODE.format(audio=audio, extra=extra), encoding="utf-8")
    return root


def stretch_lufs(mp3: Path, work: Path, start: float, length: float) -> float:
    """The integrated loudness of one stretch of the MP3, cut out and measured on its own."""
    out = work / f"cut-{start:g}.wav"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-ss", str(start), "-t", str(length), "-i", str(mp3), str(out)], check=True
    )
    return measure_loudness(out)["integrated_lufs"]


@pytest.fixture(scope="module")
def music_and_speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A hot music intro (chords, -10 LUFS) and quiet, peaky speech (-26 LUFS): the producer's week."""
    folder = tmp_path_factory.mktemp("bed")
    chords = "sine=frequency=220:duration=6,volume=0.3[a];sine=frequency=277:duration=6,volume=0.3[b];[a][b]amix"
    intro = folder / "intro-raw.wav"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-filter_complex", chords, "-ar", "44100", "-ac", "1", str(intro)],
        check=True,
    )
    speech = make_audio(
        folder / "speech-raw.wav",
        source="anoisesrc=duration=14:color=pink:amplitude=0.5:seed=3",
        filters="volume='if(lt(mod(t,2),1.3),1,0.02)':eval=frame",  # bursts and pauses, like talk
    )

    def level(src: Path, dst: Path, lufs: float) -> Path:
        gain = lufs - measure_loudness(src)["integrated_lufs"]
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-af", f"volume={gain}dB", str(dst)], check=True
        )
        return dst

    return level(intro, folder / "intro.wav", -10.0), level(speech, folder / "master.wav", -26.0)


def test_music_bed_keeps_its_offset_below_the_speech(music_and_speech, tmp_path, cli):
    intro, master = music_and_speech
    root = show_with(
        tmp_path / "show",
        {"intro.wav": intro, "master.wav": master},
        extra='music = ["intro.wav"]\n',
        audio_extra="music_offset_lu = -5.0\n",
    )
    result = cli("-C", root, "--json", "build")
    assert result.exit_code == 0, result.stderr
    loud = json.loads(result.stdout)["episodes"][0]["loudness"]
    intro_row, speech_row = loud["parts"]
    assert (intro_row["file"], intro_row["kind"], intro_row["target_lufs"]) == ("intro.wav", "music", -21.0)
    assert (speech_row["kind"], speech_row["before_lufs"]) == ("speech", pytest.approx(-26.0, abs=0.3))
    assert abs(loud["after"]["integrated_lufs"] + 16.0) <= 0.5
    mp3 = root / "build" / "ep-one" / "ep-one.mp3"
    # Measured again on the published MP3, stretch by stretch: the intro sits 5 LU (within 1) under the speech.
    music = stretch_lufs(mp3, tmp_path, 0.5, 5.0)
    speech = stretch_lufs(mp3, tmp_path, 6.5, 13.0)
    assert abs((speech - music) - 5.0) <= 1.0, (music, speech)
    assert abs((speech_row["after_lufs"] - intro_row["after_lufs"]) - (speech - music)) <= 0.5  # the report agrees
    text = cli("-C", root, "build").stdout  # up to date: one line, no detail
    assert text.count("\n") == 1


def test_the_build_reports_the_limiter_and_warns_when_it_works_hard(demo_show, cli):
    result = cli("-C", demo_show, "build")  # the demo trailer: quiet, peaky speech that needs about +20 dB
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.match(r"\s+limiter: up to \d+\.\d dB of gain reduction, \d+\.\d s over 3 dB \(working hard\)", lines[1])
    assert lines[2].strip() == "picture: build/trailer/loudness.svg"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: trailer: the limiter")]
    assert len(warnings) == 1 and "export it again with more headroom" in warnings[0]
    record = json.loads((demo_show / "build" / "trailer" / "build.json").read_text())
    limiter = record["loudness"]["limiter"]
    assert limiter["used"] and limiter["worked_hard"] and limiter["max_reduction_db"] > 3.0
    assert 0 < limiter["over_3db_s"] <= record["duration_s"]
    [part] = record["loudness"]["parts"]
    assert (part["file"], part["before_lufs"], part["after_lufs"]) == (
        "master.flac",
        record["loudness"]["before"]["integrated_lufs"],
        record["loudness"]["after"]["integrated_lufs"],
    )

    svg = (demo_show / "build" / "trailer" / "loudness.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    for label in ("target -16 LUFS", "true-peak ceiling -1 dBTP", "published", "before", "limiter"):
        assert label in svg, label
    again = cli("-C", demo_show, "build")
    assert "warning" not in again.stderr  # said once, when the audio was made


def test_limiter_report_counts_time_over_3_db():
    quiet = limiter_report([-9.0] * 100 + [-1.0] * 3, Limiter(-3.0), 10.3)  # 0.3 s at 2 dB: not hard
    assert (quiet["max_reduction_db"], quiet["over_3db_s"], quiet["worked_hard"]) == (2.0, 0.0, False)
    busy = limiter_report([-9.0] * 90 + [1.0] * 10, Limiter(-3.0), 10.0)  # 1 s at 4 dB: 10 % of the time
    assert (busy["max_reduction_db"], busy["over_3db_s"], busy["worked_hard"]) == (4.0, 1.0, True)


def test_music_must_name_files_of_the_audio_list(demo_show, cli):
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text('music = ["intro.wav"]\n' + toml.read_text(), encoding="utf-8")
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert "field 'music' is wrong: names 'intro.wav', which is not in the audio list" in result.stderr
    assert not (demo_show / "build" / "trailer" / "audio.json").exists()
