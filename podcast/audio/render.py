"""Everything that touches ffmpeg: finding it, probing, measuring and rendering audio.

The adapter owns ffmpeg's failure modes (STYLE §3.3): argv lists only, the command
logged at debug, a missing or broken binary raised as ExternalToolError (exit 3) and
input that is not audio, is corrupt, truncated, silent or too short raised as
AudioInvalid (exit 1). Progress is reported through an ``on_progress`` callback;
nothing here prints.

Loudness normalisation is measured, static and closed-loop (see README "Loudness"):

1. **Scout** (a second or two of decoding): excerpts spread over the programme give a
   first guess of its loudness and peaks; when a limiter looks likely, the excerpts are
   calibrated through it too, which says near which gain the whole programme will land.
2. **Analyse and calibrate, side by side** (one ffmpeg per core): per part the leading and
   trailing silence (``silencedetect``), the sample peak and decoding errors (corrupt or
   truncated files); the encoder's loudness shift on a short excerpt; and, when the scout
   expects the limiter, the whole programme through the limiter at two trial gains, each
   metered (``ebur128``), because a limiter lowers the loudness more the harder it works.
   When no limiter looks likely, the programme's loudness is metered instead.
3. **Plan**: silence trims and one static gain, solved from the trials (or the plain gain
   to the target); a limiter only when the peaks need it.
4. **Render and verify in one go**: three ffmpeg processes in a pipe. A feeder applies the
   plan and measures the programme before it (the report's "before"); the encoder writes
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

import collections
import functools
import logging
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any, TypedDict

from podcast.errors import AudioInvalid, ExternalToolError, PodcastError

log = logging.getLogger(__name__)

Progress = Callable[[float], None]

SILENCE_LUFS = -69.0  # ebur128 reports -70 LUFS for digital silence
TOLERANCE_LU = 0.3  # re-render when the encoded file lands further than this from target
ACCEPT_LU = 0.5  # the contract: the encoded MP3 is within this of the target
PEAK_HEADROOM_DB = 0.5  # peaks closer than this to the ceiling (before encoding) get a limiter
INTERSAMPLE_DB = 0.5  # the analysis reads sample peaks; a true peak sits up to about this much higher (speech, music)
LIMIT_MARGIN_DB = 2.0  # the limiter works on samples: room for inter-sample peaks and MP3 overshoot (1.3 dB seen over 60 min)
MAX_RENDERS = 3
MAX_CALIBRATIONS = 2  # rounds of two metered trial gains
MIN_DURATION_S = 1.0  # BS.1770 integrated loudness needs 400 ms blocks; less than a second is a mistake
SILENCE_THRESHOLD_DB = -50.0  # below this counts as silence when trimming the ends
SILENCE_MIN_S = 0.1
OVERSAMPLE = 4  # for true-peak estimates and the fallback limiter
TRUE_PEAK_GUARD_DB = 0.5  # an encoded file whose 4x peak estimate is this close to the ceiling is re-read by ebur128=peak=true
EXCERPT_S = 20.0  # how much of the programme is encoded to learn the encoder's loudness shift
SCOUT_EXCERPTS = 24  # excerpts spread over the programme that guess its loudness before the full analysis
SCOUT_EXCERPT_S = 3.0
LIMITER_LIKELY_DB = 3.0  # excerpts miss the highest peaks: a limiter is likely when theirs come this close to it
SCOUT_SPREAD_DB = 1.0  # full trials this far apart, around the gain the excerpts' calibration found
ENCODER_SHIFT_GUESS = -0.4  # LAME's usual loudness shift, until measure_encoder_shift has measured this one

# The speech leveler: dynaudnorm aiming each 250 ms frame at the same RMS (-20 dBFS), its
# gain smoothed over a ~2.75 s Gaussian window, capped at +20 dB and at peaks of 0.9.
# That follows a speaker's turn within a second or two yet is far slower than a syllable,
# so speech keeps its shape; on sustained music it moves the short-term loudness by
# about 0.2 LU (measured in tests/test_loudness.py), i.e. no audible pumping.
LEVELER_FILTER = "dynaudnorm=f=250:g=11:p=0.9:m=10:r=0.1"

INSTALL_HINT = (
    "install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) "
    "or `pip install imageio-ffmpeg`, or set PODCAST_FFMPEG to an ffmpeg binary"
)
REEXPORT_HINT = "export the master again as WAV, FLAC, MP3 or M4A"


class LoudnessStats(TypedDict):
    """What ``ebur128`` reports about a whole programme (true peak is 4x-oversampled)."""

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
    duration_estimated: bool = False


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
class PartAnalysis:
    """One source file as decoded: its length, silent ends and sample peak."""

    path: str
    duration_s: float
    lead_silence_s: float
    trail_silence_s: float
    peak_dbfs: float


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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

    @classmethod
    def whole(cls, sources: Sequence[Path], infos: Sequence[AudioInfo]) -> Reading:
        return cls(tuple(_inputs(sources)), len(sources), sum(info.duration_s for info in infos),
                   sources[0] if len(sources) == 1 else None)  # fmt: skip

    @classmethod
    def excerpts(cls, sources: Sequence[Path], infos: Sequence[AudioInfo]) -> Reading:
        """SCOUT_EXCERPTS excerpts of SCOUT_EXCERPT_S evenly over the programme (a short one: all of it)."""
        total = sum(info.duration_s for info in infos)
        if total <= 2 * SCOUT_EXCERPTS * SCOUT_EXCERPT_S:
            return cls.whole(sources, infos)
        inputs: list[str] = []
        for k in range(SCOUT_EXCERPTS):
            at, index = (k + 0.5) * total / SCOUT_EXCERPTS - SCOUT_EXCERPT_S / 2, 0
            while index < len(sources) - 1 and at >= infos[index].duration_s:
                at -= infos[index].duration_s
                index += 1
            inputs += ["-ss", f"{max(0.0, at):.3f}", "-t", f"{SCOUT_EXCERPT_S:.3f}", "-i", str(sources[index])]
        return cls(tuple(inputs), SCOUT_EXCERPTS, SCOUT_EXCERPTS * SCOUT_EXCERPT_S, None)


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


# ffmpeg's words for input it cannot decode (exit status non-zero) ...
_NOT_AUDIO = (
    "Invalid data found when processing input",
    "does not contain any stream",
    "Could not find codec parameters",
    "Output file #0 does not contain any stream",
    "matches no streams",
    "could not find sync byte",
    "Unknown input format",
    "moov atom not found",
    "Decoder (codec none) not found",
)
# ... and for damage it decodes past (exit status 0): corrupt or truncated files.
_DAMAGED = (
    "corrupt input packet",
    "decode_frame() failed",
    "Error while decoding stream",
    "filesize and duration do not match",
    "Invalid data found when processing input",
    "Header missing",
    "invalid new backstep",
    "Packet corrupt",
)


class _StderrLog:
    """Collects an ffmpeg's stderr without growing with the file: head, tail and damage reports."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: collections.deque[str] = collections.deque(maxlen=80)
        self.damage: list[str] = []
        self.silences: list[tuple[str, float]] = []  # ("start"|"end", seconds), first and last few kept

    def feed(self, lines: Iterable[str]) -> None:
        for line in lines:
            if len(self.head) < 40:
                self.head.append(line)
            self.tail.append(line)
            if len(self.damage) < 5 and any(marker in line for marker in _DAMAGED):
                self.damage.append(line.strip())
            if "silence_" in line:
                event = parse_silence_line(line)
                if event:
                    self.silences.append(event)
                    if len(self.silences) > 8:  # keep the first two events and the last few
                        del self.silences[2]

    @property
    def text(self) -> str:
        head = "".join(self.head)
        tail = "".join(self.tail)
        return tail if head and tail.startswith(head[:200]) else head + tail


