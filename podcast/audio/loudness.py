"""Probing and measuring: what a file is, how loud it is, and where the limited programme lands.

Used by the closed loop in :mod:`podcast.audio.render` (steps 1 and 2 there: scout, then
analyse and calibrate side by side) and by ``podcast loudness``. Everything streams
through ffmpeg (:mod:`podcast.audio.runner`), so memory stays flat whatever the length.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from podcast.audio.filters import (
    PEAK_METER,
    Limiter,
    RenderPlan,
    RenderSettings,
    channel_layout,
    conform,
    input_args,
    oversampled_peak,
    render_graph,
)
from podcast.audio.reports import (
    AudioInfo,
    LoudnessStats,
    PartAnalysis,
    parse_ebur128_summary,
    parse_peak,
    parse_probe,
    silent_ends,
    wav_length_unknown,
)
from podcast.audio.runner import (
    INSTALL_HINT,
    REEXPORT_HINT,
    FFmpeg,
    Progress,
    capture_ffmpeg,
    run_ffmpeg,
)
from podcast.errors import AudioInvalid, ExternalToolError, PodcastError
from podcast.files import require_regular_file
from podcast.timecode import format_duration

# Below this many bytes per second of claimed duration, a header lies about the audio: even speech
# codecs at their lowest bitrates (Opus 6 kbit/s, AMR 4.75 kbit/s) need 600 bytes a second, and a
# FLAC of pure silence about 150. A 1 Hz WAV header turns 233 KB into 32 hours, or 2 bytes a second.
MIN_BYTES_PER_SECOND = 100
WAV_HEAD_BYTES = 65_536  # enough for the RIFF chunks before the data (fmt, LIST, bext of broadcast WAVs)
# What ffmpeg says about the short last packet of a WAV whose length was never written.
_SHORT_LAST_PACKET = re.compile(r"Packet corrupt \(stream = \d+, dts = NOPTS\)|corrupt input packet in stream")
SILENCE_LUFS = -69.0  # ebur128 reports -70 LUFS for digital silence
SILENCE_THRESHOLD_DB = -50.0  # below this counts as silence when trimming the ends
SILENCE_MIN_S = 0.1
EXCERPT_S = 20.0  # how much of the programme is encoded to learn the encoder's loudness shift
SCOUT_EXCERPTS = 24  # excerpts spread over the programme that guess its loudness before the full analysis
SCOUT_EXCERPT_S = 3.0
LIMITER_LIKELY_DB = 3.0  # excerpts miss the highest peaks: a limiter is likely when theirs come this close to it


@dataclass(frozen=True)
class Reading:
    """What an analysis ffmpeg reads: the whole programme, or short excerpts spread over it.

    Either way each input is one part of the render graph, joined end to end, so the same
    graph (leveler, gain, limiter) runs on both.
    """

    inputs: tuple[str, ...]  # ffmpeg input arguments
    parts: int
    duration_s: float
    source: Path | None  # the file to name when ffmpeg fails (a programme of one file)
    part_of: tuple[int, ...] | None = None  # which part of the programme each input is (None: input i is part i)

    @classmethod
    def whole(cls, sources: Sequence[Path], infos: Sequence[AudioInfo]) -> Reading:
        return cls(
            tuple(input_args(sources)),
            len(sources),
            sum(info.duration_s for info in infos),
            sources[0] if len(sources) == 1 else None,
        )

    @classmethod
    def excerpts(cls, sources: Sequence[Path], infos: Sequence[AudioInfo]) -> Reading:
        """SCOUT_EXCERPTS excerpts of SCOUT_EXCERPT_S evenly over the programme (a short one: all of it)."""
        total = sum(info.duration_s for info in infos)
        if total <= 2 * SCOUT_EXCERPTS * SCOUT_EXCERPT_S:
            return cls.whole(sources, infos)
        inputs: list[str] = []
        owners: list[int] = []
        for k in range(SCOUT_EXCERPTS):
            at, index = (k + 0.5) * total / SCOUT_EXCERPTS - SCOUT_EXCERPT_S / 2, 0
            while index < len(sources) - 1 and at >= infos[index].duration_s:
                at -= infos[index].duration_s
                index += 1
            inputs += ["-ss", f"{max(0.0, at):.3f}", "-t", f"{SCOUT_EXCERPT_S:.3f}", "-i", str(sources[index])]
            owners.append(index)
        return cls(tuple(inputs), SCOUT_EXCERPTS, SCOUT_EXCERPTS * SCOUT_EXCERPT_S, None, tuple(owners))


def probe(path: Path) -> AudioInfo:
    """Duration, sample rate, channels and codec of ``path``, read from ffmpeg's banner (no ffprobe needed).

    Refuses anything but a regular file before ffmpeg opens it (a FIFO or /dev/zero would never
    end), and a header that claims more audio than the file can hold (a WAV that says 1 Hz turns
    233 KB into 32 hours, which every later stage would decode and resample).
    """
    size = require_regular_file(
        path, AudioInvalid, what="audio file", missing_fix="check the file name in episode.toml"
    )
    result = capture_ffmpeg(["-i", str(path)])  # no output named: ffmpeg prints the banner and exits 1
    banner = result.stderr.decode(errors="replace")
    info = parse_probe(str(path), banner)
    if info is None and (result.returncode < 0 or str(path) not in banner):
        # ffmpeg names the input in everything it says about it; silence about the file means
        # ffmpeg itself crashed or is broken, which is not the producer's master's fault.
        lines = [line.strip() for line in banner.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {result.returncode}"
        raise ExternalToolError(f"ffmpeg failed on {path}: {last}", fix=INSTALL_HINT)
    if info is None:
        raise AudioInvalid("is not an audio file ffmpeg can read", path=path, fix=REEXPORT_HINT)
    if info.codec == "none":
        raise AudioInvalid("uses an audio codec this ffmpeg cannot decode", path=path, fix=REEXPORT_HINT)
    if info.duration_s > 0 and size / info.duration_s < MIN_BYTES_PER_SECOND:
        raise AudioInvalid(
            f"is corrupt: its header claims {format_duration(info.duration_s)} of audio at {info.sample_rate_hz} Hz, "
            f"more than {size:,} bytes can hold",
            path=path,
            fix=REEXPORT_HINT,
        )
    if info.codec.startswith("pcm_"):
        with path.open("rb") as handle:
            head = handle.read(WAV_HEAD_BYTES)
        info = replace(info, open_ended=wav_length_unknown(head))
    return info


def measure_loudness(
    path: Path, *, on_progress: Progress | None = None, duration_s: float | None = None
) -> LoudnessStats:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) of a file, per ITU-R BS.1770."""
    info = probe(path)  # bad input (exit 1), not an ffmpeg failure (exit 3); a lying header is refused
    if duration_s is None:
        duration_s = info.duration_s
    stderr = run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        source=path,
        duration_s=duration_s,
        on_progress=on_progress,
    )
    return parse_ebur128_summary(stderr)


