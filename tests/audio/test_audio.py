"""Real ffmpeg on generated audio: the built MP3 is re-measured independently, checked for the
format podcast.toml asks for, and the build cache is shown to skip audio work it need not do."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, make_audio
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from typer.testing import CliRunner

from podcast.audio.loudness import measure_loudness
from podcast.audio.runner import ffmpeg_exe

EPISODE_TOML = """\
title = "Episode one"
number = 1
published = 2026-01-05T09:00:00Z
audio = {audio}
description = "First notes."
guid = "9d0e5c3a-3333-4aaa-8bbb-000000000001"
"""


@dataclass(frozen=True)
class Config:
    loudness_lufs: float
    true_peak_dbtp: float
    channels: int
    bitrate_kbps: int
    sample_rate_hz: int
    source: str  # lavfi source of the master
    source_rate: int
    source_channels: int

    def audio_section(self) -> str:
        return (
            f"[audio]\nloudness_lufs = {self.loudness_lufs}\ntrue_peak_dbtp = {self.true_peak_dbtp}\n"
            f"channels = {self.channels}\nbitrate_kbps = {self.bitrate_kbps}\nsample_rate_hz = {self.sample_rate_hz}\n\n"
        )


CONFIGS = {
    # The podcast standard, from a quiet 48 kHz stereo tone that needs about +20 dB of gain.
    "mono-44k-16": Config(-16.0, -1.0, 1, 96, 44100, "sine=frequency=440:duration=3", 48000, 2),
    # A loud target and a lower ceiling, from quiet 192 kHz pink noise whose peaks need the limiter.
    "stereo-48k-12": Config(
        -12.0, -2.0, 2, 128, 48000, "anoisesrc=duration=3:color=pink:amplitude=0.1:seed=7", 192000, 1
    ),
}


def make_show(root: Path, config: Config, audio_files: dict[str, Path]) -> Path:
    """A show folder using ``config``'s [audio] table and one episode made of ``audio_files``."""
    root.mkdir(parents=True)
    text = (REPO / "podcast.toml").read_text(encoding="utf-8")
    text = re.sub(r"\[audio\].*?(?=\[publish\])", config.audio_section(), text, flags=re.S)
    (root / "podcast.toml").write_text(text, encoding="utf-8")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    folder = root / "episodes" / "ep-one"
    folder.mkdir(parents=True)
    for name, source in audio_files.items():
        shutil.copy2(source, folder / name)
    names = list(audio_files)
    audio = json.dumps(names[0]) if len(names) == 1 else json.dumps(names)
    (folder / "episode.toml").write_text(EPISODE_TOML.format(audio=audio), encoding="utf-8")
    return root


def run(*args: object):
    from typer_app import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@dataclass(frozen=True)
class Built:
    root: Path
    config: Config
    record: dict  # the episode's entry in `podcast --json build`

    @property
    def mp3(self) -> Path:
        return self.root / "build" / "ep-one" / "ep-one.mp3"


@pytest.fixture(scope="module", params=list(CONFIGS))
def built(request, tmp_path_factory) -> Built:
    """One show per config, built once for the whole module."""
    config = CONFIGS[request.param]
    base = tmp_path_factory.mktemp(request.param)
    master = make_audio(
        base / "master.wav",
        source=config.source,
        filters="volume=-30dB" if "sine" in config.source else "",
        rate=config.source_rate,
        channels=config.source_channels,
    )
    root = make_show(base / "show", config, {"master.wav": master})
    result = run("-C", root, "--json", "build")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)["episodes"][0]
    assert record["audio_rebuilt"] is True
    return Built(root, config, record)


def test_output_is_on_target_loudness(built):
    stats = measure_loudness(built.mp3)  # an independent ebur128 pass over the final, tagged MP3
    assert abs(stats["integrated_lufs"] - built.config.loudness_lufs) <= 0.5, stats
    assert stats["true_peak_dbtp"] <= built.config.true_peak_dbtp, stats
    # What the build reported is what the file measures.
    assert built.record["loudness"]["after"]["integrated_lufs"] == pytest.approx(stats["integrated_lufs"], abs=0.2)


def test_source_was_really_changed(built):
    """Guard against a vacuous pass: the masters start far from target (or over the ceiling)."""
    loudness = built.record["loudness"]
    assert abs(loudness["before"]["integrated_lufs"] - built.config.loudness_lufs) > 10
    if "noise" in built.config.source:  # pink noise at -12 LUFS would peak over -2 dBTP without the limiter
        assert loudness["limited"] is True


def test_output_format_is_as_set(built):
    info = MP3(built.mp3).info
    assert info.sample_rate == built.config.sample_rate_hz != 192000
    assert info.channels == built.config.channels
    assert info.bitrate_mode == BitrateMode.CBR
    assert info.bitrate == pytest.approx(built.config.bitrate_kbps * 1000, abs=500)
    assert info.length == pytest.approx(3.0, abs=0.1)
    assert ID3(built.mp3).version[:2] == (2, 3)


