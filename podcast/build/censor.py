"""The censor stage: apply a safeguarding censor plan to the rendered MP3 with the real ffmpeg.

The plan (which seconds, bleep or mute) and its filter graph are pure and live in
:mod:`podcast.safeguarding.censor`; this stage is the side effect, cached beside the
render by the plan's signature.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from podcast.audio.decode import decode_samples
from podcast.audio.filters import RenderSettings
from podcast.audio.runner import run_ffmpeg
from podcast.safeguarding.censor import SNAP_FRAME_S, CensorPlan, censor_filter, snap_regions

LEVEL_RATE = 16000


def frame_levels_db(path: Path, *, frame_s: float = SNAP_FRAME_S) -> list[float]:
    """The audio's level in dBFS per ``frame_s`` frame (mono, 16 kHz), for :func:`snap_regions`."""
    import numpy as np

    samples = decode_samples([path], sample_rate=LEVEL_RATE)
    size = int(LEVEL_RATE * frame_s)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    return [float(v) for v in 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))]


def applied_plan(rendered: Path, plan: CensorPlan) -> CensorPlan:
    """``plan`` as it is applied to ``rendered``: a snapping plan's edges moved to the pauses in that audio."""
    if not plan.snap:
        return plan
    return dataclasses.replace(plan, regions=tuple(snap_regions(plan.regions, frame_levels_db(rendered))), snap=False)


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


def censored_audio(rendered: Path, plan: CensorPlan, settings: RenderSettings) -> tuple[Path, CensorPlan]:
    """``rendered`` with the plan applied, cached beside it by the plan's signature.

    The slow render (loudness, encoding) is keyed by the sources alone, so changing the
    redaction list or the transcript redoes only this quick pass; older censored copies
    of the same render are removed. Returns the file and the plan as applied (edges snapped).
    """
    output = rendered.with_name(f"{rendered.stem}-{plan.mode}-{plan.signature()}.mp3")
    applied = applied_plan(rendered, plan)
    if not output.is_file():
        censor_audio(rendered, output, applied, settings)
    for stale in rendered.parent.glob(f"{rendered.stem}-*.mp3"):
        if stale != output:
            stale.unlink(missing_ok=True)
    return output, applied
