"""Filter graphs (pure): how the parts are conformed, trimmed, joined, levelled, gained and limited.

The same graph (``render_graph``) runs in every ffmpeg that measures or encodes the
programme, so what the analysis meters is what the encoder gets. ``RenderSettings``
(the show's ``[audio]`` table) and ``RenderPlan`` (trims, gain, limiter) are its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    music_offset_lu: float = -3.0  # music parts (intro, outro, beds) are normalised this far below the speech


CENSOR_FRAME_SAMPLES = 256  # 6 ms at 44.1 kHz: how finely a bleep or mute starts and stops


@dataclass(frozen=True)
class Censor:
    """Where listed names are hidden: the seconds muted, and for ``mode="bleep"`` a tone over them.

    Regions are seconds on the timeline of the plan that carries them (see :func:`shift_regions`).
    Applied after the gain and before the limiter, so the loudness loop meters the programme as it
    is published and the tone has the same level in every episode.
    """

    mode: str  # "bleep" | "mute"
    regions: tuple[tuple[float, float], ...]
    tone_hz: int = 1000
    tone_amplitude: float = 0.25


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
    part_gains: tuple[float, ...] = ()  # dB per part, bringing each to its own target before the programme gain
    censor: Censor | None = None

    @classmethod
    def as_it_comes(
        cls,
        settings: RenderSettings,
        limiter: Limiter | None = None,
        *,
        part_gains: tuple[float, ...] = (),
        censor: Censor | None = None,
    ) -> RenderPlan:
        """The parts joined untrimmed at unity programme gain (each at its part gain, through the leveler,
        if set, with the names hidden): for measuring."""
        return cls(
            trims=(),
            crossfade_s=0.0,
            gain_db=0.0,
            leveler=settings.leveler,
            limiter=limiter,
            part_gains=part_gains,
            censor=censor,
        )


def _db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


# The overall sample peak, printed by astats at the end of the stream (read back with parse_peak).
PEAK_METER = "astats=metadata=0:reset=0:measure_perchannel=none:measure_overall=Peak_level"


def oversampled_peak(rate: int) -> str:
    """A 4x-oversampled sample peak: an estimate of the true peak at a third of ebur128=peak=true's cost."""
    return f"aresample={rate * OVERSAMPLE}:filter_size=16,{PEAK_METER}"


def meter_outputs(rate: int, *, framelog: str = "info", skip_samples: int = 0) -> list[str]:
    """ffmpeg arguments that meter input 0 twice in one decode: EBU R128 loudness (``framelog`` level in the
    log) and the 4x-oversampled true peak, both to the null muxer; ``skip_samples`` are left out first."""
    skip = f"atrim=start_sample={skip_samples}," if skip_samples else ""
    graph = f"[0:a:0]{skip}asplit[a][b];[a]ebur128=framelog={framelog}[m];[b]{oversampled_peak(rate)}[p]"
    return ["-filter_complex", graph, "-map", "[m]", "-f", "null", "-", "-map", "[p]", "-f", "null", "-"]


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


def _enable(regions: Sequence[tuple[float, float]]) -> str:
    """An ffmpeg timeline expression, true inside any region.

    >>> _enable([(1.0, 2.5), (4.0, 4.25)])
    'between(t,1.000,2.500)+between(t,4.000,4.250)'
    """
    return "+".join(f"between(t,{start:.3f},{end:.3f})" for start, end in regions)


def _assemble(labels: Sequence[str], crossfade_s: float, name: str, final: str | None = None) -> tuple[list[str], str]:
    """Chains joining the part ``labels`` end to end (or crossfaded); returns (chains, the joined label).

    With ``final`` the joined programme comes out under that label.

    >>> _assemble(["a", "b"], 0.0, "x")
    (['[a][b]concat=n=2:v=0:a=1[x]'], '[x]')
    >>> _assemble(["a"], 0.0, "x", final="src")
    (['[a]anull[src]'], '[src]')
    """
    if len(labels) == 1:
        return ([f"[{labels[0]}]anull[{final}]"], f"[{final}]") if final else ([], f"[{labels[0]}]")
    if crossfade_s > 0:
        chains, label = [], labels[0]
        for i in range(1, len(labels)):
            nxt = final if final and i == len(labels) - 1 else f"{name}{i}"
            chains.append(f"[{label}][{labels[i]}]acrossfade=d={crossfade_s:.3f}:c1=tri:c2=tri[{nxt}]")
            label = nxt
        return chains, f"[{label}]"
    joined = "".join(f"[{label}]" for label in labels)
    out = final or name
    return [f"{joined}concat=n={len(labels)}:v=0:a=1[{out}]"], f"[{out}]"