def _find_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _find_prctl()  # looked up once here: the child after fork must do as little as possible
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the ffmpeg child (Linux): get SIGKILL when the thread that started it dies, so a killed
    `podcast` leaves no orphan ffmpeg still writing into build/ while the next run writes the same
    file. Every caller waits for its ffmpeg in the thread that started it."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


class FFmpeg:
    """One running ffmpeg: argv logged, stderr drained on a thread, failures turned into PodcastErrors."""

    def __init__(self, args: Sequence[str], *, stdin: IO[bytes] | int | None = None, stdout: int | None = None,
                 progress: bool = False) -> None:  # fmt: skip
        extra = ["-progress", "pipe:1"] if progress else []
        quiet_stdin = ["-nostdin"] if stdin is None else []
        self.argv = [ffmpeg_exe(), *quiet_stdin, "-hide_banner", "-nostats", *extra, *args]
        log.debug("running %s", shlex.join(self.argv))
        try:
            self.process = subprocess.Popen(
                self.argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=stdout if stdout is not None else (subprocess.PIPE if progress else subprocess.DEVNULL),
                stderr=subprocess.PIPE, preexec_fn=_die_with_parent if _PRCTL is not None else None,
            )  # fmt: skip
        except OSError as exc:
            raise ExternalToolError(f"ffmpeg could not be started ({exc.strerror})", fix=INSTALL_HINT) from None
        self.log = _StderrLog()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self.out_time_s = 0.0

    def _drain(self) -> None:
        assert self.process.stderr is not None
        text = (raw.decode("utf-8", "replace") for raw in self.process.stderr)
        self.log.feed(text)

    def follow_progress(self, duration_s: float | None, on_progress: Progress | None) -> None:
        """Read ``-progress`` lines from stdout until ffmpeg closes it."""
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            if raw.startswith(b"out_time_us="):
                value = raw.split(b"=", 1)[1].strip()
                if value.isdigit():
                    self.out_time_s = int(value) / 1e6
                    if on_progress and duration_s:
                        on_progress(min(1.0, self.out_time_s / duration_s))

    def wait(self, *, source: Path | None = None) -> str:
        """Wait for the exit; return stderr (head and tail) or raise AudioInvalid / ExternalToolError."""
        self.process.wait()
        self._reader.join()
        for pipe in (self.process.stdout, self.process.stderr):  # else: ResourceWarnings, fds held until GC
            if pipe is not None:
                pipe.close()
        stderr = self.log.text
        if self.process.returncode < 0:  # killed (OOM killer, a user, a shutdown): not a problem with the audio
            raise ExternalToolError(
                f"ffmpeg was stopped by signal {-self.process.returncode}{f' while working on {source}' if source else ''}",
                fix="nothing half-written was kept; run the command again",
            )
        if "No space left on device" in stderr:
            raise PodcastError("ffmpeg could not write its output: no space left on device",
                               fix="free some disk space and run the command again")  # fmt: skip
        if self.process.returncode != 0:
            lines = [line.strip() for line in self.log.tail if line.strip()]
            last = lines[-1] if lines else f"exit status {self.process.returncode}"
            if source is not None and "Decoder (codec" in stderr and "not found" in stderr:
                raise AudioInvalid("uses an audio codec this ffmpeg cannot decode", path=source, fix=REEXPORT_HINT)
            if source is not None and any(marker in stderr for marker in _NOT_AUDIO):
                raise AudioInvalid(
                    "cannot be decoded as audio (corrupt, truncated or not an audio file)", path=source, fix=REEXPORT_HINT
                )
            where = f" on {source}" if source else ""
            raise ExternalToolError(
                f"ffmpeg failed{where}: {last}", fix="run again with -v to see the ffmpeg command and its output"
            )
        return stderr


