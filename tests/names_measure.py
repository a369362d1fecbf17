"""Measure the published MP3 of the spoken-names corpus: which name spans are hidden, how much else is.

A show is made with one episode per corpus story, the corpus's redaction list and either
``[transcripts] auto = true`` or a supplied plain-text transcript (no timings); the real
``podcast publish`` writes it to a local folder; the published MP3s are decoded by the real
ffmpeg and judged in 20 ms frames:

* a frame is **hidden** when, with the 1 kHz bleep band (±80 Hz) taken out, what is left is
  quieter than :data:`HIDDEN_DB` (silence, or the tone alone);
* a frame is **speech** when the source WAV is louder than :data:`SPEECH_DB` there;
* per listed-name span: the share of its speech frames that are hidden;
* other speech: the share of the speech frames outside every name span that are hidden.

Used by tests/safeguarding/test_audio_names.py and benchmarks/safeguarding.py.
"""

from __future__ import annotations

import json
import shutil
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from names_corpus import REDACTIONS, Story

from podcast.audio.decode import decode_samples

REPO = Path(__file__).resolve().parent.parent
RATE = 16000
FRAME_S = 0.02
HIDDEN_DB = -45.0  # dBFS of what is left besides the tone: inaudible under the bleep at -16 LUFS
SPEECH_DB = -40.0  # dBFS in the source: a frame where something is said
BLEEP_BAND_HZ = (920.0, 1080.0)


@dataclass
class Measurement:
    spans: list[tuple[str, int, float, float, float]] = field(default_factory=list)  # story, line, start, end, hidden
    other_speech_s: float = 0.0
    other_hidden_s: float = 0.0

    @property
    def names_hidden(self) -> int:
        return sum(1 for span in self.spans if span[4] >= SPAN_BAR)

    @property
    def over_bleep(self) -> float:
        return self.other_hidden_s / self.other_speech_s if self.other_speech_s else 0.0


SPAN_BAR = 0.9  # see tests/safeguarding/test_audio_names.py for why


def _frames(samples: np.ndarray) -> np.ndarray:
    size = int(RATE * FRAME_S)
    count = len(samples) // size
    return samples[: count * size].reshape(count, size)


def _db(power: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(power, 1e-12))


def residual_db(samples: np.ndarray) -> np.ndarray:
    """Per frame: the level of everything but the bleep band, in dBFS."""
    frames = _frames(samples) * np.hanning(int(RATE * FRAME_S))
    spectrum = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / RATE)
    spectrum[:, (freqs >= BLEEP_BAND_HZ[0]) & (freqs <= BLEEP_BAND_HZ[1])] = 0
    # Parseval with the Hann window's power (0.375): mean square of the frame without the band
    power = 2 * spectrum.sum(axis=1) / (frames.shape[1] ** 2 * 0.375)
    return _db(power)


def level_db(samples: np.ndarray) -> np.ndarray:
    return _db((_frames(samples) ** 2).mean(axis=1))


def measure_story(story: Story, published: Path, into: Measurement) -> None:
    """Add ``story``'s spans, judged on its ``published`` MP3, to ``into``."""
    source = level_db(decode_samples([story.path], sample_rate=RATE))
    out = residual_db(decode_samples([published], sample_rate=RATE))
    count = min(len(source), len(out))
    speech = source[:count] > SPEECH_DB
    hidden = out[:count] < HIDDEN_DB
    in_name = np.zeros(count, dtype=bool)
    for span in story.names():
        first, last = int(span.start / FRAME_S), min(count, int(np.ceil(span.end / FRAME_S)))
        in_name[first:last] = True
        voiced = speech[first:last]
        share = float(hidden[first:last][voiced].mean()) if voiced.any() else 1.0
        assert span.line is not None
        into.spans.append((story.name, span.line, span.start, span.end, round(share, 3)))
    other = speech & ~in_name
    into.other_speech_s += float(other.sum()) * FRAME_S
    into.other_hidden_s += float((other & hidden).sum()) * FRAME_S


