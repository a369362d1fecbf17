"""Finding listed names in text: folding, then one Aho-Corasick automaton over the folded text.

Text is compared as a reader would read it, whatever bytes spell it:

* *folded*: case-folded, accents and other combining marks removed, invisible format
  characters (zero-width spaces, soft hyphens) dropped, curly apostrophes straightened;
* *homoglyphs*: every letter and digit is replaced by its Unicode TR39 confusable
  skeleton (ICU's ``SpoofChecker``), so a Cyrillic "а" inside a Latin name, in the list
  or in the text, is the Latin "a";
* *percent-encoding* is decoded (``a%C3%B1a-story``, ``Zo%C3%AB%20Example``), so a name in
  a link or object name is seen as the reader of the decoded URL sees it;
* runs of spaces, line breaks, dashes and underscores are one separator.

One automaton holds every pattern (whole names and their parts), so a search costs time
linear in the text whatever the list's length. Each occurrence is then checked for the
rules the old regular expression enforced: whole words only ("Ana" is not in "Banana"),
an optional possessive or plural ending ("Ana's", "Anas", "Jess'", "Jesses"), and, where
occurrences overlap, the leftmost wins, then the longest, then a whole name over a part.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import ahocorasick
import icu

MIN_TERM_LENGTH = 2  # a one-letter "name" would match every "a" in every transcript

# Name particles: never matched on their own as a part of a longer name ("Ana de Souza").
PARTICLES = frozenset("de da di do dos das du del della der den van von la le bin ibn bint binti ap ter ten".split())

# Letters that NFKD does not split into base letter + mark, folded by hand.
_EXTRA_FOLDS = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ı": "i",
    "þ": "th",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "n",
    "æ": "ae",
    "œ": "oe",
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
}
_SEPARATORS = frozenset(" \t\n\r\f\v-_\u2010\u2011\u2012\u2013\u2014\u2015\u00a0")
# A name's possessive or plural ending, in the order the old regular expression tried them.
_SUFFIXES = ("'s", "'", "s", "es")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_SPOOF = icu.SpoofChecker()


@dataclass(frozen=True)
class Entry:
    """One line of the list. ``repr`` hides the term so it cannot end up in a log or traceback.

    ``whole`` is the line's opt-out (``= May Example``): only the whole name matches,
    never one of its words on its own.
    """

    term: str = field(repr=False)
    replacement: str = field(repr=False)
    line: int
    whole: bool = False


@dataclass(frozen=True)
class Match:
    """Where an entry matched, in the original text: [start, stem_end) is the name, [stem_end, end) its ending.

    ``part`` is the index of the word of a multi-word entry that matched on its own
    (None: the whole name).
    """

    start: int
    stem_end: int
    end: int
    entry: Entry
    part: int | None = None

    @property
    def replacement(self) -> str:
        """What replaces the name: the line's replacement; for a part, the replacement's word at the same
        place when the replacement has as many words as the name (``Marigold Featherstone => Jess Smith``:
        "Featherstone" becomes "Smith"), else the whole replacement."""
        if self.part is None:
            return self.entry.replacement
        words, replacement = name_words(self.entry.term), self.entry.replacement.split()
        return replacement[self.part] if len(replacement) == len(words) > 1 else self.entry.replacement


def _skeleton(char: str) -> str:
    """A non-ASCII letter or digit as the ASCII it looks like (TR39 skeleton), in either case.

    The skeleton of the lower-case form is tried first (Greek capital iota is an "I", whose
    skeleton "l" would split case-insensitive matching), then of the character as written
    (Cyrillic capital "М" is an "M", its lower case "м" looks like no Latin letter).
    ASCII is left alone, so "m" stays "m" rather than becoming TR39's "rn".
    """
    if char.isascii() or not char.isalnum():
        return char
    for form in (char.casefold(), char):
        skeleton = _SPOOF.getSkeleton(0, form)
        plain = "".join(c for c in unicodedata.normalize("NFD", skeleton) if not unicodedata.combining(c))
        if plain.isascii():
            return plain
    return _SPOOF.getSkeleton(0, char.casefold())


@cache
def _fold_char(char: str) -> str:
    """One character folded: its TR39 skeleton, then case, accents and hand-made folds."""
    if unicodedata.category(char) == "Cf":  # zero-width space/joiner, soft hyphen, BOM, direction marks
        return ""
    out = []
    for seen in _skeleton(char) if char not in _EXTRA_FOLDS else char:
        for part in unicodedata.normalize("NFKD", seen.casefold()):
            if unicodedata.combining(part):
                continue
            out.append(_EXTRA_FOLDS.get(part, part))
    return "".join(out)


def _percent_decoded(text: str) -> list[tuple[str, int, int]]:
    """(character, start, end) for each character of ``text`` with %-encoded UTF-8 decoded.

    A run that is not valid UTF-8 ("100%ff") is kept as written.
    """
    units: list[tuple[str, int, int]] = []
    last = 0
    for run in _PERCENT_RUN.finditer(text):
        units += [(char, index, index + 1) for index, char in enumerate(text[last : run.start()], start=last)]
        data = bytes.fromhex(run.group().replace("%", ""))
        try:
            decoded, start, offset = [], run.start(), 0
            for char in data.decode("utf-8"):
                size = len(char.encode("utf-8"))
                decoded.append((char, start + 3 * offset, start + 3 * (offset + size)))
                offset += size
            units += decoded
        except UnicodeDecodeError:
            units += [(char, index, index + 1) for index, char in enumerate(run.group(), start=run.start())]
        last = run.end()
    units += [(char, index, index + 1) for index, char in enumerate(text[last:], start=last)]
    return units


def canonical(text: str) -> tuple[str, list[int], list[int]]:
    """Text as the matcher sees it, and for each of its characters where it came from in ``text``.

    Returns (canonical text, start index, end index): a match found in the canonical text
    at [i, j) is ``text[starts[i]:ends[j - 1]]``.

    >>> canonical("Aña  Zo%C3%AB")[0]
    'ana zoe'
    >>> canonical("Mаrigold")[0] == canonical("Marigold")[0]  # a Cyrillic а
    True
    """
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    units = _percent_decoded(text) if "%" in text else [(c, i, i + 1) for i, c in enumerate(text)]
    for char, start, end in units:
        for out in _fold_char(char) if char not in _SEPARATORS else " ":
            if out in _SEPARATORS or out.isspace():
                if chars and chars[-1] == " ":
                    ends[-1] = end
                    continue
                out = " "
            chars.append(out)
            starts.append(start)
            ends.append(end)
    return "".join(chars), starts, ends


def fold(text: str) -> str:
    """Text as the matcher sees it: lower case, no accents, no invisible characters, homoglyphs resolved.

    >>> fold("ANA’s Aña Ø A\\u200bna")
    "ana's ana o ana"
    """
    return canonical(text)[0]


def name_words(term: str) -> list[str]:
    """The words of a listed name, folded, as the automaton holds them."""
    return fold(term).split()


def _is_word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()


class Matcher:
    """Every pattern of a list in one Aho-Corasick automaton (whole names first, then their parts).

    A part is one word of a multi-word entry, at least :data:`MIN_TERM_LENGTH` letters and
    not a name particle; an entry marked ``whole`` has no parts. When two entries share a
    pattern (two people called Ana), the whole name wins over a part, then the earlier line.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        chosen: dict[str, tuple[int, int, int, int | None]] = {}  # pattern -> (rank, line, entry index, part)
        for index, entry in enumerate(entries):
            words = name_words(entry.term)
            candidates: list[tuple[str, int, int | None]] = [(" ".join(words), 0, None)]
            if not entry.whole and len(words) > 1:
                candidates += [
                    (word, 1, part)
                    for part, word in enumerate(words)
                    if len(word) >= MIN_TERM_LENGTH and word not in PARTICLES
                ]
            for pattern, rank, part in candidates:
                value = (rank, entry.line, index, part)
                if pattern not in chosen or value < chosen[pattern]:
                    chosen[pattern] = value
        self._entries = tuple(entries)
        self._automaton = ahocorasick.Automaton()
        for pattern, (rank, _line, index, part) in chosen.items():
            self._automaton.add_word(pattern, (len(pattern), rank, index, part))
        if chosen:
            self._automaton.make_automaton()
        self._empty = not chosen

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches, left to right: at each place the longest, a whole name over a part."""
        if self._empty or not text:
            return []
        folded, starts, ends = canonical(text)
        candidates = []
        for last, (length, rank, index, part) in self._automaton.iter(folded):
            first, stem = last - length + 1, last + 1
            if _is_word(folded, first - 1):
                continue
            for suffix in (*_SUFFIXES, ""):
                if folded.startswith(suffix, stem) and not _is_word(folded, stem + len(suffix)):
                    candidates.append(
                        (first, -length, rank, self._entries[index].line, stem, stem + len(suffix), index, part)
                    )
                    break
        matches: list[Match] = []
        reached = 0
        for first, _length, _rank, _line, stem, end, index, part in sorted(candidates):
            if first < reached:
                continue
            reached = end
            stem_end = ends[stem - 1]
            matches.append(
                Match(starts[first], stem_end, ends[end - 1] if end > stem else stem_end, self._entries[index], part)
            )
        return matches
