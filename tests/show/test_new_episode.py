"""`podcast new` is all or nothing: it copies only regular files, and an interruption leaves no trace.

The interruption tests run the real CLI in a fresh interpreter and signal it while it copies a
large sparse master (reading its holes costs no disk, writing the copy does), then check that
no episode folder, no hidden staging folder and no partial WAV is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from reliability import make_small_show, podcast_argv

REPO = Path(__file__).resolve().parents[2]


def _show(tmp_path: Path) -> Path:
    return make_small_show(tmp_path / "show")


def _leftovers(show: Path) -> list[str]:
    return sorted(p.name for p in (show / "episodes").iterdir() if p.name != "ep-one")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_new_interrupted_mid_copy_leaves_nothing(tmp_path: Path, signum: int) -> None:
    show = _show(tmp_path)
    master = tmp_path / "huge.wav"
    with master.open("wb") as handle:  # 8 GB that take no disk space: the copy is slow, the source free
        handle.truncate(8 * 1024**3)
    process = subprocess.Popen(
        podcast_argv("-C", show, "new", "ep-two", "--audio", master),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 60
        copying = False
        while time.monotonic() < deadline and process.poll() is None and not copying:
            copying = any(p.stat().st_size > 0 for p in (show / "episodes").glob(".ep-two.*/huge.wav") if p.exists())
            time.sleep(0.01)
        assert copying, "the copy never started under a temporary name"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    lines = stderr.splitlines()
    assert lines == ["error: interrupted — nothing half-written was kept; run the command again"], stderr
    assert _leftovers(show) == []


def test_new_is_complete_or_absent(cli, tmp_path: Path, tone: Path) -> None:
    show = _show(tmp_path)
    result = cli("-C", show, "new", "ep-two", "--audio", tone)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (show / "episodes" / "ep-two").iterdir()) == ["episode.toml", "tone.wav"]
    assert (show / "episodes" / "ep-two" / "tone.wav").read_bytes() == tone.read_bytes()
    assert _leftovers(show) == ["ep-two"]


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.wav"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("make", "kind"),
    [(_fifo, "a FIFO"), (lambda tmp_path: Path("/dev/zero"), "a character device")],
    ids=["fifo", "dev-zero"],
)
def test_new_refuses_special_files_at_once(tmp_path: Path, make, kind: str) -> None:  # type: ignore[no-untyped-def]
    """A FIFO would wait for a writer forever; /dev/zero would copy until the disk is full."""
    show = _show(tmp_path)
    audio = make(tmp_path)
    started = time.monotonic()
    result = subprocess.run(
        podcast_argv("-C", show, "new", "ep-two", "--audio", audio),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {audio}: audio file is not a regular file ({kind}) — point it at an ordinary saved file; "
        "pipes, devices and folders are never read"
    ]
    assert _leftovers(show) == []
