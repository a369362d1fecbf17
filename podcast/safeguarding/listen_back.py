"""The listen-back list: every bleep or mute in an episode, and the near misses, for a producer to check.

For each place the build hid a listed name it records the start time, the length and the
line of the redaction list the name is on, never the name: a producer checks every entry
in a minute by listening at those times. The near misses are heard words that came close
to a listed name but were not hidden (the sound-alike matcher's scores just under its threshold).

The build's safeguarding stage writes both to ``build/<slug>/bleeps.json`` (format in
:func:`podcast.build.safeguard.write_bleeps`); ``podcast bleeps``, ``podcast build``,
``podcast publish`` and ``podcast review`` read it back here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BLEEPS_FILE = "bleeps.json"
LISTEN_BACK_TEXT = "listen-back.txt"


@dataclass(frozen=True)
class Mark:
    """One place to listen to: where it starts, how long, which list line (and for a near miss, how close,
    or that the keyword spotter heard it: ``how`` "spotted", which has no score)."""

    start_s: float
    length_s: float
    line: int
    score: float | None = None
    how: str | None = None


@dataclass(frozen=True)
class ListenBack:
    """An episode's listen-back list."""

    slug: str
    mode: str  # "bleep" or "mute" (what the hidden places sound like)
    hidden: tuple[Mark, ...] = ()
    near_misses: tuple[Mark, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. the near-miss file could not be read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, int]:
        return {"hidden": len(self.hidden), "near_misses": len(self.near_misses)}


def _marks(items: Any, where: str, notes: list[str], *, with_score: bool = True) -> tuple[Mark, ...]:
    marks = []
    for item in items if isinstance(items, list) else []:
        try:
            score = item.get("score")
            marks.append(
                Mark(
                    start_s=round(float(item["start"]), 3),
                    length_s=round(float(item["length"]), 3),
                    line=int(item["line"]),
                    score=round(float(score), 3)
                    if isinstance(score, (int, float)) and with_score and item.get("how") != "spotted"
                    else None,
                    how=item.get("how") if isinstance(item.get("how"), str) else None,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            notes.append(f"{where}: an entry is not {{start, length, line}}; it was skipped")
    return tuple(sorted(marks, key=lambda m: (m.start_s, m.line)))


def _read_json(path: Path, notes: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        notes.append(f"{path.name} could not be read")
        return None


def read_listen_back(slug: str, folder: Path, *, mode: str = "bleep") -> ListenBack:
    """The listen-back list of the episode built in ``folder`` (build/<slug>/)."""
    notes: list[str] = []
    bleeps = _read_json(folder / BLEEPS_FILE, notes)
    bleeps = bleeps if isinstance(bleeps, dict) else {}
    return ListenBack(
        slug=slug,
        mode=str(bleeps.get("mode") or mode),
        hidden=_marks(bleeps.get("bleeps"), BLEEPS_FILE, notes, with_score=False),
        near_misses=_marks(bleeps.get("near_misses"), BLEEPS_FILE, notes),
        notes=tuple(notes),
    )


def clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``, to find the place in any player or editor.

    >>> clock(3725.25)
    '01:02:05.250'
    """
    millis = int(round(seconds * 1000))
    return f"{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def render_listen_back(listing: ListenBack) -> str:
    """The list as plain text, for the terminal and for a contributor's review copy (no name, ever).

    >>> near = (Mark(75.0, 0.4, 1, 0.71), Mark(80.0, 0.3, 2, how="spotted"))
    >>> print(render_listen_back(ListenBack("ep", "bleep", (Mark(61.5, 0.62, 2),), near)))
    ep: 1 place(s) bleeped, 2 near miss(es) — listen at each time below
      bleeped  00:01:01.500  0.62 s  redaction list line 2
      near miss  00:01:15.000  0.40 s  redaction list line 1 (score 0.71) — not hidden: check it by ear
      near miss  00:01:20.000  0.30 s  redaction list line 2 (heard by the keyword spotter) — not hidden: check it by ear
    """
    verb = "bleeped" if listing.mode == "bleep" else "muted"
    lines = [
        f"{listing.slug}: {len(listing.hidden)} place(s) {verb}, {len(listing.near_misses)} near miss(es)"
        + (" — listen at each time below" if listing.hidden or listing.near_misses else "")
    ]
    for mark in listing.hidden:
        lines.append(f"  {verb}  {clock(mark.start_s)}  {mark.length_s:.2f} s  redaction list line {mark.line}")
    for mark in listing.near_misses:
        if mark.how == "spotted":
            score = " (heard by the keyword spotter)"
        else:
            score = f" (score {mark.score:.2f})" if mark.score is not None else ""
        lines.append(
            f"  near miss  {clock(mark.start_s)}  {mark.length_s:.2f} s  redaction list line {mark.line}"
            f"{score} — not hidden: check it by ear"
        )
    lines += [f"  note: {note}" for note in listing.notes]
    return "\n".join(lines)
