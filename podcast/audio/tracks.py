"""Per-speaker tracks: ``[[tracks]] file = "host.wav" speaker = "Host"`` in episode.toml.

Remote interviews are often recorded one file per speaker ("double-ender"). The episode
audio is those tracks mixed (``amix``, all starting at zero), and the transcriber works on
each track alone so every cue knows who spoke (see :mod:`podcast.build.transcripts`).

Each track is metered first and brought to the same loudness before the mix, so a quiet
guest is not left 6 dB under the host (each part to its own target, as for an ``audio``
list); the tracks' loudness and gains are kept beside the mix for the build report.

The mix goes to ``build/<slug>/mix-<hash>.flac`` (24-bit, so the later loudness stage has
headroom) and is reused while the track files are unchanged; the build then renders it
like a single master.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.reports import parse_ebur128_summary
from podcast.audio.runner import run_ffmpeg
from podcast.files import write_atomic

if TYPE_CHECKING:
    from podcast.show.model import Episode, Show

SILENT_TRACK_LUFS = -69.0  # a track this quiet (ebur128 reads -70 for silence) keeps unity gain


def mix_filter(n_inputs: int, gains_db: Sequence[float] = ()) -> str:
    """An ``amix`` graph that sums the tracks, each at its gain, at equal weight without ever clipping.

    ``normalize=0`` plus a fixed ``1/n`` gain, rather than amix's default, keeps the level
    steady when one track ends before the others (amix would otherwise ramp the rest up).

    >>> mix_filter(2)
    '[0:a:0][1:a:0]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,volume=0.500000[out]'
    >>> mix_filter(2, [3.0, -1.5]).split(";")[0]
    '[0:a:0]volume=3.000dB[t0]'
    """
    if any(gains_db):
        chains = [f"[{i}:a:0]volume={gains_db[i] if i < len(gains_db) else 0.0:.3f}dB[t{i}]" for i in range(n_inputs)]
        inputs = "".join(f"[t{i}]" for i in range(n_inputs))
        prefix = ";".join(chains) + ";"
    else:
        inputs, prefix = "".join(f"[{i}:a:0]" for i in range(n_inputs)), ""
    return (
        prefix
        + f"{inputs}amix=inputs={n_inputs}:duration=longest:dropout_transition=0:normalize=0,volume={1 / n_inputs:.6f}[out]"
    )


def track_gains(loudness: Sequence[float]) -> list[float]:
    """Gains (dB) that bring every track to the loudness of their mean, so the voices match.

    >>> track_gains([-20.0, -26.0])
    [-3.0, 3.0]
    >>> track_gains([-20.0, -70.0])
    [0.0, 0.0]
    """
    voiced = [lufs for lufs in loudness if lufs > SILENT_TRACK_LUFS]
    if len(voiced) < 2:
        return [0.0 for _ in loudness]
    centre = sum(voiced) / len(voiced)
    return [round(centre - lufs, 3) if lufs > SILENT_TRACK_LUFS else 0.0 for lufs in loudness]


def measure_tracks(paths: Sequence[Path]) -> list[float]:
    """Each track's integrated loudness (LUFS), metered side by side in one ffmpeg."""
    args: list[str] = []
    for path in paths:
        args += ["-i", str(path)]
    graph = ";".join(f"[{i}:a:0]ebur128=framelog=verbose[m{i}]" for i in range(len(paths)))
    args += ["-filter_complex", graph]
    for i in range(len(paths)):
        args += ["-map", f"[m{i}]", "-f", "null", "-"]
    stderr = run_ffmpeg(args, source=paths[0] if len(paths) == 1 else None)
    summaries = stderr.split("Summary:")[1:]
    return [parse_ebur128_summary("Summary:" + text, peak=False)["integrated_lufs"] for text in summaries]


def mix_tracks(paths: Sequence[Path], output: Path, gains_db: Sequence[float] = ()) -> Path:
    """Mix ``paths`` into ``output`` (FLAC) with the real ffmpeg; written under a temporary name first."""
    args: list[str] = []
    for path in paths:
        args += ["-i", str(path)]
    tmp = output.with_name(f".{output.name}.tmp")
    args += [
        "-filter_complex",
        mix_filter(len(paths), gains_db),
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


def track_levels(show: Show, episode: Episode, audio_key: str) -> list[dict[str, Any]]:
    """The tracks' loudness and the gain each got in the mix ([] for an episode without tracks)."""
    record = show.build_dir / episode.slug / f"mix-{audio_key[:16]}.json"
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        return list(data["tracks"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


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
        paths = list(episode.audio_paths)
        loudness = measure_tracks(paths) if len(paths) > 1 else [0.0]
        gains = track_gains(loudness) if len(paths) > 1 else [0.0]
        mix_tracks(paths, output, gains)
        rows = [
            {"file": path.name, "speaker": track.speaker, "before_lufs": lufs, "gain_db": gain}
            for path, track, lufs, gain in zip(paths, episode.manifest.tracks, loudness, gains)
        ]
        write_atomic(output.with_suffix(".json"), json.dumps({"tracks": rows}, indent=1) + "\n")
        for stale in [*folder.glob("mix-*.flac"), *folder.glob("mix-*.json")]:
            if stale.stem != output.stem:
                stale.unlink(missing_ok=True)
    return (output,)
