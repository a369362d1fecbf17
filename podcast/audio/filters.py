"""Filter graphs (pure): how the parts are conformed, trimmed, joined, levelled, gained and limited.

The same graph (``render_graph``) runs in every ffmpeg that measures or encodes the
programme, so what the analysis meters is what the encoder gets. ``RenderSettings``
(the show's ``[audio]`` table) and ``RenderPlan`` (trims, gain, limiter) are its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podcast.audio.reports import PartAnalysis

OVERSAMPLE = 4  # for true-peak estimates and the fallback limiter

# The speech leveler: dynaudnorm aiming each 250 ms frame at the same RMS (-20 dBFS), its
# gain smoothed over a ~2.75 s Gaussian window, capped at +20 dB and at peaks of 0.9.
# That follows a speaker's turn within a second or two yet is far slower than a syllable,
# so speech keeps its shape; on sustained music it moves the short-term loudness by
# about 0.2 LU (measured in tests/audio/test_loudness.py), i.e. no audible pumping.
LEVELER_FILTER = "dynaudnorm=f=250:g=11:p=0.9:m=10:r=0.1"


@dataclass(frozen=True)
class RenderSettings:
    """The ``[audio]`` table of podcast.toml, as the renderer needs it."""

    loudness_lufs: float
    true_peak_dbtp: float
    channels: int
    bitrate_kbps: int
    sample_rate_hz: int
    leveler: bool = False
    crossfade_ms: int = 0
    max_silence_s: float | None = 2.0


@dataclass(frozen=True)
class Limiter:
    """A lookahead limiter at ``ceiling_dbtp``; ``oversample`` > 1 runs it at a multiple of the rate."""

    ceiling_dbtp: float
    oversample: int = 1


@dataclass(frozen=True)
class RenderPlan:
    """Everything the render graph needs: where to cut each part, the gain and the dynamics."""

    trims: tuple[tuple[float, float | None], ...]  # seconds kept of each part: (start, end or None for "to the end")
    crossfade_s: float
    gain_db: float
    limiter: Limiter | None = None
    leveler: bool = False

    @classmethod
    def as_it_comes(cls, settings: RenderSettings, limiter: Limiter | None = None) -> RenderPlan:
        """The parts joined untrimmed at unity gain (through the leveler, if set): for measuring."""
        return cls(trims=(), crossfade_s=0.0, gain_db=0.0, leveler=settings.leveler, limiter=limiter)


def _db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


# The overall sample peak, printed by astats at the end of the stream (read back with parse_peak).
PEAK_METER = "astats=metadata=0:reset=0:measure_perchannel=none:measure_overall=Peak_level"


def oversampled_peak(rate: int) -> str:
    """A 4x-oversampled sample peak: an estimate of the true peak at a third of ebur128=peak=true's cost."""
    return f"aresample={rate * OVERSAMPLE}:filter_size=16,{PEAK_METER}"


def channel_layout(settings: RenderSettings) -> str:
    """The show's channel layout as ffmpeg names it."""
    return "mono" if settings.channels == 1 else "stereo"


def conform(settings: RenderSettings, sample_fmt: str = "flt") -> str:
    """A chain that brings any part to the show's rate and layout, so parts of any format join."""
    rate = settings.sample_rate_hz
    return f"aresample={rate},aformat=sample_fmts={sample_fmt}:sample_rates={rate}:channel_layouts={channel_layout(settings)}"


def limiter_chain(limiter: Limiter, rate: int) -> str:
    """An alimiter with its lookahead delay compensated; oversampled when asked.

    >>> limiter_chain(Limiter(-2.0), 44100)
    'alimiter=limit=0.79433:attack=5:release=50:level=0:latency=1'
    >>> limiter_chain(Limiter(-2.0, oversample=4), 44100).split(",")[0]
    'aresample=176400'
    """
    limit = max(0.0625, min(1.0, _db_to_linear(limiter.ceiling_dbtp)))
    chain = f"alimiter=limit={limit:.5f}:attack=5:release=50:level=0:latency=1"
    if limiter.oversample > 1:
        chain = f"aresample={rate * limiter.oversample},{chain},aresample={rate}"
    return chain