def render_graph(
    n_parts: int,
    settings: RenderSettings,
    plan: RenderPlan,
    *,
    output: str = "out",
    tap: str | None = None,
    limiter_tap: str | None = None,
    for_meter: bool = False,
    part_of: Sequence[int] | None = None,
) -> str:
    """The filter graph that assembles, levels, gains, censors and limits ``n_parts`` inputs into ``[output]``.

    Each part is conformed to the show's rate and layout, cut to its trim and brought to its
    part gain; parts are joined end to end, or with ``acrossfade`` when ``plan.crossfade_s`` is
    set. ``part_of`` says which part of the programme each input is (excerpts of one part
    share its gain); by default input ``i`` is part ``i``.

    >>> s = RenderSettings(-16.0, -1.0, 1, 96, 44100)
    >>> render_graph(1, s, RenderPlan(trims=((0.5, 9.0),), crossfade_s=0.0, gain_db=3.0))
    '[0:a:0]aresample=44100,aformat=sample_fmts=flt:sample_rates=44100:channel_layouts=mono,atrim=start=0.500000:end=9.000000,asetpts=PTS-STARTPTS[p0];[p0]volume=3.000dB,aformat=sample_fmts=fltp:sample_rates=44100:channel_layouts=mono[out]'
    >>> "acrossfade=d=1.000" in render_graph(2, s, RenderPlan(((0, 5), (0, 5)), 1.0, 0.0))
    True

    With ``tap`` a copy of the assembled programme, before part gains, leveler and gain, comes
    out at ``[tap]``; with ``limiter_tap`` a copy of what goes into the limiter. ``for_meter``
    leaves the output in whatever format the filters made (a meter converts it anyway),
    instead of the encoder's planar float.

    >>> render_graph(1, s, RenderPlan((), 0.0, 3.0), tap="src").split(";")[1]
    '[p0]asplit=2[pre][src]'
    >>> g = render_graph(2, s, RenderPlan((), 0.0, 0.0, part_gains=(-6.0, 2.0)), tap="src")
    >>> "volume=-6.000dB[g0]" in g and "[r0][r1]concat=n=2:v=0:a=1[src]" in g
    True
    >>> "volume=volume=0:enable='between(t,1.000,2.000)'" in render_graph(
    ...     1, s, RenderPlan((), 0.0, 0.0, censor=Censor("mute", ((1.0, 2.0),))))
    True
    """
    rate = settings.sample_rate_hz
    fmt = f"aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={channel_layout(settings)}"
    owners = list(part_of) if part_of is not None else list(range(n_parts))
    gains = [plan.part_gains[owner] if owner < len(plan.part_gains) else 0.0 for owner in owners]
    gained = any(abs(g) > 0.0005 for g in gains)
    chains = []
    parts, raws = [], []
    for i in range(n_parts):
        chain = f"[{i}:a:0]{conform(settings)}"
        start, end = plan.trims[i] if i < len(plan.trims) else (0.0, None)
        cuts = ([f"start={start:.6f}"] if start > 0 else []) + ([f"end={end:.6f}"] if end is not None else [])
        if cuts:  # untouched ends are not cut at all, so no sample is lost to a rounded length
            chain += f",atrim={':'.join(cuts)},asetpts=PTS-STARTPTS"
        if gained and tap:  # the "before" meter hears the parts as they came
            chains.append(chain + f",asplit=2[p{i}][r{i}]")
            raws.append(f"r{i}")
        else:
            chains.append(chain + f"[p{i}]")
        if gained:
            chains.append(f"[p{i}]volume={gains[i]:.3f}dB[g{i}]")
            parts.append(f"g{i}")
        else:
            parts.append(f"p{i}")
    joins, label = _assemble(parts, plan.crossfade_s, "x")
    chains += joins
    if tap and raws:
        chains += _assemble(raws, plan.crossfade_s, "y", final=tap)[0]
    elif tap:
        chains.append(f"{label}asplit=2[pre][{tap}]")
        label = "[pre]"
    steps = [LEVELER_FILTER] if plan.leveler else []
    steps.append(f"volume={plan.gain_db:.3f}dB")
    censor = plan.censor
    if censor is not None and censor.regions:
        inside = _enable(censor.regions)
        # ffmpeg decides `enable` once per frame (up to ~90 ms from a WAV): short frames keep the edges exact.
        steps.append(f"asetnsamples=n={CENSOR_FRAME_SAMPLES}:p=0,volume=volume=0:enable='{inside}'")
        if censor.mode == "bleep":
            chains.append(label + ",".join(steps) + "[cm]")
            chains.append(
                f"sine=frequency={censor.tone_hz}:sample_rate={rate}:samples_per_frame={CENSOR_FRAME_SAMPLES},{fmt},"
                f"volume=volume='{censor.tone_amplitude}*({inside})':eval=frame[tone]"
            )
            label, steps = "[cm][tone]", ["amix=inputs=2:duration=first:dropout_transition=0:normalize=0"]
    if plan.limiter is not None:
        if limiter_tap:
            chains.append(label + ",".join([*steps, f"asplit=2[lim][{limiter_tap}]"]))
            label, steps = "[lim]", []
        steps.append(limiter_chain(plan.limiter, rate))
    if not for_meter:
        steps.append(fmt)
    chains.append(label + ",".join(steps or ["anull"]) + f"[{output}]")
    return ";".join(chains)


