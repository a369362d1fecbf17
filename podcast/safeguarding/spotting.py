"""Acoustic keyword spotting: a third listener for listed names, one that hears sounds, not words.

Whisper writes what it thinks was *said*. A name it has never met can come out as an ordinary word
in both of its listenings ("a dog called Health" for "Hope" at the very end of a story; "Dear I'm
her" for an espeak voice's "Ximena"), and then no spelling or sound-alike search finds it. This
module asks a different model: pocketsphinx (CMU Sphinx, its US English acoustic model ships in the
PyPI wheel) listens for each listed name's *phones* anywhere in the audio.

* Each listed name part (:func:`~podcast.safeguarding.soundalike.name_parts`: a one-word name, or
  each part of a longer one) gets the pronunciations espeak-ng gives it, mapped from IPA to the
  model's ARPAbet phones (:func:`arpabet`), plus any the model's own dictionary has for that word.
* A spotted place must pass a threshold that grows with the pronunciation's length
  (:func:`threshold`): short names sound like many ordinary words.
* The spotter alone hears too much (86 places in an hour of speech without a name, measured in
  BENCHMARKS.md), so its places are weighed against the two Whisper listenings by the caller
  (:func:`podcast.safeguarding.censor.add_spotted`): hidden only where neither listening heard
  a word clearly.

English only (the acoustic model is US English). Pure apart from the decoder run; pocketsphinx
is imported lazily and, when missing, reported as :class:`~podcast.errors.TranscriberUnavailable`.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.errors import TranscriberUnavailable
from podcast.safeguarding import soundalike
from podcast.show.redactions import RedactionList

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000  # what the acoustic model was trained on (and what Whisper is fed)
MIN_PHONES = 3  # a name of two phones cannot be told from a syllable of any word
# How strict the spotter is, per phone of the pronunciation: 10**-(n * EXPONENT(n)). Tuned on the
# spoken-names corpus and an hour of speech without a name (benchmarks/safeguarding.py): three
# phones at 1e-6 (15 false places an hour each), four at 1e-12, five and more at 1e-(4n).
MAX_EXPONENT = 4
# Each pronunciation adds about 0.018 s of decoding per minute of audio (RTF 0.021 for 25, 0.092 for 4,000) and
# its own false places; past this many the spotter is skipped with a warning (a list of hundreds of names is fine).
MAX_PRONUNCIATIONS = 2000
FORMAT = 1  # bump when spotting changes: cached safeguarding transcriptions are redone

# espeak-ng en-us IPA -> CMU ARPAbet. Longest symbols first; stress and length marks are dropped.
_IPA_TO_ARPABET = {
    "aɪ": "AY",
    "aʊ": "AW",
    "eɪ": "EY",
    "oʊ": "OW",
    "əʊ": "OW",
    "ɔɪ": "OY",
    "tʃ": "CH",
    "dʒ": "JH",
    "ɜ": "ER",
    "ɚ": "ER",
    "ɝ": "ER",
    "ɑ": "AA",
    "ɒ": "AA",
    "æ": "AE",
    "a": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɔ": "AO",
    "ɛ": "EH",
    "e": "EH",
    "ɪ": "IH",
    "ᵻ": "IH",
    "i": "IY",
    "ʊ": "UH",
    "u": "UW",
    "y": "UW",
    "o": "OW",
    "ɵ": "OW",
    "b": "B",
    "d": "D",
    "ɾ": "D",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "h": "HH",
    "x": "HH",
    "ç": "HH",
    "k": "K",
    "l": "L",
    "ɬ": "L",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "θ": "TH",
    "ð": "DH",
    "v": "V",
    "w": "W",
    "j": "Y",
    "z": "Z",
    "ʒ": "ZH",
}
_SYMBOLS = sorted(_IPA_TO_ARPABET, key=len, reverse=True)
_MARKS = re.compile(r"[ˈˌːˑ̩‿\s\-]")


def arpabet(ipa: str) -> list[str]:
    """espeak-ng's IPA as the acoustic model's phones; symbols it has no phone for are skipped.

    >>> arpabet("zˈaɪmnə")
    ['Z', 'AY', 'M', 'N', 'AH']
    >>> arpabet("hˈoʊp")
    ['HH', 'OW', 'P']
    """
    text, phones, at = _MARKS.sub("", ipa), [], 0
    while at < len(text):
        symbol = next((s for s in _SYMBOLS if text.startswith(s, at)), None)
        if symbol is None:
            at += 1  # a glottal stop, a tone mark: nothing the model has
            continue
        phones.append(_IPA_TO_ARPABET[symbol])
        at += len(symbol)
    return phones


def threshold(phones: int) -> float:
    """The spotter's threshold for a pronunciation of ``phones`` phones: stricter for shorter ones.

    >>> threshold(3), threshold(4), threshold(6)
    (1e-06, 1e-12, 1e-24)
    """
    return float(f"1e-{phones * min(phones - 1, MAX_EXPONENT)}")


@dataclass(frozen=True)
class Pronunciation:
    """One way a listed name part may sound: its list line and its phones (no spelling kept)."""

    line: int
    phones: tuple[str, ...]


@dataclass(frozen=True)
class Spotted:
    """A place the spotter heard a listed name part: seconds, the list line."""

    start: float
    end: float
    line: int


def pronunciations(
    names: RedactionList, phonemize: soundalike.Phonemizer = soundalike.espeak_phonemes
) -> list[Pronunciation]:
    """Every listed name part's pronunciations (espeak-ng's, and the model dictionary's), each once."""
    parts = [
        (part, entry.line)
        for entry in names.entries
        for part in (soundalike.name_parts(entry.term)[1:] or [entry.term])  # a long name: its parts
    ]
    ipas = phonemize([part for part, _ in parts])
    dictionary = _model_dictionary()
    found: dict[tuple[int, tuple[str, ...]], Pronunciation] = {}
    for (part, line), ipa in zip(parts, ipas):
        known = dictionary.get(part.lower().replace("’", "'"), [])
        for phones in [tuple(arpabet(ipa)), *known]:
            if len(phones) >= MIN_PHONES:
                found.setdefault((line, phones), Pronunciation(line, phones))
    return list(found.values())


