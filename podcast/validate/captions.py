"""`podcast validate` on transcripts: captions that overlap, run out of time order or have no length.

Deaf and hard-of-hearing listeners follow the captions; two captions on screen at once, or one
that flashes for no time at all, lose them. Checked on each episode's own transcript file and on
the captions the last build wrote (``build/<slug>/transcript.vtt``). Reads files, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.errors import PodcastError
from podcast.transcripts.model import Cue, format_timestamp
from podcast.transcripts.readers import read_transcript
from podcast.validate.findings import Finding
from podcast.validate.rules import rule

if TYPE_CHECKING:
    from podcast.show.model import Show


def cue_problems(cues: Sequence[Cue]) -> list[str]:
    """Overlapping, out-of-order and zero-length cues, in words a producer can act on.

    >>> cue_problems([Cue(6100, 28500, "a"), Cue(9000, 12000, "b"), Cue(12000, 12000, "c")])
    ['cue 2 (00:00:09.000) starts before cue 1 ends (00:00:28.500)', 'cue 3 (00:00:12.000) starts before cue 1 ends (00:00:28.500)', 'cue 3 (00:00:12.000) has no length']
    >>> cue_problems([Cue(0, 1000, "a"), Cue(1000, 2000, "b")])
    []
    """
    problems: list[str] = []
    latest: tuple[int, int] | None = None  # (end, number) of the cue that ends last so far
    for number, cue in enumerate(cues, start=1):
        label = f"cue {number} ({format_timestamp(max(cue.start_ms, 0))})"
        if latest is not None and cue.start_ms < latest[0]:
            problems.append(f"{label} starts before cue {latest[1]} ends ({format_timestamp(latest[0])})")
        if cue.end_ms <= cue.start_ms:
            problems.append(f"{label} has no length")
        if latest is None or cue.end_ms > latest[0]:
            latest = (cue.end_ms, number)
    return problems


def check_transcripts(show: Show) -> list[Finding]:
    """Findings for every transcript file and built caption file whose cues overlap or have no length."""
    findings: list[Finding] = []
    for episode in show.episodes:
        files: list[Path] = []
        if episode.manifest.transcript:
            files.append(episode.folder / episode.manifest.transcript)
        built = show.build_dir / episode.slug / "transcript.vtt"
        if built.is_file():
            files.append(built)
        for path in files:
            shown = path.relative_to(show.root) if path.is_relative_to(show.root) else path
            try:
                transcript = read_transcript(path, shown=shown)
            except PodcastError:
                continue  # unreadable or missing: `podcast build` names the line and the fix
            if not transcript.timed:
                continue
            problems = cue_problems(transcript.cues)
            if problems:
                more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
                findings.append(rule("transcript-cues").finding(str(shown), problems[0] + more))
    return findings
