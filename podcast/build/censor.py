"""The censor stage: how a safeguarding censor plan reaches the audio.

The plan (which seconds, bleep or mute) is pure and lives in :mod:`podcast.safeguarding.censor`.
The build hands it to the render (:func:`audio_censor`), which hides the passages after the
gain and *before* the limiter and the loudness check: the closed loop meters the programme
as it is published, so a bleeped episode lands on target like any other and the build report
describes the published file. A plan that snaps is snapped first (:func:`applied_plan`), on
the levels of the sources, the timeline its word timings count on.

:func:`censor_audio` is the same plan as a pass of its own over a finished file (benchmarks
and tests use it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from podcast.audio.decode import decode_samples
from podcast.audio.filters import Censor, RenderSettings
from podcast.audio.runner import run_ffmpeg
from podcast.safeguarding.censor import (
    BLEEP_AMPLITUDE,
    BLEEP_HZ,
    SNAP_FRAME_S,
    CensorPlan,
    censor_filter,
    snap_regions,
)

LEVEL_RATE = 16000


def frame_levels_db(path: Path | Sequence[Path], *, frame_s: float = SNAP_FRAME_S) -> list[float]:
    """The audio's level in dBFS per ``frame_s`` frame (mono, 16 kHz; several files played in order),
    for :func:`snap_regions`."""
    import numpy as np

    samples = decode_samples([path] if isinstance(path, Path) else list(path), sample_rate=LEVEL_RATE)
    size = int(LEVEL_RATE * frame_s)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    return [float(v) for v in 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))]


def applied_plan(sources: Path | Sequence[Path], plan: CensorPlan) -> CensorPlan:
    """``plan`` as it is applied: a snapping plan's edges moved to the pauses in ``sources`` (the audio
    its word timings were taken from, played in order)."""
    if not plan.snap:
        return plan
    return dataclasses.replace(plan, regions=tuple(snap_regions(plan.regions, frame_levels_db(sources))), snap=False)


def audio_censor(plan: CensorPlan) -> Censor:
    """The plan as the render takes it: the passages to mute, and the tone of a bleep."""
    return Censor(plan.mode, plan.regions, tone_hz=BLEEP_HZ, tone_amplitude=BLEEP_AMPLITUDE)


def censor_audio(source: Path, output: Path, plan: CensorPlan, settings: RenderSettings) -> None:
    """Write ``output``: ``source`` (an MP3) with the plan's ranges muted or bleeped, re-encoded alike."""
    tmp = output.with_name(f".{output.name}.censor.tmp")
    args = [
        "-i",
        str(source),
        "-filter_complex",
        censor_filter(plan, sample_rate_hz=settings.sample_rate_hz, channels=settings.channels),
        "-map",
        "[out]",
        "-map_metadata",
        "-1",
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{settings.bitrate_kbps}k",
        "-ar",
        str(settings.sample_rate_hz),
        "-ac",
        str(settings.channels),
        "-id3v2_version",
        "0",
        "-write_id3v1",
        "0",
        "-f",
        "mp3",
        "-y",
        str(tmp),
    ]
    try:
        run_ffmpeg(args, source=source)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
