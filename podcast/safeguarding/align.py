"""Placing the names of a supplied transcript without word timings on the audio's timeline.

A producer's SRT, VTT, script or plain text says *that* a listed name is spoken, not exactly
*when*. The offline model's transcript says when each word it heard was spoken, but may
spell the name wrongly (or, in the safeguarding cache, already as its replacement). So the
supplied words are aligned to the heard words (difflib's longest matching blocks, only
runs of two or more words as anchors, words compared by their phonetic code, so a lone "the" cannot pull a name across the
episode), and each listed name in the supplied text (and each part of one: a first name or surname alone) is placed in the gap between the heard
words that match the supplied words around it. Inside that gap, the supplied words next to the name that
were heard as themselves (same stem or same sound, in order) narrow it further: "Dear Ximena, thank you"
heard as "Dear, I'm her, and you" places the name after "Dear", not over it. A gap longer than :data:`MAX_GAP_S` (or no
anchor at all) leaves the name *unlocated*: the build refuses to publish it until a producer
has listened and signed the passage off.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from podcast.safeguarding.censor import Mark, TimedWord, overlapping
from podcast.safeguarding.soundalike import (
    Phonemizer,
    espeak_phonemes,
    name_parts,
    phonetic_code,
    same_word,
)
from podcast.show.redactions import Entry, RedactionList, compile_entries, fold

MAX_GAP_S = 4.0  # longer than any name; a longer gap means the alignment failed there
MIN_ANCHOR = 2  # words in a row that must agree before a match is trusted

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _keys(words: Sequence[str], phonemize: Phonemizer) -> list[str]:
    """Each word as its phonetic code, so "harbour" and "harbor" (or "Kettleburn" and "Kettle burn") agree."""
    return [phonetic_code(ipa) or fold(word) for word, ipa in zip(words, phonemize(words))]


def with_parts(names: RedactionList) -> RedactionList:
    """``names`` plus each part of a multi-word name on its own (first name, surname), for locating.

    >>> from podcast.show.redactions import parse_redactions
    >>> [m.entry.line for m in with_parts(parse_redactions("Jordan Example")).find("Example said")]
    [1]
    """
    parts = [
        Entry(term=part, replacement=entry.replacement, line=entry.line)
        for entry in names.entries
        for part in name_parts(entry.term)[1:]
    ]
    return compile_entries([*names.entries, *parts], names.source) if parts else names


def _same_words(supplied: Sequence[str], heard: Sequence[str], ipa: dict[str, str]) -> list[tuple[int, int]]:
    """Supplied words matched in order to heard words that are the same word (each within the next two
    heard words), from the start until the first that is not: (supplied index, heard index) pairs.

    >>> ipa = {"Dear": "dˈɪɹ", "Dear,": "dˈɪɹ", "I'm": "aɪm", "thank": "θˈæŋk", "and": "ˈænd"}
    >>> _same_words(["Dear"], ["Dear,", "I'm"], ipa), _same_words(["thank"], ["and"], ipa)
    ([(0, 0)], [])
    """
    pairs, at = [], 0
    for index, word in enumerate(supplied):
        found = next(
            (j for j in range(at, min(at + 2, len(heard))) if same_word(word, heard[j], ipa)),
            None,
        )
        if found is None:
            break
        pairs.append((index, found))
        at = found + 1
    return pairs


def place_names(
    text: str,
    heard: Sequence[TimedWord],
    names: RedactionList,
    *,
    duration_s: float,
    max_gap_s: float = MAX_GAP_S,
    found: Sequence[Mark] = (),
    phonemize: Phonemizer = espeak_phonemes,
) -> list[Mark]:
    """Each listed name in the supplied ``text`` as a Mark: "aligned" with its time range, or "unlocated".

    >>> from podcast.show.redactions import parse_redactions
    >>> heard = [(0.0, 0.3, "I"), (0.3, 0.6, "met"), (0.6, 0.9, "Mary"), (0.9, 1.2, "Gold"), (1.3, 1.5, "in"),
    ...          (1.5, 1.8, "the"), (1.8, 2.2, "park")]
    >>> place_names("I met Marigold in the park.", heard, parse_redactions("Marigold"), duration_s=3)
    [Mark(start=0.6, end=1.3, line=1, how='aligned', score=1.0)]
    >>> heard = [(0.0, 1.0, "Dear,"), (1.06, 1.5, "I'm"), (1.5, 1.76, "her,"), (2.02, 2.08, "and"),
    ...          (2.08, 2.24, "you"), (2.24, 2.38, "for"), (2.38, 2.6, "the"), (2.6, 3.0, "photograph,")]
    >>> place_names("Dear Ximena, thank you for the photographs.", heard, parse_redactions("Ximena"), duration_s=4)
    [Mark(start=1.0, end=2.08, line=1, how='aligned', score=1.0)]
    >>> place_names("Marigold.", [], parse_redactions("Marigold"), duration_s=30)
    [Mark(start=0.0, end=0.0, line=1, how='unlocated', score=0.0)]
    """
    matches = with_parts(names).find(text)
    if not matches:
        return []
    spans = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    tokens = [(s, e, key) for (s, e, _), key in zip(spans, _keys([w for _, _, w in spans], phonemize))]
    heard_keys = _keys([w for _, _, w in heard], phonemize)
    matcher = difflib.SequenceMatcher(None, [t[2] for t in tokens], heard_keys, autojunk=False)
    anchor: dict[int, int] = {}
    for a, b, size in matcher.get_matching_blocks():
        if size >= MIN_ANCHOR:
            anchor.update({a + k: b + k for k in range(size)})
    texts = [w for _, _, w in spans]
    ipa = dict(zip(texts + [w for _, _, w in heard], phonemize(texts + [w for _, _, w in heard])))
    marks = []
    for match in matches:
        inside = [i for i, (s, e, _) in enumerate(tokens) if s < match.end and e > match.start]
        if not inside:
            continue
        before = max((i for i in anchor if i < inside[0]), default=None)
        after = min((i for i in anchor if i > inside[-1]), default=None)
        first = anchor[before] + 1 if before is not None else 0  # the heard words between the anchors
        last = anchor[after] - 1 if after is not None else len(heard) - 1
        start = heard[first - 1][1] if first > 0 else 0.0
        end = heard[last + 1][0] if last + 1 < len(heard) else duration_s
        # Narrow the gap from both sides: the supplied words next to the name, heard as themselves.
        left = 0 if before is None else before + 1
        gap = [w for _, _, w in heard[first : last + 1]]
        leading = _same_words(texts[left : inside[0]], gap, ipa)
        if leading:
            taken = leading[-1][1] + 1
            start, first, gap = heard[first + taken - 1][1], first + taken, gap[taken:]
        right = len(tokens) if after is None else after
        trailing = _same_words(texts[inside[-1] + 1 : right][::-1], gap[::-1], ipa)
        if trailing:
            end = heard[last - trailing[-1][1]][0]
        if overlapping(start, end, (m for m in found if m.line == match.entry.line)):
            continue  # the heard words there were already found to be this name: hide just those
        if heard and end > start and end - start <= max_gap_s:
            marks.append(Mark(round(start, 3), round(end, 3), match.entry.line, "aligned"))
        else:
            marks.append(Mark(round(start, 3), round(start, 3), match.entry.line, "unlocated", 0.0))
    return marks