def run_ffmpeg(
    args: Sequence[str],
    *,
    source: Path | None = None,
    duration_s: float | None = None,
    on_progress: Progress | None = None,
) -> str:
    """Run ffmpeg with ``args``; return its stderr. Raise AudioInvalid or ExternalToolError on failure."""
    run = FFmpeg(args, progress=True)
    run.follow_progress(duration_s, on_progress)
    stderr = run.wait(source=source)
    if on_progress:
        on_progress(1.0)
    return stderr


# --- parsing ffmpeg's reports (pure) ----------------------------------------------------------

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: (\w+).*?, (\d+) Hz, ([^,\n]+)")


def parse_probe(path: str, banner: str) -> AudioInfo | None:
    """Read duration, rate, channels and codec of the first audio stream from ffmpeg's banner.

    >>> parse_probe("a.wav", "  Duration: 00:01:02.50, bitrate: 705 kb/s\\n"
    ...     "  Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 44100 Hz, stereo, s16, 1411 kb/s")
    AudioInfo(path='a.wav', duration_s=62.5, sample_rate_hz=44100, channels=2, codec='pcm_s16le', duration_estimated=False)
    >>> parse_probe("a.txt", "a.txt: Invalid data found when processing input") is None
    True
    """
    stream = _AUDIO_STREAM.search(banner)
    if not stream:
        return None
    layout = stream.group(3).strip()
    channels = {"mono": 1, "stereo": 2}.get(layout, 0)
    if not channels:
        match = re.match(r"(\d+) channels", layout)
        channels = int(match.group(1)) if match else 2
    seconds = 0.0
    duration = _DURATION.search(banner)
    if duration:
        hours, minutes, secs = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    estimated = "Estimating duration from bitrate" in banner
    return AudioInfo(path, seconds, int(stream.group(2)), channels, stream.group(1), estimated)


_SUMMARY = {
    "integrated_lufs": re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS"),
    "range_lu": re.compile(r"LRA:\s+(-?[\d.]+) LU"),
    "true_peak_dbtp": re.compile(r"Peak:\s+(-?[\d.]+|-inf|inf) dBFS"),
}