def test_second_build_does_no_audio_work(built):
    mp3_before = built.mp3.stat().st_mtime_ns, built.mp3.read_bytes()
    text = run("-C", built.root, "build")
    assert text.exit_code == 0, text.stderr
    assert "no audio work" in text.stdout
    data = json.loads(run("-C", built.root, "--json", "build").stdout)["episodes"][0]
    assert (data["audio_rebuilt"], data["tags_rewritten"]) == (False, False)
    assert (built.mp3.stat().st_mtime_ns, built.mp3.read_bytes()) == mp3_before


def test_changing_only_the_notes_retags_without_encoding(built, tmp_path):
    root = tmp_path / "show"
    shutil.copytree(built.root, root)
    folder = root / "build" / "ep-one"
    [untagged] = folder.glob("audio-*.mp3")
    encoded = untagged.stat().st_mtime_ns, untagged.read_bytes()
    manifest = root / "episodes" / "ep-one" / "episode.toml"
    manifest.write_text(manifest.read_text().replace("First notes.", "Second notes, with more words."))

    result = run("-C", root, "build")
    assert result.exit_code == 0, result.stderr
    assert "retagged" in result.stdout and "built" not in result.stdout.split("—")[0]
    assert (untagged.stat().st_mtime_ns, untagged.read_bytes()) == encoded  # the encode was not redone
    final = (folder / "ep-one.mp3").read_bytes()
    assert final.endswith(encoded[1])  # the same audio frames, behind a new tag
    assert str(ID3(folder / "ep-one.mp3").getall("COMM")[0]).startswith("Second notes, with more words.")
    record = json.loads((folder / "build.json").read_text())
    assert record["size_bytes"] == len(final)


def test_audio_list_joins_in_order(tmp_path):
    config = CONFIGS["mono-44k-16"]
    intro = make_audio(tmp_path / "src" / "intro.wav", source="sine=frequency=440:duration=2", filters="volume=-10dB")
    master = make_audio(
        tmp_path / "src" / "master.wav",
        source="sine=frequency=880:duration=3",
        filters="volume=-30dB",
        rate=22050,
        channels=2,
    )
    root = make_show(tmp_path / "show", config, {"intro.wav": intro, "master.wav": master})
    result = run("-C", root, "--json", "build")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)["episodes"][0]
    mp3 = root / "build" / "ep-one" / "ep-one.mp3"
    assert MP3(mp3).info.length == pytest.approx(5.0, abs=0.1)
    assert record["duration_s"] == pytest.approx(5.0, abs=0.1)
    # The intro comes first and the master after it, each brought to its own target (not one gain for both,
    # which kept the intro 20 LU above the master): measure each stretch on its own.
    parts = record["loudness"]["parts"]
    assert [(p["file"], p["start_s"], p["end_s"]) for p in parts] == [("intro.wav", 0.0, 2.0), ("master.wav", 2.0, 5.0)]
    first = measure_loudness(cut(mp3, tmp_path / "first.wav", start=0.3, length=1.4))
    second = measure_loudness(cut(mp3, tmp_path / "second.wav", start=2.5, length=2.0))
    assert abs(first["integrated_lufs"] - second["integrated_lufs"]) < 1.0, (first, second)
    # The report says so: 20 LU apart as they came, together as published.
    assert parts[0]["before_lufs"] - parts[1]["before_lufs"] > 15
    assert abs(parts[0]["after_lufs"] - parts[1]["after_lufs"]) < 1.0


def cut(source: Path, output: Path, *, start: float, length: float) -> Path:
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-ss",
        str(start),
        "-t",
        str(length),
        "-i",
        str(source),
        str(output),
    ]
    subprocess.run(argv, check=True)
    return output


def test_loudness_command_json(cli, tone, tmp_path):
    loud = make_audio(tmp_path / "loud.wav", filters="volume=-6dB")
    result = cli("loudness", tone, loud, "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["files"]
    assert [row["file"] for row in rows] == [str(tone), str(loud)]
    for row, path in zip(rows, (tone, loud)):
        assert set(row) == {"file", "integrated_lufs", "range_lu", "true_peak_dbtp"}
        direct = measure_loudness(path)
        for key in ("integrated_lufs", "range_lu", "true_peak_dbtp"):
            assert row[key] == pytest.approx(direct[key], abs=0.05)
    # The same tone 14 dB louder measures 14 LU louder; lavfi's sine peaks at 1/8 (-18 dBFS) before the gain.
    assert rows[1]["integrated_lufs"] - rows[0]["integrated_lufs"] == pytest.approx(14.0, abs=0.3)
    assert rows[1]["true_peak_dbtp"] == pytest.approx(-24.1, abs=0.3)


def test_loudness_command_reports_a_bad_file_and_measures_the_rest(cli, tone, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio\n" * 100)
    result = cli("loudness", bad, tone, "--json")
    assert result.exit_code == 1
    assert [row["file"] for row in json.loads(result.stdout)["files"]] == [str(tone)]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: ")
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "said"), [("missing.wav", "not found"), ("a-folder", "is not a regular file (a folder)")]
)
def test_loudness_of_a_missing_file_is_bad_input_not_an_ffmpeg_failure(cli, tmp_path, name, said):
    (tmp_path / "a-folder").mkdir()
    result = cli("loudness", tmp_path / name)
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path / name}: ") and said in lines[0]