def _model_path() -> Path:
    try:
        import pocketsphinx
    except ImportError:
        raise TranscriberUnavailable(
            "pocketsphinx is not installed; the safeguarding pass needs it to listen for names",
            fix="install the transcribe extra: pip install 'survivor-voices-podcast[transcribe]'",
        ) from None
    return Path(pocketsphinx.get_model_path())  # en-us/en-us: the acoustic model; en-us/cmudict-en-us.dict


@functools.cache
def _model_dictionary() -> dict[str, list[tuple[str, ...]]]:
    """The acoustic model's pronunciation dictionary (CMUdict): word -> its pronunciations."""
    words: dict[str, list[tuple[str, ...]]] = {}
    with open(_model_path() / "en-us" / "cmudict-en-us.dict", encoding="utf-8") as lines:
        for line in lines:
            word, *phones = line.split()
            words.setdefault(word.split("(")[0], []).append(tuple(phones))
    return words


def spot_names(samples: np.ndarray, pronounced: Sequence[Pronunciation]) -> list[Spotted]:
    """Every place in ``samples`` (mono float32 at :data:`SAMPLE_RATE`) where the spotter heard one of
    ``pronounced``."""
    if not pronounced or not len(samples):
        return []
    model = _model_path()  # a missing pocketsphinx is reported before anything else is tried
    import numpy as np
    from pocketsphinx import Decoder

    keys = {f"name{index}": item for index, item in enumerate(pronounced)}  # no spelling goes to the decoder
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    with tempfile.TemporaryDirectory(prefix="podcast-spot-") as folder:
        words, phrases = Path(folder) / "names.dict", Path(folder) / "names.kws"
        words.write_text("".join(f"{key} {' '.join(item.phones)}\n" for key, item in keys.items()), encoding="utf-8")
        phrases.write_text(
            "".join(f"{key} /{threshold(len(item.phones)):g}/\n" for key, item in keys.items()), encoding="utf-8"
        )
        decoder = Decoder(hmm=str(model / "en-us" / "en-us"), dict=str(words), kws=str(phrases), loglevel="FATAL")
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
    frame_s = 1 / decoder.config["frate"]
    found = []
    for segment in decoder.seg() or ():
        item = keys.get(segment.word.strip())
        if item is not None:
            start, end = segment.start_frame * frame_s, (segment.end_frame + 1) * frame_s
            found.append(Spotted(round(start, 3), round(end, 3), item.line))
    return sorted(found, key=lambda s: s.start)