def parse_ebur128_summary(stderr: str, *, peak: bool = True) -> LoudnessStats:
    """Pull integrated loudness, loudness range and (true) peak out of ebur128's summary.

    >>> parse_ebur128_summary("Summary: I:  -16.2 LUFS  LRA:   4.0 LU  Peak:  -1.5 dBFS")
    {'integrated_lufs': -16.2, 'range_lu': 4.0, 'true_peak_dbtp': -1.5}
    >>> parse_ebur128_summary("Summary: I:  -70.0 LUFS  LRA:   0.0 LU", peak=False)["true_peak_dbtp"]
    -inf
    """
    summary = stderr[stderr.rfind("Summary:") :]
    stats: dict[str, float] = {}
    for key, pattern in _SUMMARY.items():
        if key == "true_peak_dbtp" and not peak:
            stats[key] = -math.inf
            continue
        match = pattern.search(summary)
        if not match:
            raise ExternalToolError("ffmpeg's ebur128 meter printed no summary", fix="update ffmpeg to 4.4 or newer")
        stats[key] = float(match.group(1))
    return LoudnessStats(**stats)  # type: ignore[typeddict-item]


_SILENCE = re.compile(r"silence_(start|end): (-?[\d.e+-]+)")


def parse_silence_line(line: str) -> tuple[str, float] | None:
    """One ``silencedetect`` event.

    >>> parse_silence_line("[silencedetect @ 0x5] silence_end: 1.51295 | silence_duration: 1.51295")
    ('end', 1.51295)
    >>> parse_silence_line("size=N/A time=00:00:02.01") is None
    True
    """
    match = _SILENCE.search(line)
    return (match.group(1), float(match.group(2))) if match else None


def silent_ends(events: Sequence[tuple[str, float]], duration_s: float) -> tuple[float, float]:
    """Seconds of silence at the start and at the end of a part, from its silencedetect events.

    ffmpeg closes a silence that runs into the end of the stream with a final ``end`` at
    the stream's length, so trailing silence is a last ``start`` with no real sound after it.

    >>> silent_ends([("start", 0.0), ("end", 1.5), ("start", 9.0), ("end", 10.0)], 10.0)
    (1.5, 1.0)
    >>> silent_ends([("start", 4.0), ("end", 4.3)], 10.0)
    (0.0, 0.0)
    >>> silent_ends([("start", 0.0)], 3.0)
    (3.0, 3.0)
    """
    lead = trail = 0.0
    if events and events[0][0] == "start" and events[0][1] <= 0.01:
        ends = [t for kind, t in events if kind == "end"]
        lead = ends[0] if ends else duration_s
    starts = [t for kind, t in events if kind == "start"]
    if starts:
        last_start = starts[-1]
        later_ends = [t for kind, t in events if kind == "end" and t >= last_start]
        if not later_ends or later_ends[-1] >= duration_s - 0.05:
            trail = max(0.0, duration_s - last_start)
    return round(min(lead, duration_s), 3), round(min(trail, duration_s), 3)


_ASTATS_PEAK = re.compile(r"Peak level dB:\s*(-?[\d.]+|-inf|inf)")


def parse_peak(stderr: str) -> float:
    """The overall peak astats printed last, in dBFS.

    >>> parse_peak("[Parsed_astats_3 @ 0x1] Overall\\n[Parsed_astats_3 @ 0x1] Peak level dB: -1.829671")
    -1.83
    """
    found = _ASTATS_PEAK.findall(stderr)
    return round(float(found[-1]), 2) if found else -math.inf


# --- probing and measuring ------------------------------------------------------------------


def probe(path: Path) -> AudioInfo:
    """Duration, sample rate, channels and codec of ``path``, read from ffmpeg's banner (no ffprobe needed)."""
    if not path.is_file():
        raise AudioInvalid("audio file not found", path=path, fix="check the file name in episode.toml")
    argv = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)]
    log.debug("running %s", shlex.join(argv))
    result = subprocess.run(argv, capture_output=True, text=True, errors="replace")
    info = parse_probe(str(path), result.stderr)
    if info is None and (result.returncode < 0 or str(path) not in result.stderr):
        # ffmpeg names the input in everything it says about it; silence about the file means
        # ffmpeg itself crashed or is broken, which is not the producer's master's fault.
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {result.returncode}"
        raise ExternalToolError(f"ffmpeg failed on {path}: {last}", fix=INSTALL_HINT)
    if info is None:
        raise AudioInvalid("is not an audio file ffmpeg can read", path=path, fix=REEXPORT_HINT)
    if info.codec == "none":
        raise AudioInvalid("uses an audio codec this ffmpeg cannot decode", path=path, fix=REEXPORT_HINT)
    return info


