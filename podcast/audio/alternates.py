"""Alternate formats of a finished programme: Opus and AAC for listeners on slow or metered connections.

Each alternate is encoded from the episode's finished, normalised MP3 (names already bleeped
or muted by the censor stage, so an alternate can never carry what the MP3 hides), then the
encoded audio itself is metered like the MP3 is (``ebur128`` loudness and a 4x-oversampled true
peak): the file read back, or, with a core free for it, the same frames piped to the meter as
they are written (:func:`encode_and_meter`). Codecs move loudness and peaks a little (Opus at 24 kb/s
mono by a few tenths of a LU); when the file lands further than ``TOLERANCE_LU`` from the target or over the ceiling, it is
encoded again with the error fed back as gain (and a limiter, when the peak was over), at most
``MAX_ENCODES`` times. The file is renamed into place only when it passes.

Nothing here knows about episodes or publishing: :mod:`podcast.build.alternates` decides what
to encode and caches it.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from podcast.audio.filters import Limiter, limiter_chain, meter_outputs
from podcast.audio.reports import LoudnessStats, parse_ebur128_summary, parse_peak
from podcast.audio.runner import FFmpeg, tee_escape, wait_pipeline
from podcast.errors import AudioInvalid

log = logging.getLogger(__name__)

TOLERANCE_LU = 0.3  # encode again when the alternate lands further than this from the target
ACCEPT_LU = 0.5  # the contract, as for the MP3: the encoded file is within this of the target
LIMIT_MARGIN_DB = 1.5  # a correcting limiter sits this far under the ceiling (codec overshoot)
MAX_ENCODES = 3
OPUS_RATE = 48000  # Opus always decodes at 48 kHz
OPUS_COMPRESSION = 5  # libopus complexity 0-10: 5 costs 30% less CPU than 10 for no audible loss in speech
# 60 ms packets, as opusenc suggests for low-bitrate files: fewer frame headers in the same bits, and a
# quarter less CPU to encode and a third less to decode (and meter) than the 20 ms that suit calls
OPUS_FRAME_MS = 60

# codec -> (file suffix, MIME type of the file, RFC 6381 codecs string, ffmpeg encoder arguments, the file's muxer
# with its options, the muxer of the copy piped to the meter). The meter reads the very frames written to the file;
# MP4 cannot be written to a pipe (its index comes last), so the AAC frames reach the meter as ADTS.
CODECS: dict[str, tuple[str, str, str, tuple[str, ...], str, str]] = {
    "opus": (
        ".opus",
        "audio/ogg",
        "opus",
        ("-c:a", "libopus", "-compression_level", str(OPUS_COMPRESSION), "-frame_duration", str(OPUS_FRAME_MS)),
        "ogg",
        "ogg",
    ),
    "aac": (
        ".m4a",
        "audio/mp4",
        "mp4a.40.2",
        ("-c:a", "aac", "-aac_coder", "fast"),
        "ipod:movflags=+faststart",
        "adts",
    ),
}

READ_AS = {"ogg": "ogg", "adts": "aac"}  # the piped copy's muxer -> the demuxer that reads it
# ffmpeg's AAC encoder starts with 1024 samples of priming, which the MP4 file's edit list hides from players
# and ADTS does not: the meter skips them, and then decodes exactly what a player of the .m4a plays.
PRIMING = {"ogg": 0, "adts": 1024}


@dataclass(frozen=True)
class AlternateFormat:
    """One alternate encoding: codec, bitrate and channels (sample rate follows the codec and the show)."""

    codec: str  # "opus" or "aac"
    bitrate_kbps: int
    channels: int
    sample_rate_hz: int  # the show's rate; Opus always uses 48 kHz

    @property
    def name(self) -> str:
        """``opus-24k-mono``: stable, URL-safe, what build files and records call it.

        >>> AlternateFormat("opus", 24, 1, 44100).name
        'opus-24k-mono'
        """
        return f"{self.codec}-{self.bitrate_kbps}k-{'mono' if self.channels == 1 else 'stereo'}"

    @property
    def suffix(self) -> str:
        return CODECS[self.codec][0]

    @property
    def mime_type(self) -> str:
        return CODECS[self.codec][1]

    @property
    def codecs(self) -> str:
        return CODECS[self.codec][2]

    @property
    def rate(self) -> int:
        return OPUS_RATE if self.codec == "opus" else self.sample_rate_hz


def encoder_args(fmt: AlternateFormat) -> tuple[str, ...]:
    """ffmpeg's encoder arguments for ``fmt`` (part of an alternate's cache key: changing them encodes again).

    >>> encoder_args(AlternateFormat("aac", 64, 1, 44100))
    ('-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '64k')
    """
    return (*CODECS[fmt.codec][3], "-b:a", f"{fmt.bitrate_kbps}k")


def encode_and_meter(
    source: Path, output: Path, fmt: AlternateFormat, gain_db: float, limiter: Limiter | None, *, overlap: bool
) -> LoudnessStats:
    """Encode ``source`` as ``fmt`` into ``output``, then meter the encoded audio (``ebur128`` loudness and
    the 4x-oversampled true peak).

    With ``overlap`` the meter works while the encoder does: the encoder's tee muxer writes the file
    and pipes a copy of the same frames to a second ffmpeg that decodes and meters them. That is
    faster when a core is free for the meter (one alternate: 36% added to a build instead of 55%)
    and slower when every core already encodes (BENCHMARKS.md).
    """
    chain = [f"volume={gain_db:.3f}dB"] if gain_db else []
    if limiter is not None:
        chain.append(limiter_chain(limiter, fmt.rate))
    muxer, pipe_muxer = CODECS[fmt.codec][4:]
    exact = "fflags=+bitexact"  # same input, same bytes: no random Ogg serial, no encoder version or creation time
    copy = f"|[f={pipe_muxer}:{exact}]pipe:1" if overlap else ""
    encoder = FFmpeg(
        [
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-map_metadata",
            "-1",
            *(["-af", ",".join(chain)] if chain else []),
            "-ac",
            str(fmt.channels),
            "-ar",
            str(fmt.rate),
            *encoder_args(fmt),
            "-flags:a",
            "+bitexact",
            "-y",
            "-f",
            "tee",
            f"[f={muxer}:{exact}]{tee_escape(output)}{copy}",
        ],
        stdout=subprocess.PIPE if overlap else None,
    )
    if not overlap:
        encoder.wait(source=source)
        stderr = FFmpeg(["-i", str(output), *meter_outputs(fmt.rate, framelog="verbose")]).wait(source=output)
    else:
        running = [encoder]
        try:
            assert encoder.process.stdout is not None
            meter = FFmpeg(
                [
                    "-f",
                    READ_AS[pipe_muxer],
                    "-i",
                    "pipe:0",
                    *meter_outputs(fmt.rate, framelog="verbose", skip_samples=PRIMING[pipe_muxer]),
                ],
                stdin=encoder.process.stdout,
            )
            running.append(meter)
            encoder.process.stdout.close()  # the meter holds the pipe now
            _, stderr = wait_pipeline([(encoder, source), (meter, None)])
        finally:
            for run in running:  # after an error: no ffmpeg is left writing
                if run.process.poll() is None:
                    run.process.kill()
                    run.process.wait()
    stats = parse_ebur128_summary(stderr, peak=False)
    stats["true_peak_dbtp"] = round(parse_peak(stderr), 1)
    return stats


def encode_alternate(
    source: Path,
    output: Path,
    fmt: AlternateFormat,
    *,
    loudness_lufs: float,
    true_peak_dbtp: float,
    overlap: bool = False,
) -> tuple[LoudnessStats, int]:
    """Encode ``source`` (the finished programme) as ``fmt`` into ``output``, closed-loop on loudness.

    Returns the encoded file's own loudness and how many encodes it took. Raises AudioInvalid when it cannot be brought
    within ``ACCEPT_LU`` of ``loudness_lufs`` under ``true_peak_dbtp``; nothing is left behind then.
    """
    tmp = output.with_name(f".{output.name}.tmp")
    gain, limiter = 0.0, None
    stats: LoudnessStats | None = None
    encodes = 0
    try:
        for encodes in range(1, MAX_ENCODES + 1):
            stats = encode_and_meter(source, tmp, fmt, gain, limiter, overlap=overlap)
            off_by = loudness_lufs - stats["integrated_lufs"]
            over_peak = stats["true_peak_dbtp"] - true_peak_dbtp
            log.debug("%s encode %d: gain %.2f dB -> %s", fmt.name, encodes, gain, stats)
            if abs(off_by) <= TOLERANCE_LU and over_peak <= 0:
                break
            gain = round(gain + off_by, 3)
            if over_peak > 0:
                ceiling = true_peak_dbtp - LIMIT_MARGIN_DB - (limiter is not None) * over_peak
                limiter = Limiter(ceiling, oversample=4)
        assert stats is not None
        if abs(loudness_lufs - stats["integrated_lufs"]) > ACCEPT_LU or stats["true_peak_dbtp"] > true_peak_dbtp:
            raise AudioInvalid(
                f"its {fmt.name} alternate could not be brought to {loudness_lufs} LUFS / {true_peak_dbtp} dBTP "
                f"(landed at {stats['integrated_lufs']} LUFS, {stats['true_peak_dbtp']} dBTP)",
                path=source,
                fix="raise that alternate's bitrate_kbps in [[audio.alternates]], or remove it",
            )
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return stats, encodes
