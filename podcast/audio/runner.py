"""The one way the package runs ffmpeg: finding the binary, starting it, reading its reports.

The adapter owns ffmpeg's failure modes (STYLE §3.3): argv lists only, the command
logged at debug, a missing or broken binary raised as ExternalToolError (exit 3) and
input that is not audio, is corrupt or truncated raised as AudioInvalid (exit 1).
Every ffmpeg child dies with the thread that started it (Linux), so a killed `podcast`
leaves no orphan still writing into build/. Progress is reported through an
``on_progress`` callback; nothing here prints.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from podcast.audio.reports import parse_ebur128_frame, parse_silence_line, parse_window_peak
from podcast.errors import AudioInvalid, ExternalToolError, PodcastError

log = logging.getLogger(__name__)

Progress = Callable[[float], None]

INSTALL_HINT = (
    "install ffmpeg (Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg) "
    "or `pip install imageio-ffmpeg`, or set PODCAST_FFMPEG to an ffmpeg binary"
)
REEXPORT_HINT = "export the master again as WAV, FLAC, MP3 or M4A"


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
    """Collects an ffmpeg's stderr without growing with the file: head, tail and damage reports.

    With ``series``, also the time series the meters log every 100 ms (``ebur128=framelog=info``
    and windowed peaks printed by ``ametadata``), kept as numbers (a few floats a frame, so an
    hour is about 36,000 of each), never as lines.
    """

    def __init__(self, *, series: bool = False) -> None:
        self.series = series
        self.frames: list[tuple[float, float, float]] = []  # (t, momentary LUFS, short-term LUFS)
        self.peaks: list[float] = []  # dBFS of consecutive 100 ms windows
        self.head: list[str] = []
        self.tail: collections.deque[str] = collections.deque(maxlen=80)
        self.damage: list[str] = []
        self.silences: list[tuple[str, float]] = []  # ("start"|"end", seconds), first and last few kept

    def feed(self, lines: Iterable[str]) -> None:
        for line in lines:
            if self.series:
                frame = parse_ebur128_frame(line)
                if frame is not None:
                    self.frames.append(frame)
                    continue
                peak = parse_window_peak(line)
                if peak is not None:
                    self.peaks.append(peak)
                    continue
                if "pts_time:" in line:  # ametadata's header of each window
                    continue
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

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _find_prctl()  # looked up once here: the child after fork must do as little as possible
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """In the ffmpeg child (Linux): get SIGKILL when the thread that started it dies, so a killed
    `podcast` leaves no orphan ffmpeg still writing into build/ while the next run writes the same
    file. Every caller waits for its ffmpeg in the thread that started it."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)
        # A parent killed between the fork and the prctl sends no signal: the child has already
        # been handed to init. Seen once in 30 random kills; the child must then not start ffmpeg.
        if os.getppid() != parent_pid:
            os._exit(1)


BACKGROUND_NICE = 4  # a side job's ffmpeg yields about two thirds of a shared core to the one on the critical path


def _background_child(parent_pid: int) -> None:
    """In a side job's ffmpeg child: a little lower priority, and die with the parent thread."""
    os.nice(BACKGROUND_NICE)
    _die_with_parent(parent_pid)


def _child_setup(*, background: bool = False) -> Callable[[], None] | None:
    """The ``preexec_fn`` for an ffmpeg child, bound to this process's pid (read before the fork)."""
    if background:
        return functools.partial(_background_child, os.getpid())
    return functools.partial(_die_with_parent, os.getpid()) if _PRCTL is not None else None


class FFmpeg:
    """One running ffmpeg: argv logged, stderr drained on a thread, failures turned into PodcastErrors.

    ``background`` marks work off the critical path (the other core's share of a step): its process
    runs at a slightly lower priority, so the work the next step waits for gets the CPU first when
    there is more work than cores.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        stdin: IO[bytes] | int | None = None,
        stdout: int | None = None,
        progress: bool = False,
        series: bool = False,
        background: bool = False,
    ) -> None:
        extra = ["-progress", "pipe:1"] if progress else []
        quiet_stdin = ["-nostdin"] if stdin is None else []
        self.argv = [ffmpeg_exe(), *quiet_stdin, "-hide_banner", "-nostats", *extra, *args]
        log.debug("running %s", shlex.join(self.argv))
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=stdout if stdout is not None else (subprocess.PIPE if progress else subprocess.DEVNULL),
                stderr=subprocess.PIPE,
                preexec_fn=_child_setup(background=background),
            )
        except OSError as exc:
            raise ExternalToolError(f"ffmpeg could not be started ({exc.strerror})", fix=INSTALL_HINT) from None
        self.log = _StderrLog(series=series)
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
            raise PodcastError(
                "ffmpeg could not write its output: no space left on device",
                fix="free some disk space and run the command again",
            )
        if self.process.returncode != 0:
            lines = [line.strip() for line in self.log.tail if line.strip()]
            last = lines[-1] if lines else f"exit status {self.process.returncode}"
            if source is not None and "Decoder (codec" in stderr and "not found" in stderr:
                raise AudioInvalid("uses an audio codec this ffmpeg cannot decode", path=source, fix=REEXPORT_HINT)
            if source is not None and any(marker in stderr for marker in _NOT_AUDIO):
                raise AudioInvalid(
                    "cannot be decoded as audio (corrupt, truncated or not an audio file)",
                    path=source,
                    fix=REEXPORT_HINT,
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
    background: bool = False,
) -> str:
    """Run ffmpeg with ``args``; return its stderr. Raise AudioInvalid or ExternalToolError on failure."""
    run = FFmpeg(args, progress=True, background=background)
    run.follow_progress(duration_s, on_progress)
    stderr = run.wait(source=source)
    if on_progress:
        on_progress(1.0)
    return stderr


def capture_ffmpeg(args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to the end and hand back its exit status, raw stdout and whole stderr, unjudged.

    For the callers that read what a failing run says (``probe`` reads the banner of
    ``ffmpeg -i FILE``, which always exits non-zero) or want stdout as bytes (decoded
    samples), and so word their own errors. An OSError (ffmpeg could not be started)
    propagates for the same reason.
    """
    argv = [ffmpeg_exe(), "-nostdin", "-hide_banner", *args]
    log.debug("running %s", shlex.join(argv))
    return subprocess.run(argv, capture_output=True, check=False, preexec_fn=_child_setup())


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


def tee_escape(path: Path) -> str:
    r"""Escape a file name for the tee muxer's ``[options]name|name`` syntax.

    >>> tee_escape(Path("/tmp/a|b[1].mp3"))
    '/tmp/a\\|b\\[1\\].mp3'
    """
    return re.sub(r"([|\[\]\\:'])", r"\\\1", str(path)) if os.name != "nt" else str(path)