@dataclass(frozen=True)
class SourceLevels:
    """A one-part programme as it comes, before any gain: the render report's "before" and its time series."""

    stats: LoudnessStats  # integrated loudness, range and the 4x-oversampled true peak
    frames: list[tuple[float, float, float]]  # (t, momentary, short-term) every 100 ms


def analyse_part(
    path: Path, settings: RenderSettings, info: AudioInfo, *, meter: bool = False, background: bool = False
) -> PartAnalysis:
    """Decode one part fully: silent ends, the sample peak, any sign of damage and, with ``meter``,
    its integrated loudness (for a programme of several parts, each normalised to its own target).

    The sample peak is enough to decide whether a limiter is needed (with INTERSAMPLE_DB to
    spare); the true peak of the programme is read by the encoder's feeder (``encode_and_verify``),
    on the core the encoder leaves free, instead of here, where it would delay the encoding
    (or, for a programme of one part, by :func:`analyse_source` beside the scout).
    """
    return _analyse(path, settings, info, meter=meter, background=background)[0]


def analyse_source(
    path: Path, settings: RenderSettings, info: AudioInfo, *, background: bool = False
) -> tuple[PartAnalysis, SourceLevels]:
    """:func:`analyse_part` of a programme's only part, and in the same decode the programme's own loudness and
    true peak with their 100 ms series (the render report's "before", :class:`SourceLevels`)."""
    part, levels = _analyse(path, settings, info, levels=True, background=background)
    assert levels is not None
    return part, levels


_PEAK_BY_METER = re.compile(r"\[Parsed_astats_(\d+) @ [^\]]*\] Peak level dB:\s*(-?[\d.]+|-inf|inf)")


