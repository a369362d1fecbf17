"""Rendering an episode's audio: assemble, normalise, encode and verify, closed-loop on loudness.

Input that is silent or too short is raised as AudioInvalid (exit 1); ffmpeg's own
failures come from :mod:`podcast.audio.runner`. Progress is reported through an
``on_progress`` callback; nothing here prints.

Loudness normalisation is measured, static and closed-loop (see README "Loudness"):

1. **Scout** (a second or two of decoding): excerpts spread over the programme give a
   first guess of its loudness and peaks; when a limiter looks likely, the excerpts are
   calibrated through it too, which says near which gain the whole programme will land.
2. **Analyse and calibrate, side by side** (one ffmpeg per core; what does not need the
   scout starts beside it, at a slightly lower priority): per part the leading and
   trailing silence (``silencedetect``), the sample peak and decoding errors (corrupt or
   truncated files); the encoder's loudness shift on a short excerpt; for a programme of one
   part, its own loudness and true peak (the report's "before", ``analyse_source``, so the
   render need not); and, when the scout
   expects the limiter, the whole programme through the limiter at two trial gains, each
   metered (``ebur128``), because a limiter lowers the loudness more the harder it works.
   When no limiter looks likely, the programme's loudness is metered instead.
3. **Plan**: silence trims and one static gain, solved from the trials (or the plain gain
   to the target); a limiter only when the peaks need it.
4. **Render and verify in one go**: three ffmpeg processes in a pipe. A feeder applies the plan (and
   measures the programme before it, the report's "before", unless step 2 did); the encoder writes
   the MP3 through ffmpeg's ``tee`` muxer to the file *and* to a pipe; a meter decodes those
   same MP3 frames (``ebur128`` for loudness, a 4x-oversampled peak for the true peak) while
   the encoder is still running, so the check of the encoded file costs almost no extra wall
   time. Only when that peak comes within ``TRUE_PEAK_GUARD_DB`` of the ceiling is the file
   read again by the reference meter (``ebur128=peak=true``, whose 192 kHz true peak costs
   more than the rest of the check together).
5. **Correct**: if the encoded MP3 landed further than ``TOLERANCE_LU`` from the target
   or over the ceiling, render again with the error fed back (rare; at most
   ``MAX_RENDERS``). The temporary file is renamed into place only when it passes.

Everything streams through ffmpeg, so memory stays flat whatever the episode length.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from podcast.audio.filters import (
    OVERSAMPLE,
    Censor,
    Limiter,
    RenderPlan,
    RenderSettings,
    input_args,
    kept_seconds,
    meter_outputs,
    oversampled_peak,
    plan_trims,
    render_graph,
    shift_regions,
)
from podcast.audio.loudness import (
    SILENCE_LUFS,
    Reading,
    SourceLevels,
    analyse_part,
    analyse_source,
    calibrate_limiter,
    gain_slope,
    measure_encoder_shift,
    measure_loudness,
    measure_programme,
    place_trials,
    probe,
    scout_trials,
    solve_gain,
)
from podcast.audio.reports import (
    FRAME_S,
    AudioInfo,
    LoudnessStats,
    gated_loudness,
    parse_ebur128_summary,
    parse_peak,
)
from podcast.audio.runner import FFmpeg, Progress, run_ffmpeg, tee_escape, wait_pipeline
from podcast.errors import AudioInvalid

log = logging.getLogger(__name__)

TOLERANCE_LU = 0.3  # re-render when the encoded file lands further than this from target
ACCEPT_LU = 0.5  # the contract: the encoded MP3 is within this of the target
PEAK_HEADROOM_DB = 0.5  # peaks closer than this to the ceiling (before encoding) get a limiter
INTERSAMPLE_DB = 0.5  # the analysis reads sample peaks; a true peak sits up to about this much higher (speech, music)
LIMIT_MARGIN_DB = (
    2.0  # the limiter works on samples: room for inter-sample peaks and MP3 overshoot (1.3 dB seen over 60 min)
)
MAX_RENDERS = 3
MAX_CALIBRATIONS = 2  # rounds of two metered trial gains
MIN_DURATION_S = 1.0  # BS.1770 integrated loudness needs 400 ms blocks; less than a second is a mistake
TRUE_PEAK_GUARD_DB = (
    0.5  # an encoded file whose 4x peak estimate is this close to the ceiling is re-read by ebur128=peak=true
)
ENCODER_SHIFT_GUESS = -0.4  # LAME's usual loudness shift, until measure_encoder_shift has measured this one


@dataclass(frozen=True)
class RenderReport:
    """Loudness before and after, and what the closed loop did to get there."""

    before: LoudnessStats
    after: LoudnessStats
    gain_db: float
    limited: bool
    renders: int
    duration_s: float
    calibrations: int = 0
    encoder_shift_lu: float = 0.0
    leveler: bool = False
    trimmed_s: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    passed_through: bool = False  # an MP3 already at target, its frames copied as they are (no second encode)
    parts: list[dict[str, Any]] = field(default_factory=list)  # per part: target, gain, loudness before and after
    limiter: dict[str, Any] = field(default_factory=dict)  # gain reduction: most, time over 3 dB, worked hard
    # How the sources' timeline maps onto the published file's (programme_time): each part's length, what
    # of it was kept, and the crossfade. Transcripts and the listen-back list are moved by it.
    timeline: dict[str, Any] = field(default_factory=dict)
    series: Series | None = field(default=None, compare=False, repr=False)  # for the picture; not in to_dict

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("series")
        return data


@dataclass(frozen=True)
class Series:
    """What the meters saw over time, one value per ``step_s``: for the loudness picture.

    Short-term loudness (3 s windows) of the programme as it came and of the published MP3, and the
    limiter's largest gain reduction in each step (0 where it did nothing).
    """

    step_s: float
    before: list[float]
    after: list[float]
    reduction: list[float]
    parts: list[tuple[float, float]]  # each part's span on the programme's timeline (seconds)
    censored: list[tuple[float, float]]  # hidden passages on the programme's timeline


@dataclass(frozen=True)
class Metered:
    """What one encode measured: the MP3, the programme before any gain, and their time series."""

    after: LoudnessStats
    before: LoudnessStats
    before_frames: list[tuple[float, float, float]]
    after_frames: list[tuple[float, float, float]]
    window_peaks: list[float]  # dBFS per 100 ms going into the limiter ([] without a limiter)


def encode_and_verify(
    sources: Sequence[Path],
    output: Path,
    settings: RenderSettings,
    plan: RenderPlan,
    *,
    duration_s: float,
    on_progress: Progress | None = None,
    before: SourceLevels | None = None,
) -> Metered:
    """Encode the CBR MP3 to ``output`` and meter the encoded frames at the same time.

    Three ffmpeg processes in a pipeline, so the encoder (the one step nothing can shorten)
    has a core to itself and everything else runs beside it:

    * the *feeder* decodes and assembles the sources, applies leveler, gain and limiter and
      sends raw PCM down a pipe; on the way it measures the assembled programme before any
      of that (the "before" of the report: ``ebur128`` and a 4x-oversampled peak);
    * the *encoder* turns that PCM into MP3 and, through ffmpeg's ``tee`` muxer, writes every
      packet both to ``output`` (seekable, so the Xing/LAME header with the gapless info is
      completed) and to a second pipe;
    * the *meter* decodes those same MP3 frames and measures them: the check is on the
      encoded MP3, not on PCM.

    The meter reads loudness with ``ebur128`` and the true peak as a 4x-oversampled sample
    peak (a third of the CPU of ebur128's own true peak; the two agree within 0.1 dB on the
    corpus). A file whose estimate is within ``TRUE_PEAK_GUARD_DB`` of the ceiling is measured
    again with ``ebur128=peak=true``, and that reading is returned.

    Both ``ebur128`` meters log their momentary and short-term loudness every 100 ms (read as
    numbers while they run: per-part loudness and the picture cost no extra decoding), and when
    a limiter works the feeder logs the peak of each 100 ms going into it (its gain reduction).

    With ``before`` (the programme's own meters, taken ahead by :func:`analyse_source` on a
    programme the plan keeps whole), the feeder leaves those two meters out: the same readings,
    and the core they took goes to the encoder.
    """
    rate, source = settings.sample_rate_hz, sources[0] if len(sources) == 1 else None
    windows = plan.limiter is not None
    graph = render_graph(
        len(sources),
        settings,
        plan,
        tap=None if before else "src",
        limiter_tap="lt" if windows else None,
    )
    before_maps: list[str] = []
    if before is None:
        graph += f";[src]asplit[sa][sb];[sa]ebur128=framelog=info[loud];[sb]{oversampled_peak(rate)}[peak]"
        before_maps = ["-map", "[loud]", "-f", "null", "-", "-map", "[peak]", "-f", "null", "-"]
    window_maps: list[str] = []
    if windows:
        graph += (
            f";[lt]asetnsamples=n={int(rate * FRAME_S)}:p=0,"
            "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=Peak_level,"
            "ametadata=mode=print:key=lavfi.astats.Overall.Peak_level[win]"
        )
        window_maps = ["-map", "[win]", "-f", "null", "-"]
    feeder = FFmpeg(
        [
            *input_args(sources),
            "-filter_complex",
            graph,
            "-map",
            "[out]",
            "-f",
            "f32le",
            "pipe:1",
            *before_maps,
            *window_maps,
        ],
        stdout=subprocess.PIPE,
        series=True,
    )
    running = [feeder]
    try:
        assert feeder.process.stdout is not None
        encoder = FFmpeg(
            [
                "-f",
                "f32le",
                "-ar",
                str(rate),
                "-ac",
                str(settings.channels),
                "-i",
                "pipe:0",
                "-map",
                "0:a",
                "-map_metadata",
                "-1",
                "-c:a",
                "libmp3lame",
                "-b:a",
                f"{settings.bitrate_kbps}k",
                "-y",
                "-f",
                "tee",
                f"[f=mp3:id3v2_version=0:write_id3v1=0]{tee_escape(output)}|[f=mp3]pipe:1",
            ],
            stdin=feeder.process.stdout,
            stdout=subprocess.PIPE,
        )
        running.append(encoder)
        feeder.process.stdout.close()  # the encoder holds the pipe now; the feeder sees EPIPE if it dies
        assert encoder.process.stdout is not None
        meter = FFmpeg(
            [
                "-f",
                "mp3",
                "-i",
                "pipe:0",
                *meter_outputs(rate),
            ],
            stdin=encoder.process.stdout,
            progress=True,
            series=True,
        )
        running.append(meter)
        encoder.process.stdout.close()
        meter.follow_progress(duration_s, on_progress)
        feeder_log, _, stderr = wait_pipeline([(feeder, source), (encoder, None), (meter, None)])
    except BaseException:
        for run in running:
            if run.process.poll() is None:
                run.process.kill()
            run.process.wait()
        raise
    stats = parse_ebur128_summary(stderr, peak=False)
    stats["true_peak_dbtp"] = round(parse_peak(stderr), 1)
    if stats["true_peak_dbtp"] > settings.true_peak_dbtp - TRUE_PEAK_GUARD_DB:
        # Close to the ceiling: let the reference meter decide (one more decode of the MP3).
        log.debug(
            "true-peak estimate %.2f dBTP is near the ceiling: checking with ebur128=peak=true", stats["true_peak_dbtp"]
        )
        stats = measure_loudness(output)
    if on_progress:
        on_progress(1.0)
    if before is not None:
        return Metered(stats, before.stats.copy(), before.frames, meter.log.frames, feeder.log.peaks)
    programme = parse_ebur128_summary(feeder_log, peak=False)
    programme["true_peak_dbtp"] = round(parse_peak(feeder_log), 1)
    return Metered(stats, programme, feeder.log.frames, meter.log.frames, feeder.log.peaks)


PASS_THROUGH_LU = 1.0  # an MP3 this close to the target is published as it is (Apple: -16 +/- 1 LU)


def pass_through_problem(info: AudioInfo, stats: LoudnessStats, settings: RenderSettings) -> str | None:
    """Why this MP3 must be rendered again, or None when it can be published frame for frame.

    Re-encoding an MP3 costs quality (a second lossy generation), so a file that already
    meets the show's loudness (within PASS_THROUGH_LU, peaks under the ceiling), channels and
    sample rate is kept as it is, with only its tags rewritten.

    >>> info = AudioInfo("a.mp3", 60.0, 44100, 1, "mp3")
    >>> settings = RenderSettings(-16.0, -1.0, 1, 96, 44100)
    >>> pass_through_problem(info, {"integrated_lufs": -16.4, "range_lu": 3.0, "true_peak_dbtp": -2.0}, settings)
    >>> pass_through_problem(info, {"integrated_lufs": -23.0, "range_lu": 3.0, "true_peak_dbtp": -9.0}, settings)
    'its loudness is -23.0 LUFS, the target is -16.0 LUFS (within 1.0 LU)'
    """
    if info.codec != "mp3":
        return f"it is {info.codec}, not MP3"
    if info.channels != settings.channels:
        return f"it has {info.channels} channel(s), the show has {settings.channels}"
    if info.sample_rate_hz != settings.sample_rate_hz:
        return f"it is sampled at {info.sample_rate_hz} Hz, the show at {settings.sample_rate_hz} Hz"
    if settings.leveler:
        return "the show levels speakers ([audio] leveler)"
    if abs(stats["integrated_lufs"] - settings.loudness_lufs) > PASS_THROUGH_LU:
        return (
            f"its loudness is {stats['integrated_lufs']:.1f} LUFS, the target is {settings.loudness_lufs:.1f} LUFS "
            f"(within {PASS_THROUGH_LU} LU)"
        )
    if stats["true_peak_dbtp"] > settings.true_peak_dbtp:
        return f"its true peak {stats['true_peak_dbtp']:.1f} dBTP is over the ceiling {settings.true_peak_dbtp:.1f}"
    return None


def pass_through(sources: Sequence[Path], output: Path, settings: RenderSettings) -> RenderReport | None:
    """Copy a single MP3 source that already meets the targets to ``output`` frame for frame; None otherwise.

    The frames are copied by ffmpeg (``-c:a copy``) without its tags, pictures or other
    streams, under a temporary name renamed into place; the build writes fresh tags after.
    Kept as it is means kept whole: silence at the ends is not trimmed (``max_silence_s``),
    since cutting MP3 frames would need a re-encode around the cut.
    """
    if len(sources) != 1 or sources[0].suffix.lower() != ".mp3":
        return None
    source = sources[0]
    info = probe(source)
    if info.codec != "mp3" or info.channels != settings.channels or info.sample_rate_hz != settings.sample_rate_hz:
        return None  # decided without decoding the whole file
    stats = measure_loudness(source, duration_s=info.duration_s)
    problem = pass_through_problem(info, stats, settings)
    if problem is not None:
        log.info("%s: rendered again: %s", source, problem)
        return None
    tmp = output.with_name(f".{output.name}.copy.tmp")
    try:
        run_ffmpeg(
            ["-i", str(source), "-map", "0:a:0", "-c:a", "copy", "-map_metadata", "-1", "-id3v2_version", "0"]
            + ["-write_id3v1", "0", "-f", "mp3", "-y", str(tmp)],
            source=source,
        )
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("%s: already at target (%.1f LUFS): published as it is", source, stats["integrated_lufs"])
    return RenderReport(
        before=stats,
        after=stats,
        gain_db=0.0,
        limited=False,
        renders=0,
        duration_s=info.duration_s,
        passed_through=True,
    )


LIMITER_HARD_DB = 3.0  # gain reduction above this counts as the limiter working hard ...
LIMITER_HARD_SHARE = 0.01  # ... and more than this share of the programme spent there earns a warning
LIMITER_HARD_MAX_DB = 10.0  # as does any single reduction this deep (a clipped or spiky master)


def part_targets(settings: RenderSettings, count: int, music: Sequence[bool]) -> list[float]:
    """Each part's own loudness target: speech at the show's, music ``music_offset_lu`` below it.

    >>> part_targets(RenderSettings(-16.0, -1.0, 1, 96, 44100), 3, [True, False, True])
    [-19.0, -16.0, -19.0]
    """
    return [
        settings.loudness_lufs + (settings.music_offset_lu if i < len(music) and music[i] else 0.0)
        for i in range(count)
    ]


def part_gains_for(targets: Sequence[float], loudness: Sequence[float | None]) -> tuple[float, ...]:
    """The gain that brings each part to its own target (0 for a silent or unmetered part).

    Only the differences between parts matter: the programme gain solved after them lands the
    whole on the show's target, so the parts are shifted to centre on 0 dB.

    >>> part_gains_for([-19.0, -16.0], [-10.0, -26.0])
    (-9.5, 9.5)
    >>> part_gains_for([-16.0, -16.0], [-20.0, None])
    (0.0, 0.0)
    """
    raw = [t - lufs if lufs is not None and lufs > SILENCE_LUFS else None for t, lufs in zip(targets, loudness)]
    known = [g for g in raw if g is not None]
    if len(known) < 2:
        return tuple(0.0 for _ in targets)
    centre = (max(known) + min(known)) / 2
    return tuple(round(g - centre, 3) if g is not None else 0.0 for g in raw)


def limiter_report(window_peaks: Sequence[float], limiter: Limiter | None, duration_s: float) -> dict[str, Any]:
    """How hard the limiter worked, from the peak of each 100 ms going into it.

    A lookahead limiter holds every sample at or under its ceiling, so its deepest gain
    reduction in a window is how far that window's peak went over the ceiling.

    >>> limiter_report([-6.0, -1.0, 2.5, -3.0], Limiter(-3.0), 0.4)
    {'used': True, 'ceiling_dbfs': -3.0, 'max_reduction_db': 5.5, 'over_3db_s': 0.1, 'worked_hard': True}
    >>> limiter_report([], None, 10.0)["used"]
    False
    """
    if limiter is None:
        return {"used": False, "max_reduction_db": 0.0, "over_3db_s": 0.0, "worked_hard": False}
    reductions = [max(0.0, peak - limiter.ceiling_dbtp) for peak in window_peaks]
    most = round(max(reductions, default=0.0), 1)
    over = round(sum(r > LIMITER_HARD_DB for r in reductions) * FRAME_S, 1)
    hard = most > LIMITER_HARD_MAX_DB or over > LIMITER_HARD_SHARE * max(duration_s, FRAME_S)
    return {
        "used": True,
        "ceiling_dbfs": limiter.ceiling_dbtp,
        "max_reduction_db": most,
        "over_3db_s": over,
        "worked_hard": hard,
    }


def _span_loudness(frames: Sequence[tuple[float, float, float]], start: float, end: float) -> float:
    """Integrated loudness of ``[start, end)`` from ebur128's 100 ms frames (blocks that end inside it)."""
    return gated_loudness([m for t, m, _ in frames if start + 0.4 - 1e-6 <= t <= end + 1e-6])


