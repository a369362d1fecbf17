"""Crash safety of `podcast build`: SIGKILL at random moments, ffmpeg killed mid-encode, a full disk.

The invariant after every fault: whatever ``build/<slug>/build.json`` says is built *is* built
(the MP3 has the recorded size and hash, mutagen reads it, its loudness is on target), no
orphan ffmpeg keeps writing, and running `podcast build` again completes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import make_audio
from mutagen.mp3 import MP3
from reliability import children_of, kill_after, make_small_show, podcast_argv, run_podcast

from podcast.audio.loudness import measure_loudness
from podcast.build.keys import sha256_file

SLUG = "ep-one"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}


def assert_built_or_absent(show: Path, *, must_exist: bool = False) -> bool:
    """If build.json names a finished MP3 (the way read_build decides), that MP3 must be whole and right."""
    record_path = show / "build" / SLUG / "build.json"
    mp3 = show / "build" / SLUG / f"{SLUG}.mp3"
    if not record_path.exists() or not mp3.exists():
        assert not must_exist, "nothing is built after a completed build"
        return False
    record = json.loads(record_path.read_text(encoding="utf-8"))  # a half-written record would raise here
    if mp3.stat().st_size != record["size_bytes"]:
        assert not must_exist, "build.json and the MP3 disagree after a completed build"
        return False  # read_build rejects this pair: it is not taken as built
    assert sha256_file(mp3) == record["sha256"], "an MP3 taken as built is not the one build.json describes"
    info = MP3(mp3).info
    assert abs(info.length - record["duration_s"]) < 0.1
    stats = measure_loudness(mp3)
    assert abs(stats["integrated_lufs"] - -16.0) <= 1.0, stats
    assert stats["true_peak_dbtp"] <= -1.0 + 0.1, stats
    return True


def ffmpeg_orphans(show: Path) -> list[int]:
    """ffmpeg processes still working on this show's files (there must be none once `podcast` is dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "ffmpeg" in cmdline and str(show) in cmdline:
                found.append(int(entry.name))
    return found


def _wait_no_orphans(show: Path) -> None:
    deadline = time.monotonic() + 5
    while ffmpeg_orphans(show) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not ffmpeg_orphans(show), "a killed build left ffmpeg running (it would keep writing into build/)"


def _change_inputs(show: Path, trial: int, rng: random.Random) -> None:
    """Give each trial real work: new audio, new notes, or an empty build/ folder."""
    kind = trial % 3
    if kind == 0:
        make_audio(
            show / "episodes" / SLUG / "master.wav", source=f"sine=frequency={300 + rng.randrange(600)}:duration=8"
        )
    elif kind == 1:
        toml = show / "episodes" / SLUG / "episode.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(text.replace('description = """', f'description = """Edit {trial}. '), encoding="utf-8")
    else:
        for path in sorted((show / "build").rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()


def _build_duration(show: Path) -> float:
    started = time.monotonic()
    result = run_podcast("-C", show, "build", env=_env())
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


def _sigkill_trials(tmp_path: Path, trials: int, seed: int) -> None:
    rng = random.Random(seed)
    show = make_small_show(tmp_path / "show", seconds=8)
    duration = _build_duration(show)
    killed = 0
    for trial in range(trials):
        _change_inputs(show, trial, rng)
        process = subprocess.Popen(
            podcast_argv("-C", show, "build"),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        killed += kill_after(process, rng.uniform(0.05, duration * 1.1))
        _wait_no_orphans(show)
        assert_built_or_absent(show)  # the moment after the kill, before anything repairs it
        again = run_podcast("-C", show, "--json", "build", env=_env())
        assert again.returncode == 0, f"trial {trial}: the re-run failed\n{again.stderr}"
        assert assert_built_or_absent(show, must_exist=True)
    assert killed >= trials // 2, f"only {killed} of {trials} builds were killed before finishing"
    final = json.loads(run_podcast("-C", show, "--json", "build", env=_env()).stdout)["episodes"][0]
    assert final["audio_rebuilt"] is False and final["tags_rewritten"] is False, "the cache is inconsistent"


def test_build_survives_sigkill(tmp_path: Path) -> None:
    _sigkill_trials(tmp_path, trials=5, seed=9)


@pytest.mark.slow
def test_build_survives_sigkill_many(tmp_path: Path) -> None:
    _sigkill_trials(tmp_path, trials=30, seed=2026)


def test_ffmpeg_killed_mid_encode(tmp_path: Path) -> None:
    """Kill the encoding ffmpeg (not `podcast`): a clear exit-3 error, nothing taken as built, a clean retry."""
    show = make_small_show(tmp_path / "show", seconds=90)
    process = subprocess.Popen(
        podcast_argv("-C", show, "build"), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and process.poll() is None and time.monotonic() < deadline:
        for child in children_of(process.pid):
            try:
                if b"libmp3lame" in Path(f"/proc/{child}/cmdline").read_bytes():
                    victim = child
                    os.kill(child, signal.SIGKILL)
                    break
            except (OSError, ProcessLookupError):
                continue
        time.sleep(0.005)
    out, err = process.communicate(timeout=120)
    assert victim is not None, "never saw the encoding ffmpeg"
    lines = [line for line in err.splitlines() if line.strip()]
    assert process.returncode == 3, err
    assert lines[0].startswith("error: ") and "ffmpeg was stopped by signal 9" in lines[0], err
    assert "Traceback" not in err
    assert not assert_built_or_absent(show)
    assert not list((show / "build" / SLUG).glob(".*.tmp")), "the half-written encode was left behind"
    again = run_podcast("-C", show, "build", env=_env())
    assert again.returncode == 0, again.stderr
    assert assert_built_or_absent(show, must_exist=True)


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real, tiny tmpfs mounted where the show's build/ folder goes (we run as root in CI)."""
    show = make_small_show(tmp_path / "show", seconds=60)
    mount_point = show / "build"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    assert mounted.returncode == 0, f"cannot mount a tmpfs (the full-disk test needs root): {mounted.stderr}"
    try:
        yield show, mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.parametrize("size_kb", [64, 800, 1445])  # fails in: ffmpeg encode, copy, ID3 write
def test_build_on_full_disk(small_disk, size_kb: int) -> None:  # type: ignore[no-untyped-def]
    """build/ on a disk that fills up at different steps: one clear error, nothing taken as built,
    and after freeing space (growing the tmpfs) the same build completes."""
    show, mount_point = small_disk
    subprocess.run(["mount", "-o", f"remount,size={size_kb}k", str(mount_point)], check=True)
    result = run_podcast("-C", show, "build", env=_env())
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode in (1, 4), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ") and "space" in lines[0], result.stderr
    assert not assert_built_or_absent(show)

    subprocess.run(["mount", "-o", "remount,size=20m", str(mount_point)], check=True)
    again = run_podcast("-C", show, "build", env=_env())
    assert again.returncode == 0, again.stderr
    assert assert_built_or_absent(show, must_exist=True)
