"""Per-speaker tracks: ``[[tracks]] file = "host.wav" speaker = "Host"`` in episode.toml.

Remote interviews are often recorded one file per speaker ("double-ender"). The episode
audio is those tracks mixed (``amix``, all starting at zero), and the transcriber works on
each track alone so every cue knows who spoke (see :mod:`podcast.build.transcripts`).

The mix goes to ``build/<slug>/mix-<hash>.flac`` (24-bit, so the later loudness stage has
headroom) and is reused while the track files are unchanged; the build then renders it
like a single master.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.audio.runner import run_ffmpeg

if TYPE_CHECKING:
    from podcast.show.model import Episode, Show


def mix_filter(n_inputs: int) -> str:
    """An ``amix`` graph that sums the tracks at equal weight without ever clipping.

    ``normalize=0`` plus a fixed ``1/n`` gain, rather than amix's default, keeps the level
    steady when one track ends before the others (amix would otherwise ramp the rest up).

    >>> mix_filter(2)
    '[0:a:0][1:a:0]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,volume=0.500000[out]'
    """
    inputs = "".join(f"[{i}:a:0]" for i in range(n_inputs))
    return f"{inputs}amix=inputs={n_inputs}:duration=longest:dropout_transition=0:normalize=0,volume={1 / n_inputs:.6f}[out]"


def mix_tracks(paths: Sequence[Path], output: Path) -> Path:
    """Mix ``paths`` into ``output`` (FLAC) with the real ffmpeg; written under a temporary name first."""
    args: list[str] = []
    for path in paths:
        args += ["-i", str(path)]
    tmp = output.with_name(f".{output.name}.tmp")
    args += [
        "-filter_complex",
        mix_filter(len(paths)),
        "-map",
        "[out]",
        "-map_metadata",
        "-1",
        "-c:a",
        "flac",
        "-sample_fmt",
        "s32",
        "-f",
        "flac",
        "-y",
        str(tmp),
    ]
    try:
        run_ffmpeg(args, source=paths[0] if len(paths) == 1 else None)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return output


def episode_sources(show: Show, episode: Episode, audio_key: str) -> tuple[Path, ...]:
    """The audio the build renders: the episode's files, or the mix of its speaker tracks.

    The mix is named by the build's ``audio_key`` (which already hashes the track files), so
    it is made once per change of the tracks.
    """
    if not episode.manifest.tracks:
        return episode.audio_paths
    folder = show.build_dir / episode.slug
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / f"mix-{audio_key[:16]}.flac"
    if not output.is_file():
        mix_tracks(episode.audio_paths, output)
        for stale in folder.glob("mix-*.flac"):
            if stale != output:
                stale.unlink(missing_ok=True)
    return (output,)
