"""Everything that touches ffmpeg: finding it, probing, measuring and rendering audio.

The adapter owns ffmpeg's failure modes (STYLE §3.3): argv lists only, the command
logged at debug, a missing or broken binary raised as ExternalToolError (exit 3) and
input that is not audio raised as AudioInvalid (exit 1). Progress is reported through
an ``on_progress(fraction)`` callback; nothing here prints.

Loudness normalisation is closed-loop: measure the source (ITU-R BS.1770 via
``ebur128``), apply a static gain (plus a 4x-oversampled limiter only when the gain
would push the true peak over the ceiling), encode, then re-measure the *encoded MP3*
and correct once more if it landed off target. A plain gain keeps speech dynamics
intact, unlike loudnorm's dynamic fallback.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypedDict

from .errors import AudioInvalid, ExternalToolError

log = logging.getLogger(__name__)

Progress = Callable[[float], None]

SILENCE_LUFS = -69.0  # ebur128 reports -70 LUFS for digital silence
TOLERANCE_LU = 0.3  # re-render when the encoded file lands further than this from target
TRUE_PEAK_MARGIN_DB = 0.5  # MP3 encoding overshoots peaks; limit this far below the ceiling
MAX_RENDERS = 3
MIN_DURATION_S = 1.0  # BS.1770 integrated loudness needs at least one 400 ms block; be generous

INSTALL_HINT = (
    "install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) "
    "or `pip install imageio-ffmpeg`, or set PODCAST_FFMPEG to an ffmpeg binary"
)


class LoudnessStats(TypedDict):
    """What ``ebur128=peak=true`` reports about a whole file."""

    integrated_lufs: float
    range_lu: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class AudioInfo:
    path: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    codec: str


@dataclass(frozen=True)
class RenderSettings:
    loudness_lufs: float
    true_peak_dbtp: float
    channels: int
    bitrate_kbps: int
    sample_rate_hz: int


@dataclass(frozen=True)
class RenderReport:
    """Loudness before and after, and how many encodes the closed loop needed."""

    before: LoudnessStats
    after: LoudnessStats
    gain_db: float
    limited: bool
    renders: int
    duration_s: float

    def to_dict(self) -> dict:
        return asdict(self)


# --- finding and running ffmpeg -------------------------------------------------------------


def ffmpeg_exe() -> str:
    """The ffmpeg to use: $PODCAST_FFMPEG, else the system's, else the one imageio-ffmpeg ships."""
    override = os.environ.get("PODCAST_FFMPEG")
    if override:
        found = shutil.which(override)
        if not found:
            raise ExternalToolError(
                f"PODCAST_FFMPEG is set to '{override}', which is not an executable program",
                fix="point PODCAST_FFMPEG at an ffmpeg binary, or unset it to use the system ffmpeg",
            )
        return _checked(found)
    system = shutil.which("ffmpeg")
    if system:
        return _checked(system)
    try:
        import imageio_ffmpeg

        return _checked(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        raise ExternalToolError("ffmpeg was not found", fix=INSTALL_HINT) from None


@functools.lru_cache(maxsize=8)
def _checked(exe: str) -> str:
    """Run ``ffmpeg -version`` once per binary, so a broken install fails with a clear message."""
    try:
        result = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExternalToolError(f"ffmpeg at {exe} does not run ({exc.__class__.__name__})", fix=INSTALL_HINT) from None
    if result.returncode != 0 or "ffmpeg version" not in result.stdout:
        raise ExternalToolError(f"ffmpeg at {exe} does not work (exit {result.returncode})", fix=INSTALL_HINT)
    return exe


_NOT_AUDIO = (
    "Invalid data found when processing input",
    "does not contain any stream",
    "Could not find codec parameters",
    "Output file #0 does not contain any stream",
    "Stream map '0:a:0' matches no streams",
    "matches no streams",
    "Invalid argument",
    "could not find sync byte",
    "Unknown input format",
    "moov atom not found",
)


def run_ffmpeg(
    args: Sequence[str],
    *,
    source: Path | None = None,
    duration_s: float | None = None,
    on_progress: Progress | None = None,
) -> str:
    """Run ffmpeg with ``args``; return its stderr. Raise AudioInvalid or ExternalToolError on failure.

    ``source`` names the input in error messages; with ``duration_s`` and ``on_progress``
    the caller gets the fraction done as ffmpeg works through the file.
    """
    argv = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", *args]
    log.debug("running %s", shlex.join(argv))
    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as exc:
        raise ExternalToolError(f"ffmpeg could not be started ({exc.strerror})", fix=INSTALL_HINT) from None
    # Keep only the tail of stderr: ebur128 logs a line per 100 ms of audio.
    tail: collections.deque[str] = collections.deque(maxlen=60)
    reader = threading.Thread(target=lambda: tail.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    assert process.stdout is not None
    for line in process.stdout:
        if on_progress and duration_s and line.startswith("out_time_us="):
            value = line.split("=", 1)[1].strip()
            if value.isdigit():
                on_progress(min(1.0, int(value) / 1e6 / duration_s))
    process.wait()
    reader.join()
    stderr = "".join(tail)
    if process.returncode != 0:
        lines = [line.strip() for line in tail if line.strip()]
        last = lines[-1] if lines else f"exit status {process.returncode}"
        if source is not None and any(marker in stderr for marker in _NOT_AUDIO):
            raise AudioInvalid(
                "cannot be decoded as audio (corrupt, truncated or not an audio file)",
                path=source,
                fix="export the master again as WAV, FLAC, MP3 or M4A",
            )
        where = f" on {source}" if source else ""
        raise ExternalToolError(
            f"ffmpeg failed{where}: {last}", fix="run again with -v to see the ffmpeg command and its output"
        )
    if on_progress:
        on_progress(1.0)
    return stderr


# --- probing and measuring ------------------------------------------------------------------

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: (\w+).*?, (\d+) Hz, ([^,]+)")


def probe(path: Path) -> AudioInfo:
    """Duration, sample rate, channels and codec of ``path``, read from ffmpeg's banner (no ffprobe needed)."""
    if not path.is_file():
        raise AudioInvalid("audio file not found", path=path, fix="check the file name in episode.toml")
    argv = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)]
    log.debug("running %s", shlex.join(argv))
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace")
    stream = _AUDIO_STREAM.search(result.stderr)
    duration = _DURATION.search(result.stderr)
    if not stream and (result.returncode < 0 or str(path) not in result.stderr):
        # ffmpeg names the input in everything it says about it; silence about the file means
        # ffmpeg itself crashed or is broken, which is not the producer's master's fault.
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {result.returncode}"
        raise ExternalToolError(f"ffmpeg failed on {path}: {last}", fix=INSTALL_HINT)
    if not stream:
        raise AudioInvalid(
            "is not an audio file ffmpeg can read",
            path=path,
            fix="export the master again as WAV, FLAC, MP3 or M4A",
        )
    layout = stream.group(3).strip()
    channels = {"mono": 1, "stereo": 2}.get(layout, 0)
    if not channels:
        match = re.match(r"(\d+) channels", layout)
        channels = int(match.group(1)) if match else 2
    seconds = 0.0
    if duration:
        hours, minutes, secs = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return AudioInfo(str(path), seconds, int(stream.group(2)), channels, stream.group(1))