def _per_step(
    values: Sequence[tuple[float, float]], step: float, end: float, pick: Callable[[list[float]], float]
) -> list[float]:
    """(t, value) pairs gathered into ``step``-second bins up to ``end``, each bin reduced by ``pick``."""
    bins: list[list[float]] = [[] for _ in range(max(1, int(end / step) + 1))]
    for t, value in values:
        index = min(len(bins) - 1, max(0, int(t / step)))
        bins[index].append(value)
    out, last = [], -70.0
    for found in bins:
        last = pick(found) if found else last
        out.append(round(last, 2))
    return out


PART_TOLERANCE_LU = 0.5  # a part further than this from its place relative to the others is rendered again


def _spans(lengths: Sequence[float], crossfade: float) -> list[tuple[float, float]]:
    """Each part's (start, end) on the programme's timeline.

    >>> _spans([10.0, 30.0, 5.0], 1.0)
    [(0.0, 10.0), (9.0, 39.0), (38.0, 43.0)]
    """
    spans, placed = [], 0.0
    for length in lengths:
        spans.append((round(placed, 3), round(placed + length, 3)))
        placed += length - crossfade
    return spans


def part_aims(targets: Sequence[float], lengths: Sequence[float], target: float) -> list[float]:
    """Where each part should land so that the whole lands on ``target`` with every part at its offset.

    Music below the speech pulls the programme's integrated loudness down a little, so every
    part sits slightly above its own target (energy-weighted by length, as integration counts).

    >>> part_aims([-19.0, -16.0], [10.0, 30.0], -16.0)
    [-18.4, -15.4]
    >>> part_aims([-16.0], [60.0], -16.0)
    [-16.0]
    """
    total = sum(lengths) or 1.0
    mixed = 10 * math.log10(sum(n * 10 ** (t / 10) for t, n in zip(targets, lengths)) / total)
    return [round(t + target - mixed, 1) for t in targets]