def measure_loudness(path: Path, *, on_progress: Progress | None = None, duration_s: float | None = None) -> LoudnessStats:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) of a file, per ITU-R BS.1770."""
    if not path.is_file():  # bad input (exit 1), not an ffmpeg failure (exit 3)
        raise AudioInvalid("audio file not found", path=path, fix="check the file name")
    if on_progress and duration_s is None:
        duration_s = probe(path).duration_s
    stderr = run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        source=path,
        duration_s=duration_s,
        on_progress=on_progress,
    )
    return parse_ebur128_summary(stderr)


# --- filter graphs (pure) -------------------------------------------------------------------


def _db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


_PEAK_METER = "astats=metadata=0:reset=0:measure_perchannel=none:measure_overall=Peak_level"


def _oversampled_peak(rate: int) -> str:
    """A 4x-oversampled sample peak: an estimate of the true peak at a third of ebur128=peak=true's cost."""
    return f"aresample={rate * OVERSAMPLE}:filter_size=16,{_PEAK_METER}"


def _layout(settings: RenderSettings) -> str:
    return "mono" if settings.channels == 1 else "stereo"


def _conform(settings: RenderSettings, sample_fmt: str = "flt") -> str:
    rate = settings.sample_rate_hz
    return f"aresample={rate},aformat=sample_fmts={sample_fmt}:sample_rates={rate}:channel_layouts={_layout(settings)}"


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


def render_graph(n_parts: int, settings: RenderSettings, plan: RenderPlan, *, output: str = "out",
                 tap: str | None = None, for_meter: bool = False) -> str:  # fmt: skip
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
        chain = f"[{i}:a:0]{_conform(settings)}"
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
        steps.append(f"aformat=sample_fmts=fltp:sample_rates={rate}:channel_layouts={_layout(settings)}")
    chains.append(body + ",".join(steps) + f"[{output}]")  # "concat=...," ends with its comma, a label does not need one
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


# --- analysis -------------------------------------------------------------------------------


def _inputs(sources: Sequence[Path]) -> list[str]:
    args: list[str] = []
    for source in sources:
        args += ["-i", str(source)]
    return args


def analyse_part(path: Path, settings: RenderSettings, info: AudioInfo) -> PartAnalysis:
    """Decode one part fully: silent ends, the sample peak, and any sign of damage.

    The sample peak is enough to decide whether a limiter is needed (with INTERSAMPLE_DB to
    spare); the true peak of the programme is read by the encoder's feeder (``encode_and_verify``),
    on the core the encoder leaves free, instead of here, where it would delay the encoding.
    """
    graph = (
        f"[0:a:0]{_conform(settings)},silencedetect=n={SILENCE_THRESHOLD_DB}dB:d={SILENCE_MIN_S},"
        f"{_PEAK_METER}[out]"
    )
    run = FFmpeg(["-i", str(path), "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"], progress=True)
    run.follow_progress(None, None)
    stderr = run.wait(source=path)
    decoded = run.out_time_s
    if run.log.damage:
        raise AudioInvalid(
            f"is corrupt or truncated (ffmpeg: {run.log.damage[0].split('] ')[-1]})", path=path, fix=REEXPORT_HINT
        )
    if info.duration_s and not info.duration_estimated and decoded < info.duration_s - max(0.5, 0.02 * info.duration_s):
        raise AudioInvalid(
            f"is truncated: its header says {info.duration_s:.1f} s but only {decoded:.1f} s decode",
            path=path,
            fix=REEXPORT_HINT,
        )
    duration = decoded or info.duration_s
    lead, trail = silent_ends(run.log.silences, duration)
    return PartAnalysis(str(path), round(duration, 3), lead, trail, parse_peak(stderr))


def measure_programme(reading: Reading, settings: RenderSettings, *, on_progress: Progress | None = None) -> LoudnessStats:
    """Integrated loudness and range of the programme (through the leveler, if set), at unity gain."""
    plan = RenderPlan.as_it_comes(settings)
    graph = render_graph(reading.parts, settings, plan, output="m", for_meter=True) + ";[m]ebur128=framelog=verbose[out]"
    stderr = run_ffmpeg([*reading.inputs, "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"],
                        source=reading.source, duration_s=reading.duration_s, on_progress=on_progress)  # fmt: skip
    return parse_ebur128_summary(stderr, peak=False)