def shift_regions(
    regions: Sequence[tuple[float, float]],
    lengths: Sequence[float],
    trims: Sequence[tuple[float, float | None]],
    crossfade_s: float = 0.0,
) -> tuple[tuple[float, float], ...]:
    """Regions on the parts' own timeline played in order (what a transcript of the sources uses) moved to
    the programme's timeline after the trims (and crossfades): what the render graph's ``t`` counts.

    A region in silence that was cut is dropped; one that straddles a cut is clipped to what was kept.

    >>> shift_regions([(3.0, 3.5), (12.5, 13.0)], [10.0, 10.0], [(2.0, None), (1.0, 9.0)])
    ((1.0, 1.5), (9.5, 10.0))
    >>> shift_regions([(0.5, 1.0)], [10.0], [(2.0, None)])
    ()
    """
    shifted: list[tuple[float, float]] = []
    offset, placed = 0.0, 0.0  # where each part starts: among the sources, and in the programme
    for index, length in enumerate(lengths):
        start, end = trims[index] if index < len(trims) else (0.0, None)
        end = length if end is None else end
        for a, b in regions:
            a0, b0 = max(a - offset, start), min(b - offset, end)
            if b0 > a0:
                shifted.append((round(placed + a0 - start, 3), round(placed + b0 - start, 3)))
        offset += length
        placed += (end - start) - crossfade_s
    return tuple(shifted)


def programme_time(
    t: float,
    lengths: Sequence[float],
    trims: Sequence[tuple[float, float | None]],
    crossfade_s: float = 0.0,
) -> float:
    """A time on the parts' own timeline played in order (the sources, what a transcript of them counts)
    on the programme's timeline after the trims and crossfades (the published file's).

    A time in silence that was cut lands on the edge of what was kept.

    >>> [programme_time(t, [10.0, 10.0], [(2.0, None), (1.0, 9.0)]) for t in (1.0, 3.0, 12.5, 19.5)]
    [0.0, 1.0, 9.5, 16.0]
    """
    offset, placed = 0.0, 0.0
    for index, length in enumerate(lengths):
        start, end = trims[index] if index < len(trims) else (0.0, None)
        end = length if end is None else end
        if t < offset + length or index == len(lengths) - 1:
            return round(placed + min(max(t - offset, start), end) - start, 3)
        offset += length
        placed += (end - start) - crossfade_s
    return t


def programme_clock(timeline: Mapping[str, Any] | None) -> Callable[[float], float] | None:
    """:func:`programme_time` for one render's ``timeline`` (its report's), or None when nothing was cut
    or crossfaded (the sources' timeline is the published file's).

    >>> programme_clock({"lengths": [10.0], "trims": [[0.0, None]], "crossfade_s": 0.0}) is None
    True
    >>> programme_clock({"lengths": [10.0], "trims": [[3.0, None]], "crossfade_s": 0.0})(5.0)
    2.0
    """
    if not timeline:
        return None
    lengths, fade = list(timeline["lengths"]), float(timeline["crossfade_s"])
    trims = [(float(start), None if end is None else float(end)) for start, end in timeline["trims"]]
    if not fade and all(start == 0 and (end is None or end >= length) for (start, end), length in zip(trims, lengths)):
        return None
    return lambda t: programme_time(t, lengths, trims, fade)


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