def make_show(root: Path, stories: dict[str, Story], *, supplied: bool, redactions: Path) -> Path:
    """A show folder with one episode per story: auto transcripts, or each story's text as transcript.txt."""
    root.mkdir(parents=True)
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    toml = (REPO / "podcast.toml").read_text(encoding="utf-8")
    assert "[transcripts]" not in toml and "[safeguarding]" not in toml
    toml += f"\n[transcripts]\nauto = {'false' if supplied else 'true'}\n"
    toml += f'\n[safeguarding]\nredactions = "{redactions}"\n'
    (root / "podcast.toml").write_text(toml, encoding="utf-8")
    for number, (name, story) in enumerate(stories.items(), start=1):
        folder = root / "episodes" / name
        folder.mkdir(parents=True)
        shutil.copy2(story.path, folder / "story.wav")
        lines = [
            f'title = "Story {number}"',
            f"number = {number}",
            "published = 2026-01-01T09:00:00Z",
            'audio = "story.wav"',
            'description = "A story."',
            f'guid = "{uuid.uuid4()}"',
        ]
        if supplied:
            (folder / "transcript.txt").write_text(story.text + "\n", encoding="utf-8")
            lines.append('transcript = "transcript.txt"')
        (folder / "episode.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_list(folder: Path) -> Path:
    path = folder / "redactions.txt"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(REDACTIONS, encoding="utf-8")
    return path


def published_mp3s(target: Path) -> dict[str, Path]:
    """slug -> published MP3, from the feed's state (media keys name the slug)."""
    found = {}
    for mp3 in (target / "media").glob("*.mp3"):
        slug = mp3.stem.rsplit("-", 1)[0]
        found[slug] = mp3
    return found


@dataclass
class Run:
    measurement: Measurement
    show: Path
    target: Path
    refused: dict[str, str]  # slug -> the refusal's message (a name that could not be located)


def publish_and_measure(work: Path, stories: dict[str, Story], *, supplied: bool, run: Callable[..., object]) -> Run:
    """Make the show in ``work``, publish it with ``run`` (the CLI) to ``work/target``, measure every MP3.

    Episodes the safeguarding pass refuses (a listed name it cannot locate) are left out and
    reported in ``refused``; the rest are published on a second run.
    """
    redactions = write_list(work / "private")
    show = make_show(work / "show", stories, supplied=supplied, redactions=redactions)
    target = work / "target"
    args = ("-C", show, "publish", "--target", target, "--base-url", "https://media.example.org/s")
    result = run(*args)
    refused: dict[str, str] = {}
    if getattr(result, "exit_code", 0) != 0:
        stderr = str(getattr(result, "stderr", ""))
        for line in stderr.splitlines():
            for slug in stories:
                if f"episodes/{slug}/episode.toml" in line and "cannot be located" in line:
                    refused[slug] = line
        assert refused, stderr
        result = run(*args[:3], *(slug for slug in stories if slug not in refused), *args[3:])
        assert getattr(result, "exit_code", 0) == 0, getattr(result, "stderr", result)
    mp3s = published_mp3s(target)
    assert set(mp3s) == set(stories) - set(refused), mp3s
    measurement = Measurement()
    for name, story in stories.items():
        if name in mp3s:
            measure_story(story, mp3s[name], measurement)
    return Run(measurement, show, target, refused)


def name_terms() -> list[str]:
    """Every listed name and each of its words (what must not be readable in any text artefact)."""
    terms = []
    for line in REDACTIONS.splitlines():
        if line.strip() and not line.startswith("#"):
            term = line.split("=>")[0].strip()
            terms += [term, *(w for w in term.split() if len(w) > 3)]
    return terms


def text_artefacts(show: Path, target: Path) -> dict[str, str]:
    """Every published text a reader can get: transcripts, the feed, pages, and each MP3's tags (USLT)."""
    from mutagen.id3 import ID3

    texts = {}
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in {".vtt", ".srt", ".json", ".html", ".txt", ".xml"}:
            texts[str(path.relative_to(target))] = path.read_text(encoding="utf-8", errors="replace")
    for mp3 in (target / "media").glob("*.mp3"):
        tags = ID3(mp3)
        texts[f"{mp3.name} tags"] = "\n".join(str(frame) for frame in tags.values())
    return texts


def leaked(terms: list[str], text: str) -> list[str]:
    """The terms found in ``text`` as whole words, any case ("Tran" is not in "transcript").

    >>> leaked(["Tran", "Mary Gold"], "A transcript by mary  gold.")
    ['Mary Gold']
    """
    import re

    return [t for t in terms if re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, t.split())) + r"(?!\w)", text, re.I)]


def bleeps_records(show: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in (show / "build").glob("*/bleeps.json")}


def show_config(show: Path) -> dict:
    return tomllib.loads((show / "podcast.toml").read_text(encoding="utf-8"))