def calibrate_limiter(
    reading: Reading, settings: RenderSettings, plan: RenderPlan, trials: Sequence[float], *,
    on_progress: Progress | None = None,
) -> list[tuple[float, float]]:  # fmt: skip
    """Where the limited (and levelled) programme lands at each trial gain: [(gain, LUFS)].

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
        graph = render_graph(reading.parts, settings, trial, output="t", for_meter=True) + ";[t]ebur128=framelog=verbose[out]"
        stderr = run_ffmpeg([*reading.inputs, "-filter_complex", graph, "-map", "[out]", "-f", "null", "-"],
                            source=reading.source, duration_s=reading.duration_s, on_progress=progress)  # fmt: skip
        return parse_ebur128_summary(stderr, peak=False)["integrated_lufs"]

    with ThreadPoolExecutor(max_workers=len(trials), thread_name_prefix="calibrate") as pool:
        landed = list(pool.map(meter, range(len(trials)), trials))
    return list(zip(trials, landed))


def solve_gain(aim: float, points: Sequence[tuple[float, float]]) -> float:
    """The gain that lands the limited programme on ``aim``, from the last two (gain, LUFS) trials.

    Linear between them: the limiter takes back a growing share of each extra dB, so the
    programme moves less than 1 LU per dB (``gain_slope``).

    >>> solve_gain(-15.6, [(5.0, -16.0), (6.0, -15.5)])
    5.8
    >>> solve_gain(-15.6, [(5.0, -15.0), (6.0, -14.0)])
    4.4
    """
    gain, landed = points[-1]
    return round(gain + (aim - landed) / gain_slope(points), 3)


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


def scout_programme(excerpts: Reading, settings: RenderSettings) -> tuple[float, float] | None:
    """Loudness and sample peak of the excerpts (through the leveler, if set), or None if they cannot be read."""
    plan = RenderPlan.as_it_comes(settings)
    graph = render_graph(excerpts.parts, settings, plan, output="m", for_meter=True) + (
        f";[m]asplit[a][b];[a]ebur128=framelog=verbose[loud];[b]{_PEAK_METER}[peak]"
    )
    try:
        stderr = run_ffmpeg([*excerpts.inputs, "-filter_complex", graph, "-map", "[loud]", "-f", "null", "-",
                             "-map", "[peak]", "-f", "null", "-"])  # fmt: skip
        lufs = parse_ebur128_summary(stderr, peak=False)["integrated_lufs"]
    except PodcastError:
        return None  # the full analysis names what is wrong with the file
    return lufs, parse_peak(stderr)


def scout_trials(excerpts: Reading, settings: RenderSettings, limiter: Limiter, *, aim: float) -> tuple[float, float] | None:
    """Trial gains for the full calibration, placed by calibrating the excerpts first; None if no limiter is likely.

    The excerpts' loudness and peaks tell whether the limiter will work at all; if so, the
    same two-trial calibration on the excerpts (a second of decoding) says near which gain
    the whole programme will land, so its own trials bracket that gain closely. The excerpts
    can misjudge the limiter's loss by a few tenths of an LU; the full calibration decides.
    """
    scouted = scout_programme(excerpts, settings)
    if scouted is None or scouted[0] <= SILENCE_LUFS:
        return None
    lufs, peak = scouted
    if not settings.leveler and peak + aim - lufs <= limiter.ceiling_dbtp - LIMITER_LIKELY_DB:
        return None
    plan = RenderPlan.as_it_comes(settings, limiter)
    trials = place_trials(aim - lufs, peak, limiter)
    try:
        guess = solve_gain(aim, calibrate_limiter(excerpts, settings, plan, trials))
    except PodcastError:
        return trials
    return round(guess - SCOUT_SPREAD_DB / 2, 3), round(guess + SCOUT_SPREAD_DB / 2, 3)


def encode_and_verify(
    sources: Sequence[Path],
    output: Path,
    settings: RenderSettings,
    plan: RenderPlan,
    *,
    duration_s: float,
    on_progress: Progress | None = None,
) -> tuple[LoudnessStats, LoudnessStats]:
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
    Returns (stats of the MP3, stats of the programme as assembled, before leveler and gain).
    """
    rate, source = settings.sample_rate_hz, sources[0] if len(sources) == 1 else None
    graph = render_graph(len(sources), settings, plan, tap="src") + (
        f";[src]asplit[sa][sb];[sa]ebur128=framelog=verbose[loud];[sb]{_oversampled_peak(rate)}[peak]"
    )
    feeder = FFmpeg([*_inputs(sources), "-filter_complex", graph, "-map", "[out]", "-f", "f32le", "pipe:1",
                     "-map", "[loud]", "-f", "null", "-", "-map", "[peak]", "-f", "null", "-"],
                    stdout=subprocess.PIPE)  # fmt: skip
    running = [feeder]
    try:
        assert feeder.process.stdout is not None
        encoder = FFmpeg(
            ["-f", "f32le", "-ar", str(rate), "-ac", str(settings.channels), "-i", "pipe:0", "-map", "0:a", "-map_metadata", "-1",
             "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k",
             "-y", "-f", "tee", f"[f=mp3:id3v2_version=0:write_id3v1=0]{_tee_escape(output)}|[f=mp3]pipe:1"],
            stdin=feeder.process.stdout, stdout=subprocess.PIPE,
        )  # fmt: skip
        running.append(encoder)
        feeder.process.stdout.close()  # the encoder holds the pipe now; the feeder sees EPIPE if it dies
        assert encoder.process.stdout is not None
        meter = FFmpeg(
            ["-f", "mp3", "-i", "pipe:0", "-filter_complex",
             f"[0:a:0]asplit[a][b];[a]ebur128=framelog=verbose[m];[b]{_oversampled_peak(rate)}[p]",
             "-map", "[m]", "-f", "null", "-", "-map", "[p]", "-f", "null", "-"],
            stdin=encoder.process.stdout, progress=True,
        )  # fmt: skip
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
        log.debug("true-peak estimate %.2f dBTP is near the ceiling: checking with ebur128=peak=true", stats["true_peak_dbtp"])
        stats = measure_loudness(output)
    if on_progress:
        on_progress(1.0)
    programme = parse_ebur128_summary(feeder_log, peak=False)
    programme["true_peak_dbtp"] = round(parse_peak(feeder_log), 1)
    return stats, programme


