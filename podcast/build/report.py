"""What the build tells a producer about the audio step: the loudness picture and the limiter warning.

The numbers come from the render (:class:`podcast.audio.render.RenderReport`): loudness before and
after for the programme and for each part, and how hard the limiter worked. This stage draws
``build/<slug>/loudness.svg`` from them (written atomically, beside the MP3 it describes) and
warns, once per rebuilt episode, when the limiter had to work hard.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.picture import loudness_svg
from podcast.errors import PodcastError
from podcast.files import write_atomic

if TYPE_CHECKING:
    from podcast.audio.filters import RenderSettings
    from podcast.audio.render import RenderReport
    from podcast.show.model import Episode

log = logging.getLogger(__name__)

PICTURE_FILE = "loudness.svg"


def write_loudness_picture(
    path: Path, report: RenderReport, settings: RenderSettings, episode: Episode, loudness: dict[str, Any]
) -> None:
    """Draw the render's loudness picture into ``path`` (SVG), and note its name in ``loudness``."""
    assert report.series is not None
    svg = loudness_svg(
        report.series,
        target_lufs=settings.loudness_lufs,
        ceiling_dbtp=settings.true_peak_dbtp,
        title=f"{episode.slug}: {report.before['integrated_lufs']:.1f} -> {report.after['integrated_lufs']:.1f} LUFS",
        part_names=[part["file"] for part in report.parts],
    )
    try:
        write_atomic(path, str(svg))
    except OSError as exc:
        raise PodcastError(
            f"cannot write the loudness picture ({exc.strerror})", path=path, fix="check free disk space"
        ) from None
    loudness["picture"] = path.name


def warn_hard_limiting(slug: str, loudness: dict[str, Any]) -> None:
    """One warning when the limiter had to work hard: the master has peaks far above its speech."""
    limiter = loudness.get("limiter") or {}
    if not limiter.get("worked_hard"):
        return
    log.warning(
        "%s: the limiter worked hard (up to %.1f dB of gain reduction, %.1f s over 3 dB; see build/%s/%s) — "
        "the master has loud peaks or clipping; export it again with more headroom, or set [audio] leveler = true "
        "for uneven voices",
        slug,
        limiter.get("max_reduction_db", 0.0),
        limiter.get("over_3db_s", 0.0),
        slug,
        PICTURE_FILE,
    )


def track_rows(levels: list[dict[str, Any]], loudness: dict[str, Any]) -> list[dict[str, Any]]:
    """Each speaker track's loudness before and (estimated) after: its level and gain in the mix, then the
    gain the whole programme got (the limiter's share is the programme's, spread evenly).

    >>> rows = track_rows([{"file": "g.wav", "speaker": "Guest", "before_lufs": -26.0, "gain_db": 3.0}],
    ...                   {"before": {"integrated_lufs": -25.0}, "after": {"integrated_lufs": -16.0}})
    >>> rows[0]["after_lufs"], rows[0]["kind"]
    (-14.0, 'track')
    """
    shift = loudness["after"]["integrated_lufs"] - loudness["before"]["integrated_lufs"]
    mixed = -20 * math.log10(max(1, len(levels))) if levels else 0.0  # amix sums at 1/n
    rows = []
    for level in levels:
        after = level["before_lufs"] + level["gain_db"] + mixed + shift if level["before_lufs"] > -69.0 else -70.0
        rows.append(
            {
                "file": level["file"],
                "kind": "track",
                "speaker": level["speaker"],
                "before_lufs": round(level["before_lufs"], 1),
                "gain_db": round(level["gain_db"], 2),
                "after_lufs": round(after, 1),
            }
        )
    return rows
