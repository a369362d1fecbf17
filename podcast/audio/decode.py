"""Decoding audio to raw samples for the transcriber (16 kHz mono float32, what Whisper takes)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.audio.runner import capture_ffmpeg
from podcast.errors import AudioInvalid, ExternalToolError

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000  # what Whisper models take


def decode_samples(paths: Sequence[Path], *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The files played in order, as mono float32 samples at ``sample_rate``, via ffmpeg."""
    import numpy as np

    parts = []
    for path in paths:
        args = [
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-f",
            "f32le",
            "pipe:1",
        ]
        try:
            result = capture_ffmpeg(args)
        except OSError as exc:
            raise ExternalToolError(
                f"ffmpeg could not be started ({exc.strerror})", fix="check the ffmpeg install"
            ) from None
        if result.returncode != 0:
            last = (result.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise AudioInvalid(
                f"cannot be decoded for transcription ({last})",
                path=path,
                fix="export the master again as WAV, FLAC, MP3 or M4A",
            )
        parts.append(np.frombuffer(result.stdout, dtype=np.float32))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