def wait_pipeline(stages: Sequence[tuple[FFmpeg, Path | None]]) -> list[str]:
    """Wait for every ffmpeg of a pipe chain; return their stderr, or raise the failure that broke the chain.

    When one process of a chain dies, its neighbours fail too, with a broken pipe. Those
    failures say nothing about the cause, so a process that failed for a reason of its own
    is reported first (the feeder's for a bad source, which it names).
    """
    for run, _ in stages:
        run.process.wait()
    failed = [(run, source) for run, source in stages if run.process.returncode != 0]
    failed.sort(key=lambda stage: _broke_on_pipe(stage[0]))  # stable: own failures first, in chain order
    for run, source in failed:
        run.wait(source=source)  # raises
    return [run.wait(source=source) for run, source in stages]


def _broke_on_pipe(run: FFmpeg) -> bool:
    return run.process.returncode == -signal.SIGPIPE or "Broken pipe" in run.log.text


def _tee_escape(path: Path) -> str:
    r"""Escape a file name for the tee muxer's ``[options]name|name`` syntax.

    >>> _tee_escape(Path("/tmp/a|b[1].mp3"))
    '/tmp/a\\|b\\[1\\].mp3'
    """
    return re.sub(r"([|\[\]\\:'])", r"\\\1", str(path)) if os.name != "nt" else str(path)