def _analyse(
    path: Path,
    settings: RenderSettings,
    info: AudioInfo,
    *,
    meter: bool = False,
    levels: bool = False,
    background: bool = False,
) -> tuple[PartAnalysis, SourceLevels | None]:
    checks = f"silencedetect=n={SILENCE_THRESHOLD_DB}dB:d={SILENCE_MIN_S},{PEAK_METER}"
    outputs = ["-map", "[out]", "-f", "null", "-"]
    if levels:
        # The render's own "before" meters (its graph up to the [src] tap: the part conformed), beside the checks.
        graph = (
            f"[0:a:0]{conform(settings)},asplit[chk][src];[chk]{checks}[out];[src]asplit[sa][sb];"
            f"[sa]ebur128=framelog=info[loud];[sb]{oversampled_peak(settings.sample_rate_hz)}[peak]"
        )
        outputs += ["-map", "[loud]", "-f", "null", "-", "-map", "[peak]", "-f", "null", "-"]
    else:
        graph = f"[0:a:0]{conform(settings)},{checks}"
        graph += ",ebur128=framelog=verbose[out]" if meter else "[out]"
    run = FFmpeg(
        ["-i", str(path), "-filter_complex", graph, *outputs], progress=True, series=levels, background=background
    )
    run.follow_progress(None, None)
    stderr = run.wait(source=path)
    decoded = run.out_time_s
    damage = [line for line in run.log.damage if not (info.open_ended and _SHORT_LAST_PACKET.search(line))]
    if damage:
        raise AudioInvalid(
            f"is corrupt or truncated (ffmpeg: {damage[0].split('] ')[-1]})", path=path, fix=REEXPORT_HINT
        )
    if info.duration_s and not info.duration_estimated and decoded < info.duration_s - max(0.5, 0.02 * info.duration_s):
        raise AudioInvalid(
            f"is truncated: its header says {info.duration_s:.1f} s but only {decoded:.1f} s decode",
            path=path,
            fix=REEXPORT_HINT,
        )
    duration = decoded or info.duration_s
    lead, trail = silent_ends(run.log.silences, duration)
    loudness = parse_ebur128_summary(stderr, peak=False)["integrated_lufs"] if meter else None
    peak, source_levels = parse_peak(stderr), None
    if levels:
        # Two astats: the sample peak (the checks, first in the graph) and the 4x-oversampled one (last).
        by_meter = {int(index): value for index, value in _PEAK_BY_METER.findall(stderr)}
        if len(by_meter) != 2:
            raise ExternalToolError(f"ffmpeg did not report both peaks of {path}", fix=INSTALL_HINT)
        sample, oversampled = (round(float(by_meter[index]), 2) for index in sorted(by_meter))
        stats = parse_ebur128_summary(stderr, peak=False)
        stats["true_peak_dbtp"] = round(oversampled, 1)
        peak, source_levels = sample, SourceLevels(stats, run.log.frames)
    return PartAnalysis(str(path), round(duration, 3), lead, trail, peak, loudness), source_levels


def measure_programme(
    reading: Reading,
    settings: RenderSettings,
    *,
    part_gains: tuple[float, ...] = (),
    on_progress: Progress | None = None,
) -> LoudnessStats:
    """Integrated loudness and range of the programme (each part at its gain, through the leveler, if set),
    at unity programme gain."""
    plan = RenderPlan.as_it_comes(settings, part_gains=part_gains)
    graph = (
        render_graph(reading.parts, settings, plan, output="m", for_meter=True, part_of=reading.part_of)
        + ";[m]ebur128=framelog=verbose[out]"
    )
    stderr = run_ffmpeg(
        [*reading.inputs, "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"],
        source=reading.source,
        duration_s=reading.duration_s,
        on_progress=on_progress,
    )
    return parse_ebur128_summary(stderr, peak=False)