def _part_moves(
    aims: Sequence[float], music: Sequence[bool], metered: Metered, spans: Sequence[tuple[float, float]], slope: float
) -> list[float]:
    """How far each part's gain must move (dB) to land on its aim; 0 for a part too short or quiet to meter.

    Limited speech moves by the calibrated slope (the limiter takes back part of each dB), music one for one.
    """
    moves = []
    for i, (aim, span) in enumerate(zip(aims, spans)):
        landed = _span_loudness(metered.after_frames, *span)
        if landed <= SILENCE_LUFS:
            moves.append(0.0)
            continue
        moves.append(round((aim - landed) / (1.0 if i < len(music) and music[i] else slope), 3))
    return moves


PART_ROUNDS = 2  # trial-level rounds that move the parts of a programme into place before encoding


def _trial_moves(
    frames: Sequence[tuple[float, float, float]],
    spans: Sequence[tuple[float, float]],
    aims: Sequence[float],
    music: Sequence[bool],
    ahead_db: float,
    slope: float,
) -> list[float]:
    """How far each part's gain must move (dB) for it to land on its aim, from one limited trial's readings.

    The programme will be encoded ``ahead_db`` above the trial's gain: limited speech follows by
    ``slope`` LU per dB, music (under the limiter's reach) one for one. A part too short or too quiet
    to meter is left alone.
    """
    moves = []
    for i, (span, aim) in enumerate(zip(spans, aims)):
        follows = 1.0 if i < len(music) and music[i] else slope
        landed = _span_loudness(frames, *span)
        moves.append(0.0 if landed <= SILENCE_LUFS else round((aim - landed - ahead_db * follows) / follows, 3))
    return moves


