"""The build's safeguarding pass: where listed names are spoken, the refusal for what cannot be checked,
and the listen-back file.

The findings come from the transcript stage (:func:`podcast.build.transcripts.safeguarding_findings`).
Any passage that may hold a listed name but could not be located refuses the build (and so the
publish) with :class:`~podcast.errors.SafeguardingRefusal`, naming the time and the list line,
never the name, until a producer has listened and signed it off in episode.toml::

    [[safeguarding.signoff]]
    at = "00:01:23"      # the time the refusal named
    line = 3             # the list line it named (0: the whole episode, when nothing could be transcribed)
    by = "Sam (producer)"

A sign-off is recorded once in the audit log. ``build/<slug>/bleeps.json`` lists every hidden
place and every near miss (format in :func:`write_bleeps`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.filters import programme_clock
from podcast.build.transcripts import Findings
from podcast.errors import SafeguardingRefusal
from podcast.files import write_atomic
from podcast.safeguarding.audit import append_audit, audit_log_path, read_audit
from podcast.safeguarding.censor import CensorPlan, Mark
from podcast.safeguarding.listen_back import BLEEPS_FILE

if TYPE_CHECKING:
    from podcast.show.manifest import SignOff
    from podcast.show.model import Episode, Show

BLEEPS_FORMAT = 1
SIGNOFF_TOLERANCE_S = 2.0  # a sign-off covers the refusal it answers even if the times were rounded


def _clock(seconds: float) -> str:
    """HH:MM:SS as a producer types it into episode.toml.

    >>> _clock(83.4)
    '00:01:23'
    """
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _signed(mark: Mark, signoffs: list[SignOff]) -> SignOff | None:
    return next(
        (s for s in signoffs if s.line == mark.line and abs(s.at - int(mark.start)) <= SIGNOFF_TOLERANCE_S), None
    )


def check_unlocated(show: Show, episode: Episode, findings: Findings) -> list[tuple[Mark, SignOff]]:
    """Refuse when a passage that may hold a listed name was not located and nobody signed it off.

    Returns the signed-off passages (recorded in the audit log the first time they are used).
    """
    signoffs = list(episode.manifest.safeguarding.signoff)
    signed, open_ = [], []
    for mark in findings.unlocated:
        sign = _signed(mark, signoffs)
        (signed.append((mark, sign)) if sign else open_.append(mark))
    if open_:
        places = "; ".join(
            "no word timings could be made for the audio (list line 0)"
            if m.how == "untimed"
            else f"at {_clock(m.start)}, list line {m.line}"
            for m in open_[:5]
        ) + (" ..." if len(open_) > 5 else "")
        example = open_[0]
        raise SafeguardingRefusal(
            f"a listed name may be spoken where it cannot be located, so the audio cannot be bleeped: {places}",
            path=episode.manifest_path,
            fix=(
                "install the transcribe extra, or listen, edit the audio if needed, and sign the passage off in "
                f'episode.toml: [[safeguarding.signoff]] at = "{_clock(example.start)}" line = {example.line} '
                'by = "your name"'
            ),
        )
    _audit_signoffs(show, episode, signed)
    return signed


def _audit_signoffs(show: Show, episode: Episode, signed: list[tuple[Mark, SignOff]]) -> None:
    if not signed:
        return
    path = audit_log_path(show)
    seen = {
        (r.get("slug"), r.get("at"), r.get("line"), r.get("by"))
        for r in read_audit(path)
        if r.get("action") == "signoff"
    }
    for mark, sign in signed:
        key = (episode.slug, _clock(sign.at), sign.line, sign.by)
        if key in seen:
            continue
        append_audit(
            path,
            {
                "action": "signoff",
                "slug": episode.slug,
                "at": _clock(sign.at),
                "line": sign.line,
                "by": sign.by,
                "what": "untimed" if mark.how == "untimed" else "unlocated name",
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        seen.add(key)


def write_bleeps(
    folder: Path,
    plan: CensorPlan | None,
    findings: Findings,
    signed: list[tuple[Mark, SignOff]],
    *,
    timeline: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``build/<slug>/bleeps.json``, the listen-back list (no names, only times and list lines)::

        {"format": 1,
         "mode": "bleep" | "mute" | null,          # null: nothing hidden
         "pad_s": 0.05,                            # added before and after each place
         "bleeps": [{"start": 12.34, "length": 0.62, "line": 3, "how": "text", "score": 1.0}, ...],
         "regions": [[12.29, 13.01], ...],         # what the audio pass silenced (padded, merged)
         "near_misses": [{"start": 40.1, "length": 0.5, "line": 4, "how": "near", "score": 0.71}, ...],
         "signed_off": [{"start": 83.0, "line": 3, "how": "unlocated", "by": "Sam"}]}

    ``how``: "text" (heard with its listed spelling), "sound" (a sound-alike), "aligned" (named by a
    supplied transcript and placed by alignment). Times are seconds on the published audio (the
    render's ``timeline`` moves them there from the sources'), except ``signed_off``, which keeps the
    time the producer signed in episode.toml.
    """
    clock = programme_clock(timeline) or (lambda t: t)

    def moved(mark: Mark) -> dict[str, Any]:
        return Mark(clock(mark.start), clock(mark.end), mark.line, mark.how, mark.score).to_dict()

    record: dict[str, Any] = {
        "format": BLEEPS_FORMAT,
        "mode": plan.mode if plan else None,
        "pad_s": findings.pad_s,
        "bleeps": [moved(m) for m in findings.marks],
        "regions": [[round(clock(a), 3), round(clock(b), 3)] for a, b in plan.regions] if plan else [],
        "near_misses": [moved(m) for m in findings.near],
        "signed_off": [{"start": m.start, "line": m.line, "how": m.how, "by": s.by} for m, s in signed],
    }
    path = folder / BLEEPS_FILE
    write_atomic(path, json.dumps(record, indent=1) + "\n")
    return path