_SUMMARY = {
    "integrated_lufs": re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS"),
    "range_lu": re.compile(r"LRA:\s+(-?[\d.]+) LU"),
    "true_peak_dbtp": re.compile(r"Peak:\s+(-?[\d.]+|-inf|inf) dBFS"),
}


def parse_ebur128_summary(stderr: str) -> LoudnessStats:
    """Pull integrated loudness, loudness range and true peak out of ebur128's summary.

    >>> parse_ebur128_summary("Summary: I:  -16.2 LUFS  LRA:   4.0 LU  Peak:  -1.5 dBFS")
    {'integrated_lufs': -16.2, 'range_lu': 4.0, 'true_peak_dbtp': -1.5}
    """
    summary = stderr[stderr.rfind("Summary:") :]
    stats = {}
    for key, pattern in _SUMMARY.items():
        match = pattern.search(summary)
        if not match:
            raise ExternalToolError("ffmpeg's ebur128 meter printed no summary", fix="update ffmpeg to 4.4 or newer")
        stats[key] = float(match.group(1))
    return LoudnessStats(**stats)  # type: ignore[typeddict-item]


def measure_loudness(path: Path, *, on_progress: Progress | None = None, duration_s: float | None = None) -> LoudnessStats:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) of a file, per ITU-R BS.1770."""
    if not path.is_file():  # bad input (exit 1), not an ffmpeg failure (exit 3)
        raise AudioInvalid("audio file not found", path=path, fix="check the file name")
    if on_progress and duration_s is None:
        duration_s = probe(path).duration_s
    stderr = run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-"],
        source=path,
        duration_s=duration_s,
        on_progress=on_progress,
    )
    return parse_ebur128_summary(stderr)


# --- rendering ------------------------------------------------------------------------------


def _db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


def _filter_graph(n_inputs: int, settings: RenderSettings, gain_db: float, limit_dbtp: float | None) -> str:
    """Resample every part to the show's rate and layout, join them, apply gain and (maybe) the limiter."""
    layout = "mono" if settings.channels == 1 else "stereo"
    rate = settings.sample_rate_hz
    parts = [
        f"[{i}:a:0]aresample={rate},aformat=sample_fmts=flt:sample_rates={rate}:channel_layouts={layout}[p{i}]"
        for i in range(n_inputs)
    ]
    joined = "".join(f"[p{i}]" for i in range(n_inputs))
    chain = f"{joined}concat=n={n_inputs}:v=0:a=1" if n_inputs > 1 else "[p0]anull"
    chain += f",volume={gain_db:.3f}dB"
    if limit_dbtp is not None:
        # Limit at 4x the sample rate so inter-sample (true) peaks are caught, then come back down.
        limit = max(0.0625, min(1.0, _db_to_linear(limit_dbtp)))
        chain += f",aresample={rate * 4},alimiter=limit={limit:.5f}:attack=5:release=50:level=0:asc=1"
        chain += f",aresample={rate}"
    chain += f",aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={layout}[out]"
    return ";".join([*parts, chain])