def calibrate_limiter(
    reading: Reading,
    settings: RenderSettings,
    plan: RenderPlan,
    trials: Sequence[float],
    *,
    on_progress: Progress | None = None,
    frames: dict[float, list[tuple[float, float, float]]] | None = None,
) -> list[tuple[float, float]]:
    """Where the limited (and levelled) programme lands at each trial gain: [(gain, LUFS)].

    With ``frames``, each trial's meter also logs its 100 ms readings, kept there by gain (a
    programme of several parts: where each part lands at that gain).

    Each trial gain gets its own ffmpeg run, side by side (one per core): the whole
    programme, through the limiter into a meter, exactly as the encoder will get it (or,
    for the scout, its excerpts).
    (Metering a thinned sample instead was tried: it misjudged the loss by up to 0.5 LU
    on two-voice speech, costing a re-render. One decode split into every trial in a
    single ffmpeg was tried too: 6% less CPU, but one core doing all of it made this
    stage take 2.5x as long on the clock, the largest cost before encoding.)
    """
    done = [0.0] * len(trials)

    def meter(index: int, gain: float) -> float:
        def progress(fraction: float) -> None:
            done[index] = fraction
            if on_progress:
                on_progress(min(done))

        trial = replace(plan, gain_db=gain)
        log_frames = "info" if frames is not None else "verbose"
        graph = (
            render_graph(reading.parts, settings, trial, output="t", for_meter=True, part_of=reading.part_of)
            + f";[t]ebur128=framelog={log_frames}[out]"
        )
        run = FFmpeg(
            [*reading.inputs, "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"],
            progress=True,
            series=frames is not None,
        )
        run.follow_progress(reading.duration_s, progress)
        stderr = run.wait(source=reading.source)
        progress(1.0)
        if frames is not None:
            frames[gain] = run.log.frames
        return parse_ebur128_summary(stderr, peak=False)["integrated_lufs"]

    with ThreadPoolExecutor(max_workers=len(trials), thread_name_prefix="calibrate") as pool:
        landed = list(pool.map(meter, range(len(trials)), trials))
    return list(zip(trials, landed))


def solve_gain(aim: float, points: Sequence[tuple[float, float]], slope: float | None = None) -> float:
    """The gain that lands the limited programme on ``aim``, from the last two (gain, LUFS) trials
    (or the last one and a ``slope`` learnt elsewhere).

    Linear between them: the limiter takes back a growing share of each extra dB, so the
    programme moves less than 1 LU per dB (``gain_slope``).

    >>> solve_gain(-15.6, [(5.0, -16.0), (6.0, -15.5)])
    5.8
    >>> solve_gain(-15.6, [(5.0, -15.0), (6.0, -14.0)])
    4.4
    >>> solve_gain(-15.6, [(6.0, -15.5)], slope=0.5)
    5.8
    """
    gain, landed = points[-1]
    if slope is None or len(points) >= 2:
        slope = gain_slope(points)
    return round(gain + (aim - landed) / slope, 3)


def place_trials(gain_db: float, peak_dbfs: float, limiter: Limiter) -> tuple[float, float]:
    """Two trial gains that should bracket the one the limited programme needs.

    Above the plain gain (the limiter takes loudness back), more so and further apart the
    more the peaks would pass the limiter.

    >>> place_trials(7.0, 0.0, Limiter(-3.0))
    (9.5, 13.0)
    >>> place_trials(3.0, -12.0, Limiter(-3.0))
    (3.0, 3.5)
    """
    excess = max(0.0, peak_dbfs + gain_db - limiter.ceiling_dbtp)
    low = round(gain_db + 0.25 * excess, 3)
    return low, round(low + max(0.5, 0.35 * excess), 3)


def scout_programme(
    excerpts: Reading, settings: RenderSettings, part_gains: tuple[float, ...] = ()
) -> tuple[float, float] | None:
    """Loudness and sample peak of the excerpts (each part at its gain, through the leveler, if set),
    or None if they cannot be read."""
    plan = RenderPlan.as_it_comes(settings, part_gains=part_gains)
    graph = render_graph(excerpts.parts, settings, plan, output="m", for_meter=True, part_of=excerpts.part_of) + (
        f";[m]asplit[a][b];[a]ebur128=framelog=verbose[loud];[b]{PEAK_METER}[peak]"
    )
    try:
        stderr = run_ffmpeg(
            [
                *excerpts.inputs,
                "-filter_complex",
                graph,
                "-map",
                "[loud]",
                "-f",
                "null",
                "-",
                "-map",
                "[peak]",
                "-f",
                "null",
                "-",
            ]
        )
        lufs = parse_ebur128_summary(stderr, peak=False)["integrated_lufs"]
    except PodcastError:
        return None  # the full analysis names what is wrong with the file
    return lufs, parse_peak(stderr)


