"""Short clips cut out of an audio file with pydub: for listening back to a bleep and its surroundings.

A clip is a few seconds, so holding it in memory as a pydub ``AudioSegment`` is the
right tool (slicing, joining, exporting, reading samples). Whole programmes never go
this way: they stream through ffmpeg (:mod:`podcast.audio.render`).

pydub runs ffmpeg itself (its own ``subprocess`` call, not :mod:`podcast.audio.runner`),
so two things are arranged here:

* it must run *our* ffmpeg (``$PODCAST_FFMPEG``, the system's, or imageio-ffmpeg's):
  ``AudioSegment.converter`` is set from :func:`~podcast.audio.runner.ffmpeg_exe` on
  every call, so a changed ``PODCAST_FFMPEG`` is honoured;
* pydub asks ``ffprobe`` for the codec of anything but a WAV unless it is told the
  codec, and imageio-ffmpeg ships no ffprobe. The codec comes from our own
  :func:`~podcast.audio.loudness.probe` (ffmpeg's banner) and is passed as ``codec=``,
  so no ffprobe is needed. (``format=`` alone would not do: pydub probes whenever
  ``codec`` is unset, and a ``.wav`` is read by Python's own WAV reader either way.)
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.audio.loudness import probe
from podcast.audio.runner import REEXPORT_HINT, ffmpeg_exe
from podcast.errors import AudioInvalid

if TYPE_CHECKING:
    from pydub import AudioSegment


def cut_clip(path: Path, start_s: float, duration_s: float) -> AudioSegment:
    """The ``duration_s`` seconds of ``path`` from ``start_s``, decoded (a clip runs short at the file's end).

    Meant for short clips (seconds): pydub holds the clip in memory, and for a WAV it reads
    the whole file before cutting. Raises AudioInvalid when ``path`` is missing or not audio
    ffmpeg can decode, ExternalToolError when there is no working ffmpeg.
    """
    if start_s < 0 or duration_s <= 0:
        raise ValueError(f"a clip needs start_s >= 0 and duration_s > 0, not {start_s} and {duration_s}")
    info = probe(path)  # names a missing or unreadable file, and gives the codec (so pydub needs no ffprobe)
    with warnings.catch_warnings():
        # pydub warns at import when no ffmpeg is on PATH; ours may be elsewhere, and is set just below.
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
        from pydub.exceptions import CouldntDecodeError

    AudioSegment.converter = ffmpeg_exe()
    try:
        return AudioSegment.from_file(path, codec=info.codec, start_second=start_s, duration=duration_s)
    except CouldntDecodeError:
        raise AudioInvalid(
            "cannot be decoded as audio (corrupt, truncated or not an audio file)", path=path, fix=REEXPORT_HINT
        ) from None