def encode_mp3(
    sources: Sequence[Path],
    output: Path,
    settings: RenderSettings,
    *,
    gain_db: float,
    limit_dbtp: float | None,
    duration_s: float,
    on_progress: Progress | None = None,
) -> None:
    """Join ``sources``, apply gain/limiter and encode a CBR MP3 without any tags (tags come later)."""
    args: list[str] = []
    for source in sources:
        args += ["-i", str(source)]
    args += [
        "-filter_complex", _filter_graph(len(sources), settings, gain_db, limit_dbtp),
        "-map", "[out]",
        "-map_metadata", "-1",
        "-c:a", "libmp3lame",
        "-b:a", f"{settings.bitrate_kbps}k",
        "-ar", str(settings.sample_rate_hz),
        "-ac", str(settings.channels),
        "-id3v2_version", "0",
        "-write_id3v1", "0",
        "-f", "mp3",
        "-y", str(output),
    ]  # fmt: skip
    run_ffmpeg(args, source=sources[0] if len(sources) == 1 else None, duration_s=duration_s, on_progress=on_progress)


def render_episode_audio(
    sources: Sequence[Path],
    output: Path,
    settings: RenderSettings,
    *,
    on_progress: Callable[[str, float], None] | None = None,
) -> RenderReport:
    """Assemble, normalise and encode ``sources`` into ``output`` (an MP3), closed-loop on loudness.

    Writes to a temporary file beside ``output`` and renames it into place only when the
    encoded file meets the target, so a crash never leaves a half-written MP3 that looks built.
    """

    def step(name: str) -> Progress | None:
        return (lambda fraction: on_progress(name, fraction)) if on_progress else None

    infos = [probe(path) for path in sources]
    duration = sum(info.duration_s for info in infos)
    for info in infos:
        if 0 < info.duration_s < MIN_DURATION_S and len(infos) == 1:
            raise AudioInvalid(
                f"is only {info.duration_s:.2f} s long, too short to measure loudness",
                path=Path(info.path),
                fix="use a master of at least one second",
            )
    before = _measure_joined(sources, infos, settings, step("measure"), duration)
    if before["integrated_lufs"] <= SILENCE_LUFS:
        raise AudioInvalid(
            "is silent (no measurable loudness)",
            path=sources[0] if len(sources) == 1 else sources[0].parent,
            fix="check that the right master file was exported and that it is not muted",
        )
    gain = settings.loudness_lufs - before["integrated_lufs"]
    ceiling = settings.true_peak_dbtp - TRUE_PEAK_MARGIN_DB
    limit: float | None = ceiling if before["true_peak_dbtp"] + gain > ceiling else None

    tmp = output.with_name(f".{output.name}.tmp")
    try:
        for render in range(1, MAX_RENDERS + 1):
            encode_mp3(sources, tmp, settings, gain_db=gain, limit_dbtp=limit, duration_s=duration, on_progress=step("encode"))
            after = measure_loudness(tmp, on_progress=step("verify"), duration_s=duration)
            off_by = settings.loudness_lufs - after["integrated_lufs"]
            over_peak = after["true_peak_dbtp"] - settings.true_peak_dbtp
            log.debug("render %d: gain %.2f dB, limit %s, result %s", render, gain, limit, after)
            if abs(off_by) <= TOLERANCE_LU and over_peak <= 0:
                break
            gain += off_by
            if over_peak > 0 or (limit is None and after["true_peak_dbtp"] + off_by > settings.true_peak_dbtp):
                limit = (limit if limit is not None else ceiling) - max(over_peak, 0) - 0.2
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return RenderReport(before=before, after=after, gain_db=round(gain, 3), limited=limit is not None,
                        renders=render, duration_s=duration)  # fmt: skip


def _measure_joined(
    sources: Sequence[Path], infos: list[AudioInfo], settings: RenderSettings, progress: Progress | None, duration: float
) -> LoudnessStats:
    """Measure the assembled programme (not each part), at the output's rate and layout."""
    if len(sources) == 1:
        return measure_loudness(sources[0], on_progress=progress, duration_s=duration)
    args: list[str] = []
    for source in sources:
        args += ["-i", str(source)]
    graph = _filter_graph(len(sources), settings, 0.0, None).replace("[out]", ",ebur128=peak=true[out]")
    args += ["-filter_complex", graph, "-map", "[out]", "-f", "null", "-"]
    return parse_ebur128_summary(run_ffmpeg(args, duration_s=duration, on_progress=progress))
