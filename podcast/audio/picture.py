"""The loudness picture: what the audio step did, drawn with matplotlib (Agg, SVG) from the render's series.

One figure, two panels sharing the time axis:

* top: short-term loudness (3 s windows) of the programme as it came and of the published MP3,
  the loudness target, the true-peak ceiling, each part's span (intro, master, outro) and every
  hidden passage (bleep or mute) as a shaded band;
* bottom: the limiter's gain reduction (the deepest in each second), with the 3 dB line the
  build report counts time over.

matplotlib is imported here only, when a picture is drawn, so the rest of the tool starts fast.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podcast.audio.render import Series

BEFORE_COLOUR = "#9aa5b1"
AFTER_COLOUR = "#1f5f8b"
TARGET_COLOUR = "#2e7d32"
CEILING_COLOUR = "#c62828"
LIMITER_COLOUR = "#ef6c00"
BLEEP_COLOUR = "#6a1b9a"


SILENT = -70.0  # ebur128's floor: silence, and the first seconds before a 3 s window is full


def _gaps(values: Sequence[float], low: float) -> list[float]:
    """Silence as gaps in the line (NaN), the rest clamped to the bottom of the axis.

    >>> _gaps([-70.0, -30.0, -16.0], -40.0)
    [nan, -30.0, -16.0]
    """
    return [math.nan if v <= SILENT else max(low, v) for v in values]


_DRAWING = threading.Lock()  # builds run two at a time in threads; matplotlib's settings are global


def _import_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_svg  # noqa: F401  (what savefig(format="svg") loads)
    import matplotlib.figure  # noqa: F401


def warm_up() -> threading.Thread:
    """Import matplotlib (most of a second of CPU) on a background thread, so a picture drawn after a render
    does not wait for it: the render's encoding leaves part of a core free."""
    thread = threading.Thread(target=_import_matplotlib, name="matplotlib-import", daemon=True)
    thread.start()
    return thread


def loudness_svg(
    series: Series,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    title: str,
    part_names: Sequence[str] = (),
    image_format: str = "svg",
) -> str | bytes:
    """The picture as SVG text (deterministic: no date, stable ids, so an unchanged build is byte-identical);
    with ``image_format="png"``, PNG bytes."""
    with _DRAWING:
        return _draw(series, target_lufs, ceiling_dbtp, title, part_names, image_format)


def _draw(
    series: Series,
    target_lufs: float,
    ceiling_dbtp: float,
    title: str,
    part_names: Sequence[str],
    image_format: str,
) -> str | bytes:
    _import_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "podcast-loudness"  # stable element ids
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, searchable, read by screen readers
    figure = Figure(figsize=(10, 4.6), dpi=100, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    times = [i * series.step_s for i in range(len(series.before))]
    floor = min([target_lufs - 24.0, *[v for v in series.after if v > SILENT]])
    low = max(SILENT, floor - 2.0)
    for start, end in series.censored:
        top.axvspan(start, end, color=BLEEP_COLOUR, alpha=0.25, linewidth=0)
        bottom.axvspan(start, end, color=BLEEP_COLOUR, alpha=0.25, linewidth=0)
    top.plot(times, _gaps(series.before, low), color=BEFORE_COLOUR, linewidth=1.0, label="before")
    top.plot(
        [i * series.step_s for i in range(len(series.after))],
        _gaps(series.after, low),
        color=AFTER_COLOUR,
        linewidth=1.3,
        label="published",
    )
    top.axhline(target_lufs, color=TARGET_COLOUR, linestyle="--", linewidth=1.0, label=f"target {target_lufs:g} LUFS")
    top.axhline(
        ceiling_dbtp,
        color=CEILING_COLOUR,
        linestyle=":",
        linewidth=1.0,
        label=f"true-peak ceiling {ceiling_dbtp:g} dBTP",
    )
    if series.censored:
        top.plot([], [], color=BLEEP_COLOUR, alpha=0.4, linewidth=6, label="hidden name (bleep/mute)")
    for index, (start, end) in enumerate(series.parts if len(series.parts) > 1 else ()):
        if index:
            top.axvline(start, color="#555555", linewidth=0.6)
        name = part_names[index] if index < len(part_names) else f"part {index + 1}"
        top.text((start + end) / 2, ceiling_dbtp + 1.0, name, ha="center", va="bottom", fontsize=8, color="#555555")
    top.set_ylim(low, ceiling_dbtp + 4.0)
    top.set_ylabel("short-term loudness\n(LUFS; ceiling in dBTP)")
    top.set_title(title, fontsize=11)
    top.legend(loc="lower right", fontsize=7, ncols=3, framealpha=0.9)
    top.grid(True, alpha=0.3)

    reduction = series.reduction
    if reduction:
        steps = [i * series.step_s for i in range(len(reduction))]
        bottom.fill_between(steps, 0, reduction, step="post", color=LIMITER_COLOUR, alpha=0.7, linewidth=0)
        bottom.axhline(3.0, color="#555555", linestyle=":", linewidth=0.8)
        bottom.set_ylim(0, max(6.0, max(reduction) * 1.1))
    else:
        bottom.text(0.5, 0.5, "limiter not used", transform=bottom.transAxes, ha="center", va="center", fontsize=8)
        bottom.set_ylim(0, 6.0)
    bottom.invert_yaxis()  # reduction hangs down, as on a meter
    bottom.set_ylabel("limiter\n(dB of gain\nreduction)")
    bottom.set_xlabel("time (s)")
    bottom.grid(True, alpha=0.3)
    end = (
        max(times[-1] if times else 0.0, *(e for _, e in series.parts)) if series.parts else (times[-1] if times else 1)
    )
    bottom.set_xlim(0, max(end, 1.0))
    if image_format != "svg":
        raw = io.BytesIO()
        figure.savefig(raw, format=image_format)
        return raw.getvalue()
    buffer = io.StringIO()
    metadata: dict[str, Any] = {"Date": None, "Creator": None}
    figure.savefig(buffer, format="svg", metadata=metadata)
    return buffer.getvalue()