def render_graph(
    n_parts: int,
    settings: RenderSettings,
    plan: RenderPlan,
    *,
    output: str = "out",
    tap: str | None = None,
    for_meter: bool = False,
) -> str:
    """The filter graph that assembles, levels, gains and limits ``n_parts`` inputs into ``[output]``.

    Each part is conformed to the show's rate and layout and cut to its trim; parts are
    joined end to end, or with ``acrossfade`` when ``plan.crossfade_s`` is set.

    >>> s = RenderSettings(-16.0, -1.0, 1, 96, 44100)
    >>> render_graph(1, s, RenderPlan(trims=((0.5, 9.0),), crossfade_s=0.0, gain_db=3.0))
    '[0:a:0]aresample=44100,aformat=sample_fmts=flt:sample_rates=44100:channel_layouts=mono,atrim=start=0.500000:end=9.000000,asetpts=PTS-STARTPTS[p0];[p0]volume=3.000dB,aformat=sample_fmts=fltp:sample_rates=44100:channel_layouts=mono[out]'
    >>> "acrossfade=d=1.000" in render_graph(2, s, RenderPlan(((0, 5), (0, 5)), 1.0, 0.0))
    True

    With ``tap`` a copy of the assembled programme, before leveler and gain, comes out at
    ``[tap]``. ``for_meter`` leaves the output in whatever format the filters made (a
    meter converts it anyway), instead of the encoder's planar float.

    >>> render_graph(1, s, RenderPlan((), 0.0, 3.0), tap="src").split(";")[1]
    '[p0]asplit=2[pre][src]'
    """
    rate = settings.sample_rate_hz
    chains = []
    for i in range(n_parts):
        chain = f"[{i}:a:0]{conform(settings)}"
        start, end = plan.trims[i] if i < len(plan.trims) else (0.0, None)
        cuts = ([f"start={start:.6f}"] if start > 0 else []) + ([f"end={end:.6f}"] if end is not None else [])
        if cuts:  # untouched ends are not cut at all, so no sample is lost to a rounded length
            chain += f",atrim={':'.join(cuts)},asetpts=PTS-STARTPTS"
        chains.append(chain + f"[p{i}]")
    if n_parts == 1:
        body = "[p0]"
    elif plan.crossfade_s > 0:
        label = "p0"
        for i in range(1, n_parts):
            nxt = f"x{i}"
            chains.append(f"[{label}][p{i}]acrossfade=d={plan.crossfade_s:.3f}:c1=tri:c2=tri[{nxt}]")
            label = nxt
        body = f"[{label}]"
    else:
        body = "".join(f"[p{i}]" for i in range(n_parts)) + f"concat=n={n_parts}:v=0:a=1,"
    pre = []
    if plan.leveler:
        pre.append(LEVELER_FILTER)
    if tap:
        chains.append(f"{body}asplit=2[pre][{tap}]")
        body = "[pre]"
    steps = [*pre, f"volume={plan.gain_db:.3f}dB"]
    if plan.limiter is not None:
        steps.append(limiter_chain(plan.limiter, rate))
    if not for_meter:
        steps.append(f"aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={channel_layout(settings)}")
    chains.append(
        body + ",".join(steps) + f"[{output}]"
    )  # "concat=...," ends with its comma, a label does not need one
    return ";".join(chains)


def plan_trims(parts: Sequence[PartAnalysis], max_silence_s: float | None) -> tuple[tuple[float, float | None], ...]:
    """Where to cut each part so silence at the programme's ends (and at each join) is at most the maximum.

    The programme's first and last edges keep up to ``max_silence_s``; the two sides of
    a join keep half each, so a gap between parts is never longer than the maximum.

    >>> p = PartAnalysis("a", 10.0, 3.0, 2.5, -3.0)
    >>> plan_trims([p], 1.0)
    ((2.0, 8.5),)
    >>> plan_trims([p, p], 1.0)
    ((2.0, 8.0), (2.5, 8.5))
    >>> plan_trims([p], None)
    ((0.0, None),)
    >>> plan_trims([PartAnalysis("b", 10.0, 0.0, 0.5, -3.0)], 1.0)
    ((0.0, None),)
    """
    trims: list[tuple[float, float | None]] = []
    last = len(parts) - 1
    for i, part in enumerate(parts):
        start, end = 0.0, None
        if max_silence_s is not None and max_silence_s >= 0:
            keep_lead = max_silence_s if i == 0 else max_silence_s / 2
            keep_trail = max_silence_s if i == last else max_silence_s / 2
            start = round(max(0.0, part.lead_silence_s - keep_lead), 3)
            if part.trail_silence_s > keep_trail:
                end = max(start, round(part.duration_s - (part.trail_silence_s - keep_trail), 3))
        trims.append((start, end))
    return tuple(trims)


def kept_seconds(parts: Sequence[PartAnalysis], trims: Sequence[tuple[float, float | None]]) -> list[float]:
    """How long each part is after its trim.

    >>> kept_seconds([PartAnalysis("a", 10.0, 3.0, 2.5, -3.0)], [(2.0, 8.5)])
    [6.5]
    """
    return [round((part.duration_s if end is None else end) - start, 3) for part, (start, end) in zip(parts, trims)]


def input_args(sources: Sequence[Path]) -> list[str]:
    """ffmpeg's ``-i`` arguments for the parts, in order: input ``i`` is ``[i:a:0]`` in the graph."""
    args: list[str] = []
    for source in sources:
        args += ["-i", str(source)]
    return args
