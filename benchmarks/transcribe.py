"""Benchmark offline transcription: real-time factor and word error rate on synthesised speech.

Synthesises a known, neutral script with espeak-ng, transcribes it with the same code the
build uses (podcast.transcribe: ffmpeg decode, faster-whisper int8 on the CPU, word
timestamps, VAD), and reports medians over several runs.

    .venv/bin/python benchmarks/transcribe.py                      # tiny.en (the default model)
    .venv/bin/python benchmarks/transcribe.py --runs 5 --voice en-us
    .venv/bin/python benchmarks/transcribe.py --model path/to/ctranslate2-whisper-base

RTF = transcription wall time / audio duration (lower is faster; model loading excluded,
reported separately). The machine is shared, so the script also reports the load average
and the CPU time per second of audio (all threads added up), which load disturbs far less. WER = word-level edit distance / reference words, after lowercasing
and dropping punctuation (podcast.transcribe.word_error_rate).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podcast.audio.decode import decode_samples as decode_audio  # noqa: E402
from podcast.audio.runner import ffmpeg_exe  # noqa: E402
from podcast.transcripts.whisper import (  # noqa: E402
    BEAM_SIZE,
    SAMPLE_RATE,
    default_model_path,
    load_model,
    transcribe_samples,
    word_error_rate,
)

# Digits where Whisper writes digits, and no words spelt differently in British and American
# English (Whisper writes American spelling): the WER should count mishearings, not conventions.
SCRIPT = (
    "Welcome to the monthly update from the volunteer team. "
    "This spring we planted 200 trees along the river path, and the local school helped with the watering. "
    "The library now opens on Saturday mornings, and the reading group meets every second Tuesday. "
    "Our cycling club rode from the station to the beach and back, a distance of 40 miles. "
    "The weather was kind, with sunshine in the morning and a light breeze in the afternoon. "
    "Next month we will repair the old footbridge, paint the community hall, and hold a picnic in the park. "
    "Thank you to everyone who gave their time, and we hope to see you at the next meeting."
)


def synthesise(text: str, out: Path, *, voice: str, speed: int) -> Path:
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(raw), "-ar", "44100", "-ac", "1", str(out)], check=True
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="CTranslate2 Whisper folder (default: tiny.en)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--voice", default="en-gb")
    parser.add_argument("--speed", type=int, default=150, help="espeak-ng words per minute")
    parser.add_argument("--beam", type=int, default=None, help="beam size (default: what the build uses)")
    parser.add_argument("--repeat", type=int, default=2, help="read the script this many times (longer audio)")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model_dir = args.model or default_model_path()
    started = time.perf_counter()
    model = load_model(str(model_dir))
    load_s = time.perf_counter() - started
    text = " ".join([SCRIPT] * args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        wav = synthesise(text, Path(tmp) / "speech.wav", voice=args.voice, speed=args.speed)
        samples = decode_audio([wav])
    duration = len(samples) / SAMPLE_RATE
    rtfs, wers, cpus = [], [], []
    load_before = os.getloadavg()[0]
    for run in range(1, args.runs + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        cues = transcribe_samples(model, samples, language="en", **({"beam_size": args.beam} if args.beam else {}))
        elapsed = time.perf_counter() - started
        cpus.append((time.process_time() - cpu_started) / duration)
        hypothesis = " ".join(cue.text for cue in cues)
        rtfs.append(elapsed / duration)
        wers.append(word_error_rate(text, hypothesis))
        print(
            f"run {run}: {elapsed:.2f} s for {duration:.1f} s of audio, RTF {rtfs[-1]:.3f}, WER {wers[-1]:.1%}",
            file=sys.stderr,
        )
    print(
        f"model: {model_dir.name} ({model_dir}), int8, beam {args.beam or BEAM_SIZE}, CPU threads {min(4, os.cpu_count() or 1)}, "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}"
    )
    print(
        f"audio: {duration:.1f} s espeak-ng {args.voice} at {args.speed} wpm, {len(text.split())} words; model load {load_s:.2f} s"
    )
    print(f"median RTF {statistics.median(rtfs):.3f} (min {min(rtfs):.3f}, max {max(rtfs):.3f}) over {args.runs} runs")
    print(
        f"median CPU seconds per audio second {statistics.median(cpus):.3f}; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"median WER {statistics.median(wers):.1%} (min {min(wers):.1%}, max {max(wers):.1%})")
    print("last hypothesis:", hypothesis)


if __name__ == "__main__":
    main()
