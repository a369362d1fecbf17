"""Parsers of ffmpeg's reports, and the records they fill (pure: no ffmpeg runs here).

ffmpeg says what it found on stderr: the banner of ``-i`` (duration, rate, layout, codec),
``ebur128``'s summary (loudness, range, peak), ``silencedetect``'s events and ``astats``'
peak. Each parser takes that text and returns a typed value.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from podcast.errors import ExternalToolError


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
    open_ended: bool = False  # a WAV whose header never got its length (see wav_length_unknown)


@dataclass(frozen=True)
class PartAnalysis:
    """One source file as decoded: its length, silent ends and sample peak."""

    path: str
    duration_s: float
    lead_silence_s: float
    trail_silence_s: float
    peak_dbfs: float
    loudness_lufs: float | None = None  # integrated, when metered (programmes of several parts)


# What recorders that write as they go (and `ffmpeg -f wav pipe:`) leave in a WAV's size fields when
# they never come back to fill them in: the data runs to the end of the file.
_UNKNOWN_SIZES = (0, 0xFFFFFFF0, 0xFFFFFFFF)


def wav_length_unknown(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) is a WAV whose data chunk size is a placeholder.

    ffmpeg plays such a file to its end, and flags the last, short packet as corrupt; that is the
    normal end of this kind of file, not damage.

    >>> fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 44100, 88200, 2, 16)
    >>> streamed = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + fmt + b"data" + struct.pack("<I", 0xFFFFFFF0)
    >>> wav_length_unknown(streamed)
    True
    >>> wav_length_unknown(b"RIFF" + struct.pack("<I", 1036) + b"WAVE" + fmt + b"data" + struct.pack("<I", 1000))
    False
    """
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    at = 12
    while at + 8 <= len(head):
        chunk, size = head[at : at + 4], struct.unpack_from("<I", head, at + 4)[0]
        if chunk == b"data":
            return size in _UNKNOWN_SIZES
        at += 8 + size + (size & 1)
    return False


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: (\w+).*?, (\d+) Hz, ([^,\n]+)")


def parse_probe(path: str, banner: str) -> AudioInfo | None:
    """Read duration, rate, channels and codec of the first audio stream from ffmpeg's banner.

    >>> parse_probe("a.wav", "  Duration: 00:01:02.50, bitrate: 705 kb/s\\n"
    ...     "  Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 44100 Hz, stereo, s16, 1411 kb/s")
    AudioInfo(path='a.wav', duration_s=62.5, sample_rate_hz=44100, channels=2, codec='pcm_s16le', duration_estimated=False, open_ended=False)
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


# --- time series: what ebur128 and a windowed peak meter say every 100 ms ------------------------

FRAME_S = 0.1  # ebur128 logs one line per 100 ms; the windowed peak meter reads 100 ms windows
FLOOR_LUFS = -70.0  # ebur128's absolute gate; quieter readings are clamped to it in the series


def parse_ebur128_frame(line: str) -> tuple[float, float, float] | None:
    """(t, momentary, short-term) from one ``ebur128=framelog=info`` line, or None for any other line.

    Split, not a regular expression: an hour of audio prints 36,000 of these lines and they are
    read while the encoder runs.

    >>> parse_ebur128_frame("[Parsed_ebur128_3 @ 0x1] t: 0.499977   TARGET:-23 LUFS    M: -21.8 S:-120.7     I: -21.8 LUFS")
    (0.499977, -21.8, -70.0)
    >>> parse_ebur128_frame("[Parsed_ebur128_3 @ 0x1] Summary:") is None
    True
    """
    at = line.find("] t: ")
    if at < 0:
        return None
    try:
        t = float(line[at + 5 :].split(None, 1)[0])
        m = float(line[line.index(" M:", at) + 3 :].split(None, 1)[0])
        s = float(line[line.index(" S:", at) + 3 :].split(None, 1)[0])
    except ValueError:
        return None
    return t, max(m, FLOOR_LUFS), max(s, FLOOR_LUFS)


PEAK_KEY = "lavfi.astats.Overall.Peak_level="


def parse_window_peak(line: str) -> float | None:
    """The peak (dBFS) of one window, as ``ametadata=mode=print`` logs astats' reading; else None.

    >>> parse_window_peak("[Parsed_ametadata_9 @ 0x1] lavfi.astats.Overall.Peak_level=-9.680564")
    -9.680564
    >>> parse_window_peak("[Parsed_ametadata_9 @ 0x1] lavfi.astats.Overall.Peak_level=-inf")
    -inf
    """
    at = line.find(PEAK_KEY)
    if at < 0:
        return None
    try:
        return float(line[at + len(PEAK_KEY) :].strip())
    except ValueError:
        return None


def gated_loudness(momentary: Sequence[float]) -> float:
    """Integrated loudness (LUFS) of a stretch from its 400 ms block loudnesses, gated as BS.1770-4 gates.

    ebur128's momentary loudness every 100 ms *is* the series of 75 %-overlapping 400 ms
    blocks the standard integrates, so any stretch of a programme (one part of it) can be
    integrated afterwards, without metering it again: blocks under -70 LUFS are dropped,
    then those more than 10 LU under the mean of the rest. Returns -70.0 for silence.

    >>> gated_loudness([-20.0] * 50)
    -20.0
    >>> gated_loudness([-20.0] * 50 + [-70.0] * 50 + [-45.0] * 10)   # silence and a faint tail do not count
    -20.0
    >>> gated_loudness([])
    -70.0
    """
    powers = [10 ** (m / 10) for m in momentary if m > FLOOR_LUFS]
    if not powers:
        return FLOOR_LUFS
    relative = 10 * math.log10(sum(powers) / len(powers)) - 10
    kept = [p for p in powers if 10 * math.log10(p) > relative]
    return round(10 * math.log10(sum(kept) / len(kept)), 1) if kept else FLOOR_LUFS