def render_episode_audio(
    sources: Sequence[Path],
    output: Path,
    settings: RenderSettings,
    *,
    music: Sequence[bool] = (),
    censor: Censor | None = None,
    names: Sequence[str] = (),
    on_progress: Callable[[str, float], None] | None = None,
) -> RenderReport:
    """Assemble, normalise and encode ``sources`` into ``output`` (an MP3), closed-loop on loudness.

    ``music`` says which parts are music (normalised ``music_offset_lu`` below the speech);
    ``censor`` hides passages (seconds on the sources' own timeline, played in order, as a
    transcript of them counts) before the limiter, so the loop lands the published, bleeped
    programme on target. ``names`` label the parts in the report.

    Writes to a temporary file beside ``output`` and renames it into place only when the
    encoded file meets the target, so a crash never leaves a half-written MP3 that looks built.
    """

    def step(name: str) -> Progress | None:
        return (lambda fraction: on_progress(name, fraction)) if on_progress else None

    sources = list(sources)
    named = sources[0] if len(sources) == 1 else sources[0].parent  # what an error about the programme names
    infos = [probe(path) for path in sources]
    total = sum(info.duration_s for info in infos)
    if total < MIN_DURATION_S:
        raise AudioInvalid(
            f"is only {total:.2f} s long, too short to measure loudness",
            path=named,
            fix="use a master of at least one second",
        )
    targets = part_targets(settings, len(sources), music)

    # 0. Several parts: each is metered first, so each can be brought to its own target (music below speech).
    part_gains: tuple[float, ...] = ()
    early: list[Any] | None = None
    if len(sources) > 1:
        with ThreadPoolExecutor(max_workers=len(sources)) as pool:
            early = list(
                pool.map(lambda pair: analyse_part(pair[0], settings, pair[1], meter=True), zip(sources, infos))
            )
        part_gains = part_gains_for(targets, [part.loudness_lufs for part in early])

    # 1. Scout: a few excerpts tell whether a limiter is likely, and near which gain. What does not
    #    depend on it starts at once beside it, on the other core: the parts' silences and peaks, the
    #    encoder's loudness shift and (one part) the programme's own meters, the report's "before".
    # 2. Analyse, side by side: those, and either the limiter's calibration (two trial gains, metered
    #    through the limiter and leveler, exactly as the encoder will get them) or, when no limiter
    #    looks likely, the programme's loudness for a plain gain.
    target, ceiling = settings.loudness_lufs, settings.true_peak_dbtp
    limiter = Limiter(ceiling - LIMIT_MARGIN_DB)
    whole = Reading.whole(sources, infos)
    points: list[tuple[float, float]] = []  # (gain, loudness of the limited PCM at that gain)
    trial_frames: dict[float, list[tuple[float, float, float]]] | None = {} if part_gains else None
    unity: float | None = None  # the programme's loudness at unity gain, when metered instead of calibrating
    with ThreadPoolExecutor(max_workers=4 + len(sources)) as pool:
        # One part: its analysis also takes the programme's own meters (the same decode), as long a job as
        # the scout and calibration together, so it runs at their priority.
        ahead = (
            pool.submit(analyse_source, sources[0], settings, infos[0]) if early is None and len(sources) == 1 else None
        )
        analyses = (
            []
            if early is not None or ahead is not None
            else [
                pool.submit(analyse_part, path, settings, info, background=True) for path, info in zip(sources, infos)
            ]
        )
        shift = pool.submit(measure_encoder_shift, sources, infos, settings, background=True)
        scouted = scout_trials(
            Reading.excerpts(sources, infos), settings, limiter, aim=target - ENCODER_SHIFT_GUESS, part_gains=part_gains
        )
        trials, scout_slope = scouted if scouted is not None else (None, 1.0)
        calibration = loudness = None
        if trials is not None:  # the whole programme as it comes: the trims are not known yet
            calibration = pool.submit(
                calibrate_limiter,
                whole,
                settings,
                RenderPlan.as_it_comes(settings, limiter, part_gains=part_gains, censor=censor),
                trials,
                on_progress=step("calibrate"),
                frames=trial_frames,
            )
        else:
            loudness = pool.submit(
                measure_programme, whole, settings, part_gains=part_gains, on_progress=step("measure")
            )
        # First: they name a file.
        source_levels: SourceLevels | None = None
        if ahead is not None:
            part, source_levels = ahead.result()
            parts = [part]
        else:
            parts = early if early is not None else [future.result() for future in analyses]
        encoder_shift = shift.result()
        if calibration is not None:
            points = calibration.result()
        if loudness is not None:
            unity = loudness.result()["integrated_lufs"]
    if unity is not None and unity <= SILENCE_LUFS:
        raise AudioInvalid(
            "is silent (no measurable loudness)",
            path=named,
            fix="check that the right master file was exported and that it is not muted",
        )

    # 3. Plan: trims, then one static gain, through the limiter when the peaks need it.
    trims = plan_trims(parts, settings.max_silence_s)
    lengths = kept_seconds(parts, trims)
    kept = sum(lengths)
    crossfade = _crossfade_s(settings, lengths)
    duration = kept - crossfade * (len(sources) - 1)
    aim = target - encoder_shift
    sample_peak = max(part.peak_dbfs + (part_gains[i] if i < len(part_gains) else 0.0) for i, part in enumerate(parts))
    hidden = (
        replace(censor, regions=shift_regions(censor.regions, [p.duration_s for p in parts], trims, crossfade))
        if censor is not None
        else None
    )

    def peaks_pass(gain: float) -> bool:  # would the peaks come too near the ceiling at this gain?
        return settings.leveler or sample_peak + INTERSAMPLE_DB + gain > ceiling - PEAK_HEADROOM_DB

    plan = RenderPlan(
        trims=trims,
        crossfade_s=crossfade,
        gain_db=0.0,
        leveler=settings.leveler,
        part_gains=part_gains,
        censor=hidden,
    )
    if unity is not None:  # metered, not calibrated: the plain gain, unless the peaks need the limiter after all
        gain = aim - unity
        if peaks_pass(gain):
            trials, scout_slope = place_trials(gain, sample_peak, limiter), 1.0
        plan = replace(plan, gain_db=round(gain, 3))
    calibrations = 0
    history: list[dict[str, float]] = []
    trial_lengths = [part.duration_s for part in parts]  # the first calibration reads the parts untrimmed
    parts_moved = False
    if trials is not None:
        # The limiter (and the leveler) shave a little loudness, more the harder they work, so
        # the gain is solved from the metered trials; trials that did not bracket the answer
        # are repeated around it.
        plan = replace(plan, limiter=limiter)
        for calibrations in range(1, MAX_CALIBRATIONS + 1):
            if calibrations > 1 or not points:
                points += calibrate_limiter(
                    whole, settings, plan, trials, on_progress=step("calibrate"), frames=trial_frames
                )
                trial_lengths = lengths
            history += [{"stage": 0.0, "gain_db": g, "lufs": lufs} for g, lufs in points[-len(trials) :]]
            best = solve_gain(aim, points, scout_slope)
            plan = replace(plan, gain_db=best)
            if trials[0] - 1.0 <= best <= trials[-1] + 1.0 or sample_peak + best <= limiter.ceiling_dbtp:
                break  # bracketed, or a gain the limiter does not touch (where the trials are exact)
            trials = (round(best - 0.5, 3), round(best + 0.5, 3))
        if trial_frames:
            # The limiter takes more from some parts (speech with high peaks) than from others (music
            # kept under the speech): move each part to its place at the trial level, where a reading
            # costs a decode, not an encode.
            for _ in range(PART_ROUNDS):
                moves = _trial_moves(
                    trial_frames[points[-1][0]],
                    _spans(trial_lengths, 0.0 if trial_lengths is not lengths else crossfade),
                    [a + aim - target for a in part_aims(targets, lengths, target)],
                    music,
                    plan.gain_db - points[-1][0],
                    scout_slope,
                )
                if max(map(abs, moves), default=0.0) <= PART_TOLERANCE_LU:
                    break
                plan = replace(plan, part_gains=tuple(round(g + m, 3) for g, m in zip(plan.part_gains, moves)))
                points += calibrate_limiter(
                    whole, settings, plan, (plan.gain_db,), on_progress=step("calibrate"), frames=trial_frames
                )
                trial_lengths, calibrations = lengths, calibrations + 1
                history.append({"stage": 0.0, "gain_db": points[-1][0], "lufs": points[-1][1]})
                plan = replace(plan, gain_db=solve_gain(aim, points[-1:], scout_slope))
                parts_moved = True
        if not peaks_pass(plan.gain_db):
            plan = replace(plan, limiter=None)  # the scout expected peaks that the gain leaves clear

    # 4./5. Render, verify the encoded MP3, correct if needed. The programme's own meters, taken ahead,
    #       are the render's "before" when the plan keeps the one part whole (no silence trimmed).
    if any(start > 0 or end is not None for start, end in plan.trims):
        source_levels = None
    tmp = output.with_name(f".{output.name}.tmp")
    after: LoudnessStats | None = None
    before: LoudnessStats | None = None
    metered: Metered | None = None
    renders = 0
    slope = gain_slope(points) if len(points) >= 2 and not parts_moved else scout_slope
    try:
        for renders in range(1, MAX_RENDERS + 1):
            metered = encode_and_verify(
                sources,
                tmp,
                settings,
                plan,
                duration_s=duration,
                on_progress=step("encode"),
                before=source_levels,
            )
            after, before = metered.after, metered.before
            history.append(
                {
                    "stage": float(renders),
                    "gain_db": round(plan.gain_db, 3),
                    "lufs": after["integrated_lufs"],
                    "true_peak_dbtp": after["true_peak_dbtp"],
                }
            )
            log.debug("render %d: %s -> %s", renders, plan, after)
            off_by = target - after["integrated_lufs"]
            over_peak = after["true_peak_dbtp"] - ceiling
            moves = (
                _part_moves(part_aims(targets, lengths, target), music, metered, _spans(lengths, crossfade), slope)
                if part_gains
                else []
            )
            if abs(off_by) <= TOLERANCE_LU and over_peak <= 0 and max(map(abs, moves), default=0) <= PART_TOLERANCE_LU:
                break
            if moves:
                # Each part moves by its own error: the limiter takes more from some parts (speech with high
                # peaks) than from others (music kept below the speech), so the programme gain alone cannot
                # keep them in place.
                plan = replace(plan, part_gains=tuple(round(g + m, 3) for g, m in zip(plan.part_gains, moves)))
                plan = _correct(plan, 0.0, over_peak, ceiling)
            else:
                plan = _correct(plan, off_by / slope, over_peak, ceiling)
        assert after is not None and before is not None and metered is not None
        if abs(target - after["integrated_lufs"]) > ACCEPT_LU or after["true_peak_dbtp"] > ceiling:
            raise AudioInvalid(
                f"could not be brought to {target} LUFS / {ceiling} dBTP (landed at {after['integrated_lufs']} LUFS, "
                f"{after['true_peak_dbtp']} dBTP after {renders} renders)",
                path=named,
                fix="check the master for extreme noise or clipping, or report this with the file",
            )
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    spans = _spans(lengths, crossfade)
    part_rows = []
    for i, (span, part) in enumerate(zip(spans, parts)):
        single = len(parts) == 1
        part_rows.append(
            {
                "file": names[i] if i < len(names) else Path(part.path).name,
                "kind": "music" if i < len(music) and music[i] else "speech",
                "target_lufs": targets[i],
                "gain_db": round((plan.part_gains[i] if i < len(plan.part_gains) else 0.0) + plan.gain_db, 2),
                "before_lufs": before["integrated_lufs"] if single else _span_loudness(metered.before_frames, *span),
                "after_lufs": after["integrated_lufs"] if single else _span_loudness(metered.after_frames, *span),
                "start_s": span[0],
                "end_s": span[1],
            }
        )
    limits = limiter_report(metered.window_peaks, plan.limiter, duration)
    step_s = 1.0
    reductions = (
        [(k * FRAME_S, max(0.0, peak - plan.limiter.ceiling_dbtp)) for k, peak in enumerate(metered.window_peaks)]
        if plan.limiter is not None
        else []
    )
    series = Series(
        step_s=step_s,
        before=_per_step([(t, st) for t, _, st in metered.before_frames], step_s, duration, max),
        after=_per_step([(t, st) for t, _, st in metered.after_frames], step_s, duration, max),
        reduction=_per_step(reductions, step_s, duration, max) if reductions else [],
        parts=spans,
        censored=list(hidden.regions) if hidden is not None else [],
    )
    return RenderReport(
        parts=part_rows,
        limiter=limits,
        series=series,
        before=before,
        after=after,
        gain_db=round(plan.gain_db, 3),
        limited=plan.limiter is not None,
        renders=renders,
        duration_s=round(duration, 3),
        calibrations=calibrations,
        encoder_shift_lu=encoder_shift,
        leveler=settings.leveler,
        trimmed_s=round(sum(p.duration_s for p in parts) - kept, 3),
        history=history,
        timeline={
            "lengths": [p.duration_s for p in parts],
            "trims": [list(t) for t in trims],
            "crossfade_s": crossfade,
        },
    )