def scout_trials(
    excerpts: Reading, settings: RenderSettings, limiter: Limiter, *, aim: float, part_gains: tuple[float, ...] = ()
) -> tuple[tuple[float, ...], float] | None:
    """Trial gains for the full calibration and the limiter's slope, from calibrating the excerpts first;
    None if no limiter is likely.

    The excerpts' loudness and peaks tell whether the limiter will work at all; if so, the
    same two-trial calibration on the excerpts (a second of decoding) says near which gain
    the whole programme will land and how many LU it moves per dB there (the slope). The full
    programme is then metered at that one gain: the excerpts can misjudge the limiter's loss by
    a few tenths of an LU, and that one full reading corrects it through the slope, whose own
    error then costs a few hundredths. (Two full trials around the guess cost twice the
    decoding and metering, the largest cost before encoding, for the same landing.) When the
    excerpts cannot be calibrated, two full trials bracket the plain guess.
    """
    scouted = scout_programme(excerpts, settings, part_gains)
    if scouted is None or scouted[0] <= SILENCE_LUFS:
        return None
    lufs, peak = scouted
    if not settings.leveler and peak + aim - lufs <= limiter.ceiling_dbtp - LIMITER_LIKELY_DB:
        return None
    plan = RenderPlan.as_it_comes(settings, limiter, part_gains=part_gains)
    trials = place_trials(aim - lufs, peak, limiter)
    try:
        points = calibrate_limiter(excerpts, settings, plan, trials)
    except PodcastError:
        return trials, 1.0
    return (solve_gain(aim, points),), gain_slope(points)


def gain_slope(points: Sequence[tuple[float, float]]) -> float:
    """How many LU the output moves per dB of gain, from the last two (gain, loudness) points.

    1.0 for a plain gain; less once a limiter works, because it takes back part of each
    extra dB. Clamped so one noisy measurement cannot send the next guess far away.

    >>> gain_slope([])
    1.0
    >>> gain_slope([(4.0, -16.6), (5.0, -16.1)])
    0.5
    """
    if len(points) < 2 or points[-1][0] == points[-2][0]:
        return 1.0
    (g0, l0), (g1, l1) = points[-2], points[-1]
    return round(min(1.0, max(0.25, (l1 - l0) / (g1 - g0))), 3)


def measure_encoder_shift(
    sources: Sequence[Path], infos: Sequence[AudioInfo], settings: RenderSettings, *, background: bool = False
) -> float:
    """How much the MP3 encoder changes loudness, measured on an excerpt of the programme (LU).

    LAME as ffmpeg drives it returns a slightly different level than it was given (about
    -0.4 LU here, on speech and tones alike). Encoding EXCERPT_S seconds from the middle of
    the longest part and metering both sides lets the first full render aim right.
    Returns 0 when the excerpt is too quiet to tell.
    """
    longest = max(range(len(sources)), key=lambda i: infos[i].duration_s)
    info = infos[longest]
    start = max(0.0, info.duration_s / 2 - EXCERPT_S / 2)
    excerpt = ["-ss", f"{start:.3f}", "-t", f"{EXCERPT_S:.3f}", "-i", str(sources[longest])]
    graph = (
        f"[0:a:0]{conform(settings)},asplit[a][b];[a]ebur128=framelog=verbose[m];"
        f"[b]aformat=sample_fmts=fltp:sample_rates={settings.sample_rate_hz}:channel_layouts={channel_layout(settings)}[e]"
    )
    with tempfile.TemporaryDirectory(prefix="podcast-shift-") as tmp:
        mp3_path = Path(tmp) / "excerpt.mp3"
        stderr = run_ffmpeg(
            [
                *excerpt,
                "-filter_complex",
                graph,
                "-map",
                "[m]",
                "-f",
                "null",
                "-",
                "-map",
                "[e]",
                "-c:a",
                "libmp3lame",
                "-b:a",
                f"{settings.bitrate_kbps}k",
                "-ac",
                str(settings.channels),
                "-f",
                "mp3",
                "-y",
                str(mp3_path),
            ],
            source=sources[longest],
            background=background,
        )
        pcm = parse_ebur128_summary(stderr, peak=False)["integrated_lufs"]
        mp3 = parse_ebur128_summary(
            run_ffmpeg(
                ["-i", str(mp3_path), "-af", "ebur128=framelog=verbose", "-f", "null", "-"], background=background
            ),
            peak=False,
        )["integrated_lufs"]
    if pcm <= -60 or mp3 <= -60:
        return 0.0
    return round(max(-1.5, min(1.5, mp3 - pcm)), 2)
