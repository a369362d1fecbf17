"""Sound-alike matching: find listed names in what the speech model *heard*, however it spelt them.

Whisper writes names it does not know as ordinary words: "Marigold" becomes "Mary Gold",
"Okonkwo" becomes "Akon quote". Text matching cannot find those, so the audio would keep
the name. This matcher compares *sounds* instead of spellings:

1. every heard word and every listed name (the whole name and each of its parts, e.g. first
   name and surname alone) is turned into phonemes by espeak-ng (``espeak-ng -q -x --ipa``);
2. the IPA is folded to a coarse phonetic code (:func:`phonetic_code`): vowels fall into three
   classes, voiced and voiceless pairs (p/b, t/d, s/z ...) become one symbol, stress and length
   marks go, so accents and the model's guesses land close together;
3. every window of 1 to 4 consecutive heard words is compared with every candidate by
   normalised Levenshtein similarity (rapidfuzz); a window at or above :data:`THRESHOLD` is a
   match, one within :data:`NEAR_MARGIN` below it is a *near miss* (listed for a producer to
   listen to, never hidden).

Pure apart from the one espeak-ng call per batch of new words (:func:`espeak_phonemes`,
injectable for tests). Matches carry the list line and a score, never the name, so they can be
logged and written to build/. Limits: espeak-ng reads names by English spelling rules, so a
name whose spelling says little about its sound ("Siobhan") is found here only when the model
heard it close to that reading; biasing the model toward the listed names
(:mod:`podcast.transcripts.whisper` hotwords) covers those. Very short names (three sounds)
match only exactly, or they would match ordinary words.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from podcast.errors import ExternalToolError
from podcast.show.redactions import RedactionList, fold

THRESHOLD = 0.85  # tuned on the spoken-names corpus (benchmarks/safeguarding.py): "garden" is not "Jordan" (0.83)
NEAR_MARGIN = 0.2  # scores in [THRESHOLD - NEAR_MARGIN, THRESHOLD) are near misses
SHORT_CODE = 4  # candidates this short (or shorter) must match exactly
MAX_WINDOW = 4  # heard words per window
FORMAT = 1  # bump when the matching changes: cached transcripts and plans are redone
SAME_WORD = 0.75  # two words' codes this alike are one word heard twice ("called" and "call", not "thank" and "and")
# Name particles that are never matched on their own.
PARTICLES = frozenset("van der den de del della la le von zu da di du dos das bin ibn al el mac mc st ter ten".split())
MIN_PART_LETTERS = 3

TimedWord = tuple[float, float, str]
Phonemizer = Callable[[Sequence[str]], list[str]]

_VOWELS = {
    **dict.fromkeys("aɐæʌəɜɚ", "A"),
    **dict.fromkeys("eɛiɪɨᵻyʏ", "E"),
    **dict.fromkeys("oɔɑɒʊuɵøœɯ", "O"),  # cot and caught, father and bother: one vowel in US English
}
_AFFRICATES = {"tʃ": "ʃ", "dʒ": "ʃ", "ts": "s", "dz": "s"}  # one sound each: "chivon" and "shivon" sound alike
_CONSONANTS = {
    **dict.fromkeys("pb", "P"),
    **dict.fromkeys("tdɾθð", "T"),
    **dict.fromkeys("kgɡqc", "K"),
    **dict.fromkeys("fv", "F"),
    **dict.fromkeys("sz", "S"),
    **dict.fromkeys("ʃʒçɕʑ", "X"),
    **dict.fromkeys("hɦxχ", "H"),
    **dict.fromkeys("ɹrʁʀɻ", "R"),
    **dict.fromkeys("nŋɲ", "N"),
    **dict.fromkeys("lɫɬʎ", "L"),
    "m": "M",
    "w": "W",
    "ʍ": "W",
    "j": "J",
}


def phonetic_code(ipa: str) -> str:
    """A coarse code of an IPA string: vowel classes, voicing pairs merged, marks dropped, runs collapsed.

    >>> phonetic_code("mˈaɹɪɡˌəʊld"), phonetic_code("mˈeəɹi ɡˈəʊld")
    ('MAREKAOLT', 'MEAREKAOLT')
    >>> phonetic_code("ɒkˈɒŋkwəʊ") == phonetic_code("akˈɒŋkəʊ")
    False
    """
    out: list[str] = []
    for pair, one in _AFFRICATES.items():
        ipa = ipa.replace(pair, one)
    for char in ipa:
        symbol = _VOWELS.get(char) or _CONSONANTS.get(char)
        if symbol and (not out or out[-1] != symbol):
            out.append(symbol)
    return "".join(out)


# --- espeak-ng ------------------------------------------------------------------------------


def espeak_exe() -> str:
    exe = shutil.which("espeak-ng")
    if not exe:
        raise ExternalToolError(
            "espeak-ng is not installed; the safeguarding pass needs it to match names by sound",
            fix="install it (Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng)",
        )
    return exe


def _letters(word: str) -> str:
    """The letters of a heard word, folded; an apostrophe joins ("Marigold's" -> "marigolds").

    >>> _letters("Marigold's"), _letters("-Zaima"), _letters("Mr.")
    ('marigolds', 'zaima', 'mr')
    """
    return " ".join(re.findall(r"[^\W\d_]+", fold(word).replace("'", "")))


def _espeak_batch(words: tuple[str, ...]) -> list[str]:
    """IPA for each word: one espeak-ng run, one word a line (each line a clause of its own)."""
    text = "".join(f"{w}.\n" for w in words)
    result = subprocess.run(
        [espeak_exe(), "-q", "-x", "--ipa", "-v", "en-us"], input=text, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ExternalToolError(f"espeak-ng failed (exit {result.returncode})", fix="check the espeak-ng install")
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(words):  # espeak split or joined a clause: ask word by word
        return [_espeak_batch((w,))[0] if len(words) > 1 else " ".join(lines) for w in words]
    return lines


def espeak_phonemes(words: Sequence[str]) -> list[str]:
    """espeak-ng's IPA for each word (letters only; "" for a word without letters). Cached per word."""
    cleaned = [_letters(w) for w in words]
    todo = tuple(sorted({w for w in cleaned if w and w not in _CACHE}))
    if todo:
        for word, ipa in zip(todo, _espeak_batch(todo)):
            _CACHE[word] = ipa
    return [_CACHE.get(w, "") if w else "" for w in cleaned]