def _crossfade_s(settings: RenderSettings, lengths: Sequence[float]) -> float:
    """The crossfade length, shortened so it never exceeds half of the shortest part."""
    if settings.crossfade_ms <= 0 or len(lengths) < 2:
        return 0.0
    shortest = min(lengths)
    return round(min(settings.crossfade_ms / 1000, shortest / 2), 3)


def _correct(plan: RenderPlan, off_by: float, over_peak: float, ceiling: float) -> RenderPlan:
    """Feed the encoded file's error back: shift the gain; on a peak over, limit (harder, or oversampled).

    >>> p = _correct(RenderPlan((), 0.0, 5.0), 0.4, 0.3, -1.0)
    >>> (p.gain_db, p.limiter)
    (5.4, Limiter(ceiling_dbtp=-3.0, oversample=1))
    >>> _correct(p, 0.0, 0.2, -1.0).limiter
    Limiter(ceiling_dbtp=-3.0, oversample=4)
    """
    limiter = plan.limiter
    if over_peak > 0:
        if limiter is None:
            limiter = Limiter(ceiling - LIMIT_MARGIN_DB)
        elif limiter.oversample == 1:
            limiter = replace(limiter, oversample=OVERSAMPLE)
        else:
            limiter = replace(limiter, ceiling_dbtp=limiter.ceiling_dbtp - over_peak - 0.2)
    return replace(plan, gain_db=round(plan.gain_db + off_by, 3), limiter=limiter)
