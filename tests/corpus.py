"""A generated loudness corpus: synthetic speech (espeak-ng) and tones, in every shape masters arrive in.

Neutral words only. Used by tests/audio/test_loudness.py (short clips, made once per session)
and by benchmarks/loudness.py (the same generators at full length). Every level is set
by measuring with ffmpeg's ebur128 and applying the difference, so "-35 LUFS speech" is
-35 LUFS within a few tenths.
"""

from __future__ import annotations

import random
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from podcast.audio.runner import ffmpeg_exe

WORDS = (
    "weather train garden library river morning coffee bicycle window market bridge letter museum kitchen "
    "meadow harbour lantern village journey orchard timetable notebook umbrella pavement season festival"
).split()
VOICES = ("en-gb", "en-us+f3")  # a lower and a higher voice


@dataclass(frozen=True)
class Clip:
    """One corpus file and, for interviews, where each voice speaks: (start, end, voice index)."""

    name: str
    path: Path
    passages: tuple[tuple[float, float, int], ...] = field(default=())


def ffmpeg(*args: str) -> str:
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats", "-y", *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)} failed: {result.stderr[-800:]}")
    return result.stderr


def loudness(path: Path) -> float:
    """Integrated loudness by ebur128 (the independent meter the tests trust)."""
    stderr = ffmpeg("-i", str(path), "-af", "ebur128=framelog=verbose", "-f", "null", "-")
    return float(re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", stderr)[-1])


def sentence(rng: random.Random) -> str:
    a, b, c, d, e, f = rng.sample(WORDS, 6)
    return f"We talked about the {a} and the {b}, then walked past the {c} to the {d}. The {e} was quiet by the {f}."


def speak(path: Path, text: str, *, voice: str = VOICES[0], wpm: int = 160) -> Path:
    """espeak-ng text to a WAV (22.05 kHz mono, as espeak writes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True)
    return path


def speech(path: Path, seconds: float, *, seed: int = 1, voice: str = VOICES[0]) -> Path:
    """About ``seconds`` of one voice: sentences with short natural pauses, 44.1 kHz mono float WAV."""
    rng = random.Random(seed)
    words_needed = max(1, int(seconds / 4.5))
    text = " ".join(sentence(rng) for _ in range(words_needed))
    raw = speak(path.with_suffix(".raw.wav"), text, voice=voice, wpm=rng.randint(150, 170))
    ffmpeg(
        "-i",
        str(raw),
        "-af",
        f"apad=whole_dur={seconds}",
        "-t",
        f"{seconds}",
        "-ar",
        "44100",
        "-c:a",
        "pcm_f32le",
        str(path),
    )
    raw.unlink()
    return path


def dialogue(
    path: Path, turns: int, *, quiet_db: float = 10.0, seed: int = 2, turn_s: float = 6.0, pause_s: float = 0.4
) -> tuple[Path, tuple[tuple[float, float, int], ...]]:
    """Two voices taking turns of about ``turn_s``; the second ``quiet_db`` quieter. Returns the passages."""
    rng = random.Random(seed)
    pieces: list[Path] = []
    passages = []
    t = 0.0
    for turn in range(turns):
        who = turn % 2
        piece = path.parent / f".{path.stem}-turn{turn}.wav"
        speech(piece, turn_s, seed=rng.randint(0, 10**6), voice=VOICES[who])
        gain = -quiet_db if who == 1 else 0.0
        level = piece.with_suffix(".lvl.wav")
        ffmpeg("-i", str(piece), "-af", f"volume={gain}dB,apad=pad_dur={pause_s}", "-c:a", "pcm_f32le", str(level))
        piece.unlink()
        pieces.append(level)
        passages.append((round(t, 3), round(t + turn_s, 3), who))
        t += turn_s + pause_s
    inputs: list[str] = []
    for piece in pieces:
        inputs += ["-i", str(piece)]
    joined = "".join(f"[{i}:a]" for i in range(len(pieces)))
    ffmpeg(
        *inputs,
        "-filter_complex",
        f"{joined}concat=n={len(pieces)}:v=0:a=1[a]",
        "-map",
        "[a]",
        "-c:a",
        "pcm_f32le",
        str(path),
    )
    for piece in pieces:
        piece.unlink()
    return path, tuple(passages)


def music(path: Path, seconds: float) -> Path:
    """A music bed: a slow progression of sustained three-note chords with soft attacks, stereo."""
    chords = ((220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (196.0, 246.94, 311.13))
    bar = seconds / len(chords)
    graph = []
    for i, notes in enumerate(chords):
        tones = "".join(f"sine=frequency={f}:duration={bar}:sample_rate=44100[n{i}{j}];" for j, f in enumerate(notes))
        mix = "".join(f"[n{i}{j}]" for j in range(len(notes)))
        graph.append(f"{tones}{mix}amix=inputs={len(notes)},afade=t=in:d=0.25,afade=t=out:st={bar - 0.25}:d=0.25[c{i}]")
    bars = "".join(f"[c{i}]" for i in range(len(chords)))
    graph.append(
        f"{bars}concat=n={len(chords)}:v=0:a=1,asplit[l][r];[r]volume=-1dB[rr];"
        "[l][rr]join=inputs=2:channel_layout=stereo[out]"
    )
    ffmpeg("-filter_complex", ";".join(graph), "-map", "[out]", "-c:a", "pcm_f32le", str(path))
    return path


def level_to(
    src: Path,
    dst: Path,
    lufs: float,
    *,
    extra_filters: str = "",
    codec: tuple[str, ...] = (),
    rate: int | None = None,
    channels: int | None = None,
) -> Path:
    """Copy ``src`` to ``dst`` at ``lufs`` (measured, then gained), in ``dst``'s format and ``codec``."""
    gain = lufs - loudness(src)
    filters = f"volume={gain:.3f}dB" + (f",{extra_filters}" if extra_filters else "")
    args = ["-i", str(src), "-af", filters]
    if rate:
        args += ["-ar", str(rate)]
    if channels:
        args += ["-ac", str(channels)]
    ffmpeg(*args, *codec, str(dst))
    return dst


def stereo(src: Path, dst: Path) -> Path:
    """Make a mono recording stereo with a little width (the right channel slightly later and softer)."""
    ffmpeg(
        "-i",
        str(src),
        "-af",
        "asplit[l][r];[r]adelay=3,volume=-2dB[rr];[l][rr]join=inputs=2:channel_layout=stereo",
        "-c:a",
        "pcm_f32le",
        str(dst),
    )
    return dst


def make_corpus(folder: Path, *, seconds: float = 8.0) -> dict[str, Clip]:
    """Every case of the loudness contract as a short clip in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    base = speech(folder / "base.wav", seconds, seed=11)
    base_stereo = stereo(base, folder / "base-stereo.wav")
    interview, passages = dialogue(folder / "interview-raw.wav", 4, quiet_db=10.0, turn_s=seconds * 0.75)
    bed = music(folder / "music-raw.wav", seconds)
    clips = {
        "quiet_speech": level_to(base, folder / "quiet-speech.wav", -35.0, codec=("-c:a", "pcm_s16le")),
        # Driven past full scale and hard-clipped: flat-topped peaks, as on an overloaded recording.
        "hot_clipped": level_to(
            base,
            folder / "hot-clipped.wav",
            -8.0,
            extra_filters="volume=2.6dB,asoftclip=type=hard:threshold=1",
            codec=("-c:a", "pcm_s16le"),
        ),
        "interview": level_to(interview, folder / "interview.wav", -20.0, codec=("-c:a", "pcm_s16le")),
        "music_intro": level_to(bed, folder / "music-intro.wav", -18.0, codec=("-c:a", "pcm_s16le")),
        "wav_48k_24bit_stereo": level_to(
            base_stereo, folder / "speech-48k-24bit-stereo.wav", -24.0, codec=("-c:a", "pcm_s24le"), rate=48000
        ),
        "mp3_stereo": level_to(
            base_stereo, folder / "speech-stereo.mp3", -19.0, codec=("-c:a", "libmp3lame", "-b:a", "128k")
        ),
        "m4a_aac_mono": level_to(
            base, folder / "speech-mono.m4a", -22.0, codec=("-c:a", "aac", "-b:a", "96k"), rate=48000
        ),
        "flac_stereo": level_to(base_stereo, folder / "speech-stereo.flac", -27.0, codec=("-c:a", "flac")),
    }
    result = {name: Clip(name, path) for name, path in clips.items()}
    result["interview"] = Clip("interview", clips["interview"], passages)
    for tmp in (base, base_stereo, interview, bed):
        tmp.unlink()
    return result