_CACHE: dict[str, str] = {}


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One sound to look for: a listed name or one of its parts, as a phonetic code (no text kept)."""

    code: str
    line: int
    part: bool


@dataclass(frozen=True)
class SoundMatch:
    """Heard words ``first..last`` (inclusive) that sound like list line ``line``, with their times."""

    first: int
    last: int
    start: float
    end: float
    line: int
    score: float


def name_parts(term: str) -> list[str]:
    """The whole name and, for a multi-word name, each word long enough to be a name on its own.

    >>> name_parts("Joost van der Berghe")
    ['Joost van der Berghe', 'Joost', 'Berghe']
    >>> name_parts("Lowbridge")
    ['Lowbridge']
    """
    words = term.split()
    if len(words) < 2:
        return [term]
    parts = [w for w in words if len(fold(w)) >= MIN_PART_LETTERS and fold(w) not in PARTICLES]
    return [term, *parts]


def candidates(names: RedactionList, phonemize: Phonemizer = espeak_phonemes) -> list[Candidate]:
    """Every listed name and name part as a phonetic code."""
    items = [
        (part, entry.line, index > 0) for entry in names.entries for index, part in enumerate(name_parts(entry.term))
    ]
    ipas = phonemize([" ".join(_letters(w) for w in text.split()) for text, _, _ in items])
    found: dict[tuple[str, int], Candidate] = {}
    for (_text, line, part), ipa in zip(items, ipas):
        code = phonetic_code(ipa)
        if len(code) >= 2:
            found.setdefault((code, line), Candidate(code, line, part))
    return list(found.values())


def _similarity(window: str, candidate: str) -> float:
    from rapidfuzz.distance import Levenshtein

    if len(candidate) <= SHORT_CODE:
        return 1.0 if window == candidate or window.rstrip("S") == candidate else 0.0
    score = Levenshtein.normalized_similarity(window, candidate)
    if window.endswith("S") and not candidate.endswith("S"):  # a possessive or plural: Marigold's
        score = max(score, Levenshtein.normalized_similarity(window[:-1], candidate))
    return score


def same_sound(first_ipa: str, second_ipa: str) -> bool:
    """Whether two words (espeak-ng IPA) are one word, written or heard slightly differently.

    Used to recognise the same ordinary word in two listenings, or in a supplied transcript and
    a listening, next to a name; codes of two sounds or fewer must be equal.

    >>> same_sound("kˈɔːld", "kˈɔːl"), same_sound("θˈæŋk", "ˈænd"), same_sound("dˈɪɹ", "dˈɪɹ")
    (True, False, True)
    """
    from rapidfuzz.distance import Levenshtein

    first, second = phonetic_code(first_ipa), phonetic_code(second_ipa)
    if not first or not second:
        return False
    if min(len(first), len(second)) <= 2:
        return first == second
    return Levenshtein.normalized_similarity(first, second) >= SAME_WORD


def resemblance(words: Sequence[str], wanted: Sequence[str], *, phonemize: Phonemizer = espeak_phonemes) -> float:
    """How much the best window of ``words`` (1 to :data:`MAX_WINDOW` in a row) sounds like any of the
    ``wanted`` codes (one list line's :func:`candidates`), 0 to 1, by normalised Levenshtein similarity.

    Weaker than :func:`scan`'s matching on purpose: it asks whether heard words *could* be the name,
    not whether they are ("Wellbridge" for "Lowbridge" 0.57; "was quiet" for "Wojtek" 0.33).

    >>> ipa = {"to": "tə", "Trend": "tɹˈɛnd", "was": "wʌz"}
    >>> codes = [phonetic_code("tɹˈæn")]
    >>> resemblance(["to", "Trend"], codes, phonemize=lambda ws: [ipa[w] for w in ws]) >= 0.52
    True
    >>> resemblance(["was"], codes, phonemize=lambda ws: [ipa[w] for w in ws]) < 0.52
    True
    """
    from rapidfuzz.distance import Levenshtein

    codes = [phonetic_code(ipa) for ipa in phonemize(list(words))]
    best = 0.0
    for first in range(len(codes)):
        window = ""
        for last in range(first, min(first + MAX_WINDOW, len(codes))):
            window = _join(window, codes[last])
            if window:
                best = max([best, *(Levenshtein.normalized_similarity(window, code) for code in wanted)])
    return round(best, 3)


def same_stem(first: str, second: str) -> bool:
    """Whether two written words are one word with a different ending ("live" and "Lives,"), which
    espeak-ng may read differently.

    >>> same_stem("live", "Lives,"), same_stem("call.", "called"), same_stem("an", "and")
    (True, True, False)
    """
    a, b = sorted((_letters(first), _letters(second)), key=len)
    return len(a) >= 3 and b.startswith(a) and len(b) - len(a) <= 3


def same_word(first: str, second: str, ipa: Mapping[str, str]) -> bool:
    """Whether two written or heard words are one word: the same stem, or the same sound (``ipa`` holds
    both words' espeak-ng IPA).

    >>> same_word("live", "Lives,", {}), same_word("call.", "called", {}), same_word("and", "thank", {})
    (True, True, False)
    """
    return same_stem(first, second) or same_sound(ipa.get(first, ""), ipa.get(second, ""))


def scan(
    words: Sequence[TimedWord],
    names: RedactionList,
    *,
    threshold: float = THRESHOLD,
    near_margin: float = NEAR_MARGIN,
    phonemize: Phonemizer = espeak_phonemes,
) -> tuple[list[SoundMatch], list[SoundMatch]]:
    """Windows of heard ``words`` that sound like a listed name: (matches, near misses).

    Matches do not overlap each other (best score first); near misses overlap no match.
    """
    if not names or not words:
        return [], []
    wanted = candidates(names, phonemize)
    codes = [phonetic_code(ipa) for ipa in phonemize([w for _, _, w in words])]
    scored: list[SoundMatch] = []
    floor = threshold - near_margin
    for first in range(len(words)):
        if not codes[first]:
            continue
        window = ""
        for last in range(first, min(first + MAX_WINDOW, len(words))):
            window = _join(window, codes[last])
            for candidate in wanted:
                if abs(len(window) - len(candidate.code)) > max(2, len(candidate.code) // 3):
                    continue
                score = _similarity(window, candidate.code)
                if score >= floor:
                    scored.append(
                        SoundMatch(first, last, words[first][0], words[last][1], candidate.line, round(score, 3))
                    )
    scored.sort(key=lambda m: (-m.score, m.last - m.first, m.first))
    matches = _non_overlapping(m for m in scored if m.score >= threshold)
    near = _non_overlapping((m for m in scored if m.score < threshold), taken=matches)
    return sorted(matches, key=lambda m: m.first), sorted(near, key=lambda m: m.first)


def _join(left: str, right: str) -> str:
    """Codes of neighbouring words, joined as they sound (a repeated symbol across the join is one)."""
    if left and right and left[-1] == right[0]:
        return left + right[1:]
    return left + right


def _non_overlapping(found: Iterable[SoundMatch], taken: Sequence[SoundMatch] = ()) -> list[SoundMatch]:
    used = {i for m in taken for i in range(m.first, m.last + 1)}
    kept = []
    for match in found:
        span = set(range(match.first, match.last + 1))
        if span & used:
            continue
        kept.append(match)
        used |= span
    return kept
