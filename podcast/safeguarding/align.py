"""Placing the names of a supplied transcript without word timings on the audio's timeline.

A producer's SRT, VTT, script or plain text says *that* a listed name is spoken, not exactly
*when*. The offline model's transcript says when each word it heard was spoken, but may
spell the name wrongly (or, in the safeguarding cache, already as its replacement). So the
supplied words are aligned to the heard words (difflib's longest matching blocks, only
runs of two or more words as anchors, so a lone "the" cannot pull a name across the
episode), and each listed name in the supplied text is placed in the gap between the heard
words that match the supplied words around it. A gap longer than :data:`MAX_GAP_S` (or no
anchor at all) leaves the name *unlocated*: the build refuses to publish it until a producer
has listened and signed the passage off.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from podcast.safeguarding.censor import Mark, TimedWord
from podcast.show.redactions import RedactionList, fold

MAX_GAP_S = 6.0  # longer than any name; a longer gap means the alignment failed there
MIN_ANCHOR = 2  # words in a row that must agree before a match is trusted

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _key(word: str) -> str:
    return re.sub(r"[^\w]", "", fold(word)).replace("_", "")


def place_names(
    text: str, heard: Sequence[TimedWord], names: RedactionList, *, duration_s: float, max_gap_s: float = MAX_GAP_S
) -> list[Mark]:
    """Each listed name in the supplied ``text`` as a Mark: "aligned" with its time range, or "unlocated".

    >>> from podcast.show.redactions import parse_redactions
    >>> heard = [(0.0, 0.3, "I"), (0.3, 0.6, "met"), (0.6, 0.9, "Mary"), (0.9, 1.2, "Gold"), (1.3, 1.5, "in"),
    ...          (1.5, 1.8, "the"), (1.8, 2.2, "park")]
    >>> place_names("I met Marigold in the park.", heard, parse_redactions("Marigold"), duration_s=3)
    [Mark(start=0.6, end=1.3, line=1, how='aligned', score=1.0)]
    >>> place_names("Marigold.", [], parse_redactions("Marigold"), duration_s=30)
    [Mark(start=0.0, end=0.0, line=1, how='unlocated', score=0.0)]
    """
    matches = names.find(text)
    if not matches:
        return []
    tokens = [(m.start(), m.end(), _key(m.group())) for m in _WORD.finditer(text)]
    heard_keys = [_key(w) for _, _, w in heard]
    matcher = difflib.SequenceMatcher(None, [t[2] for t in tokens], heard_keys, autojunk=False)
    anchor: dict[int, int] = {}
    for a, b, size in matcher.get_matching_blocks():
        if size >= MIN_ANCHOR:
            anchor.update({a + k: b + k for k in range(size)})
    marks = []
    for match in matches:
        inside = [i for i, (s, e, _) in enumerate(tokens) if s < match.end and e > match.start]
        if not inside:
            continue
        before = max((i for i in anchor if i < inside[0]), default=None)
        after = min((i for i in anchor if i > inside[-1]), default=None)
        start = heard[anchor[before]][1] if before is not None else 0.0
        end = heard[anchor[after]][0] if after is not None else duration_s
        if heard and end > start and end - start <= max_gap_s:
            marks.append(Mark(round(start, 3), round(end, 3), match.entry.line, "aligned"))
        else:
            marks.append(Mark(round(start, 3), round(start, 3), match.entry.line, "unlocated", 0.0))
    return marks