# --- the closed loop ------------------------------------------------------------------------


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

    # 1. Scout: a few excerpts tell whether a limiter is likely, and near which gain.
    target, ceiling = settings.loudness_lufs, settings.true_peak_dbtp
    limiter = Limiter(ceiling - LIMIT_MARGIN_DB)
    whole = Reading.whole(sources, infos)
    trials = scout_trials(Reading.excerpts(sources, infos), settings, limiter, aim=target - ENCODER_SHIFT_GUESS)

    # 2. Analyse, side by side: the parts' silences and peaks, the encoder's loudness shift, and
    #    either the limiter's calibration (two trial gains, metered through the limiter and
    #    leveler, exactly as the encoder will get them) or, when no limiter looks likely, the
    #    programme's loudness for a plain gain.
    points: list[tuple[float, float]] = []  # (gain, loudness of the limited PCM at that gain)
    with ThreadPoolExecutor(max_workers=3 + len(sources)) as pool:
        analyses = [pool.submit(analyse_part, path, settings, info) for path, info in zip(sources, infos)]
        shift = pool.submit(measure_encoder_shift, sources, infos, settings)
        if trials is not None:  # the whole programme as it comes: the trims are not known yet
            calibration = pool.submit(calibrate_limiter, whole, settings, RenderPlan.as_it_comes(settings, limiter),
                                      trials, on_progress=step("calibrate"))  # fmt: skip
        else:
            loudness = pool.submit(measure_programme, whole, settings, on_progress=step("measure"))
        parts = [future.result() for future in analyses]  # first: they name a damaged file
        encoder_shift = shift.result()
        if trials is not None:
            points = calibration.result()
        else:
            unity = loudness.result()["integrated_lufs"]
    if trials is None and unity <= SILENCE_LUFS:
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
    sample_peak = max(part.peak_dbfs for part in parts)

    def peaks_pass(gain: float) -> bool:  # would the peaks come too near the ceiling at this gain?
        return settings.leveler or sample_peak + INTERSAMPLE_DB + gain > ceiling - PEAK_HEADROOM_DB

    plan = RenderPlan(trims=trims, crossfade_s=crossfade, gain_db=0.0, leveler=settings.leveler)
    if trials is None:
        gain = aim - unity
        if peaks_pass(gain):
            trials = place_trials(gain, sample_peak, limiter)
        plan = replace(plan, gain_db=round(gain, 3))
    calibrations = 0
    history: list[dict[str, float]] = []
    if trials is not None:
        # The limiter (and the leveler) shave a little loudness, more the harder they work, so
        # the gain is solved from the metered trials; trials that did not bracket the answer
        # are repeated around it.
        plan = replace(plan, limiter=limiter)
        for calibrations in range(1, MAX_CALIBRATIONS + 1):
            if calibrations > 1 or not points:
                points += calibrate_limiter(whole, settings, plan, trials, on_progress=step("calibrate"))
            history += [{"stage": 0.0, "gain_db": g, "lufs": lufs} for g, lufs in points[-2:]]
            best = solve_gain(aim, points)
            plan = replace(plan, gain_db=best)
            if trials[0] - 1.0 <= best <= trials[1] + 1.0 or sample_peak + best <= limiter.ceiling_dbtp:
                break  # bracketed, or a gain the limiter does not touch (where the trials are exact)
            trials = (round(best - 0.5, 3), round(best + 0.5, 3))
        if not peaks_pass(plan.gain_db):
            plan = replace(plan, limiter=None)  # the scout expected peaks that the gain leaves clear

    # 4./5. Render, verify the encoded MP3, correct if needed.
    tmp = output.with_name(f".{output.name}.tmp")
    after: LoudnessStats | None = None
    before: LoudnessStats | None = None
    renders = 0
    try:
        for renders in range(1, MAX_RENDERS + 1):
            after, before = encode_and_verify(sources, tmp, settings, plan, duration_s=duration,
                                              on_progress=step("encode"))  # fmt: skip
            history.append({"stage": float(renders), "gain_db": round(plan.gain_db, 3), "lufs": after["integrated_lufs"],
                            "true_peak_dbtp": after["true_peak_dbtp"]})  # fmt: skip
            log.debug("render %d: %s -> %s", renders, plan, after)
            off_by = target - after["integrated_lufs"]
            over_peak = after["true_peak_dbtp"] - ceiling
            if abs(off_by) <= TOLERANCE_LU and over_peak <= 0:
                break
            plan = _correct(plan, off_by / gain_slope(points), over_peak, ceiling)
        assert after is not None and before is not None
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
    return RenderReport(
        before=before, after=after, gain_db=round(plan.gain_db, 3), limited=plan.limiter is not None,
        renders=renders, duration_s=round(duration, 3), calibrations=calibrations,
        encoder_shift_lu=encoder_shift, leveler=settings.leveler,
        trimmed_s=round(sum(p.duration_s for p in parts) - kept, 3), history=history,
    )  # fmt: skip


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


def measure_encoder_shift(sources: Sequence[Path], infos: Sequence[AudioInfo], settings: RenderSettings) -> float:
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
        f"[0:a:0]{_conform(settings)},asplit[a][b];[a]ebur128=framelog=verbose[m];"
        f"[b]aformat=sample_fmts=fltp:sample_rates={settings.sample_rate_hz}:channel_layouts={_layout(settings)}[e]"
    )
    with tempfile.TemporaryDirectory(prefix="podcast-shift-") as tmp:
        mp3_path = Path(tmp) / "excerpt.mp3"
        stderr = run_ffmpeg(
            [*excerpt, "-filter_complex", graph, "-map", "[m]", "-f", "null", "-", "-map", "[e]", "-c:a", "libmp3lame",
             "-b:a", f"{settings.bitrate_kbps}k", "-ac", str(settings.channels), "-f", "mp3", "-y", str(mp3_path)],
            source=sources[longest],
        )  # fmt: skip
        pcm = parse_ebur128_summary(stderr, peak=False)["integrated_lufs"]
        mp3 = parse_ebur128_summary(
            run_ffmpeg(["-i", str(mp3_path), "-af", "ebur128=framelog=verbose", "-f", "null", "-"]), peak=False
        )["integrated_lufs"]
    if pcm <= -60 or mp3 <= -60:
        return 0.0
    return round(max(-1.5, min(1.5, mp3 - pcm)), 2)


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
