"""Benchmark: are listed names hidden in the audio? Per method and model, on the spoken-names corpus.

    PYTHONPATH=. .venv/bin/python benchmarks/safeguarding.py [--model DIR ...] [--skip-publish]
    PYTHONPATH=. .venv/bin/python benchmarks/safeguarding.py --long 10     # the pass's RTF on long speech
    PYTHONPATH=. .venv/bin/python benchmarks/safeguarding.py --long 60 --listening two   # only what the build does

Methods (each on the corpus's four stories, 19 spoken listed names, about 40 s of speech):

* ``text``: the model's words, listed spellings only (the behaviour before the sound-alike pass);
* ``text+sound``: plus the sound-alike matcher (podcast/safeguarding/soundalike.py);
* ``hotwords`` variants: the decoder biased toward the listed names;
* ``publish auto`` / ``publish supplied``: the real ``podcast publish`` to a local folder, with
  ``[transcripts] auto = true`` or a supplied plain-text transcript without timings.

Each hides what it found with the build's own censor pass (real ffmpeg), and the output is
measured as tests/names_measure.py does: a name counts as hidden when at least 90% of its
spoken frames are silent or 1 kHz tone. RTF = the safeguarding pass's time (transcription
and matching) over the audio's duration, on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from names_corpus import REDACTIONS, names_corpus  # noqa: E402
from names_measure import Measurement, measure_story, publish_and_measure  # noqa: E402

from podcast.audio.decode import decode_samples  # noqa: E402
from podcast.audio.filters import RenderSettings  # noqa: E402
from podcast.build.censor import censor_audio, frame_levels_db  # noqa: E402
from podcast.build.transcripts import hear_names  # noqa: E402
from podcast.safeguarding.censor import (  # noqa: E402
    HEARD_PAD_S,
    CensorPlan,
    find_marks,
    padded_regions,
    snap_regions,
    text_marks,
)
from podcast.safeguarding.spotting import pronunciations, spot_names  # noqa: E402
from podcast.show.redactions import parse_redactions  # noqa: E402
from podcast.transcripts.model import Transcript  # noqa: E402
from podcast.transcripts.whisper import SAMPLE_RATE, default_model_path, load_model, transcribe_samples  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "podcast-names-corpus"
CORES = os.cpu_count() or 1  # CPU seconds over cores: the wall time on a quiet machine


def listen(model, samples, names, how: str, *, sound: bool = True) -> tuple[list, list, int]:
    """(marks, near misses, heard words) by one method: "plain", "hotwords" (beam 5), or "two" (what the
    build does: a plain listening, whose words are published, plus one biased toward the names, both greedy
    without temperature fallback; the biased one's places first, then the plain one's new ones; then the
    keyword spotter's places where neither heard a word clearly)."""
    hot = ", ".join(e.term for e in sorted(names.entries, key=lambda e: e.line))

    def heard(**options) -> list:
        cues = transcribe_samples(model, samples, language="en", **options)
        return [(w.start_ms / 1000, w.end_ms / 1000, w.text) for cue in cues for w in cue.words]

    def search(words):
        return find_marks(words, names) if sound else (text_marks(words, names), [])

    if how == "plain":
        words = heard()
        return (*search(words), len(words))
    if how == "hotwords":
        words = heard(hotwords=hot)
        return (*search(words), len(words))
    plain = Transcript(tuple(transcribe_samples(model, samples, language="en", beam_size=1, fallback=False)))
    biased = Transcript(
        tuple(transcribe_samples(model, samples, language="en", hotwords=hot, beam_size=1, fallback=False))
    )
    marks, near = hear_names(plain, biased, names, spot_names(samples, pronunciations(names)))
    return marks, near, sum(len(cue.words) for cue in plain.cues)


def run_method(stories, work: Path, model_dir: str, *, how: str, sound: bool) -> tuple[Measurement, int, str]:
    names = parse_redactions(REDACTIONS)
    model = load_model(model_dir)
    measurement, near_count, seconds, cpu, duration = Measurement(), 0, 0.0, 0.0, 0.0
    settings = RenderSettings(
        loudness_lufs=-16.0, true_peak_dbtp=-1.0, channels=1, bitrate_kbps=96, sample_rate_hz=44100
    )
    for story in stories.values():
        began, began_cpu = time.perf_counter(), time.process_time()
        samples = decode_samples([story.path], sample_rate=SAMPLE_RATE)
        marks, near, _count = listen(model, samples, names, how, sound=sound)
        # As the build: an MP3 render first, then the censor pass on it, its edges snapped to its pauses.
        rendered = work / f"{story.name}-render.mp3"
        censor_audio(story.path, rendered, CensorPlan("mute", ((0.0, 0.0),)), settings)
        regions = snap_regions(padded_regions(marks, pad_s=HEARD_PAD_S), frame_levels_db(rendered))
        seconds += time.perf_counter() - began
        cpu += time.process_time() - began_cpu
        duration += story.duration_s
        near_count += len(near)
        out = work / f"{story.name}.mp3"
        censor_audio(rendered, out, CensorPlan("bleep", tuple(regions) or ((0.0, 0.0),)), settings)
        measure_story(story, out, measurement)
    return measurement, near_count, f"{seconds / duration:.3f} / {cpu / duration / CORES:.3f}"


def matcher_at_scale(stories, minutes: float = 60.0) -> tuple[int, float]:
    """Time the matching alone (spelling + sound, espeak-ng included) over ``minutes`` of heard words:
    the corpus's transcribed words repeated, about 150 words a minute."""
    from podcast.safeguarding import soundalike

    names = parse_redactions(REDACTIONS)
    model = load_model(str(default_model_path()))
    heard: list[str] = []
    for story in stories.values():
        cues = transcribe_samples(model, decode_samples([story.path], sample_rate=SAMPLE_RATE), language="en")
        heard += [w.text for cue in cues for w in cue.words]
    count = int(minutes * 150)
    words = [
        (i * 0.4, i * 0.4 + 0.35, heard[i % len(heard)] + ("" if i < len(heard) else f"{i % 97}")) for i in range(count)
    ]
    soundalike._CACHE.clear()
    began = time.perf_counter()
    find_marks(words, names)
    return count, time.perf_counter() - began


def long_audio_rtf(minutes: float, listenings: list[str]) -> None:
    """RTF of the safeguarding pass (decode, both listenings, match, snap) on ``minutes`` of espeak-ng speech."""
    from corpus import speech

    names = parse_redactions(REDACTIONS)
    model = load_model(str(default_model_path()))
    wav = CACHE / f"long-{minutes:g}.wav"
    if not wav.exists():
        speech(wav, minutes * 60, seed=5)
    settings = RenderSettings(
        loudness_lufs=-16.0, true_peak_dbtp=-1.0, channels=1, bitrate_kbps=96, sample_rate_hz=44100
    )
    mp3 = wav.with_suffix(".mp3")
    censor_audio(wav, mp3, CensorPlan("mute", ((0.0, 0.0),)), settings)
    seconds = minutes * 60
    for how in listenings:
        began, began_cpu = time.perf_counter(), time.process_time()
        marks, _near, count = listen(model, decode_samples([mp3], sample_rate=SAMPLE_RATE), names, how)
        snap_regions(padded_regions(marks, pad_s=HEARD_PAD_S), frame_levels_db(mp3))
        wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
        print(
            f"| {minutes:g} min | {how} | {count} | {len(marks)} | **{wall / seconds:.3f}** "
            f"| {cpu / seconds / CORES:.3f} | {os.getloadavg()[0]:.1f} |",
            flush=True,
        )


def row(method: str, model: str, m: Measurement, near: int | str, rtf: float | str) -> str:
    missed = sorted({f"{s}:{line}" for s, line, _a, _b, share in m.spans if share < 0.9})
    rtf_text = f"{rtf:.3f}" if isinstance(rtf, float) else rtf
    return (
        f"| {method} | {model} | {m.names_hidden}/{len(m.spans)} | {100 * m.over_bleep:.1f}% | {near} | {rtf_text} |"
        + (f" missed {', '.join(missed)}" if missed else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], help="another CTranslate2 Whisper model folder")
    parser.add_argument("--skip-publish", action="store_true")
    parser.add_argument("--long", type=float, metavar="MINUTES", help="only the RTF on this much long speech")
    parser.add_argument(
        "--listening",
        action="append",
        choices=("plain", "hotwords", "two"),
        help="with --long: only these listenings (default: all three; 'two' is what the build does)",
    )
    args = parser.parse_args()
    if args.long:
        print(
            "| audio | listening | heard words (published) | places hidden (none were said) | pass RTF (wall) "
            "| CPU s per audio s / 2 cores | load average |"
        )
        print("|---|---|---|---|---|---|---|")
        long_audio_rtf(args.long, args.listening or ["plain", "hotwords", "two"])
        return
    stories = names_corpus(CACHE)
    models = [("tiny.en", str(default_model_path()))] + [(Path(m).name, m) for m in args.model]
    print("| method | model | names hidden / spoken | other speech hidden | near misses | RTF wall / CPU per core |")
    print("|---|---|---|---|---|---|")
    for label, path in models:
        for method, how, sound in (
            ("text", "plain", False),
            ("text+sound", "plain", True),
            ("hotwords+text", "hotwords", False),
            ("hotwords+text+sound", "hotwords", True),
            ("two listenings + sound + spotter (what the build does)", "two", True),
        ):
            with tempfile.TemporaryDirectory() as tmp:
                m, near, rtf = run_method(stories, Path(tmp), path, how=how, sound=sound)
            print(row(method, label, m, near if sound else "-", rtf), flush=True)
    count, seconds = matcher_at_scale(stories)
    print(f"\nmatching alone, {count} heard words (60 min at 150 wpm): {seconds:.1f} s (RTF {seconds / 3600:.4f})\n")
    if args.skip_publish:
        return
    from typer.testing import CliRunner

    from typer_app import app

    runner = CliRunner()

    def run(*argv: object):  # type: ignore[no-untyped-def]
        return runner.invoke(app, [str(a) for a in argv], catch_exceptions=False)

    duration = sum(s.duration_s for s in stories.values())
    for method, supplied in (("publish auto (all passes)", False), ("publish supplied .txt (all passes)", True)):
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            done = publish_and_measure(Path(tmp), stories, supplied=supplied, run=run)
            seconds = time.perf_counter() - began
            bleeps = (done.show / "build").glob("*/bleeps.json")
            near = sum(len(json.loads(p.read_text())["near_misses"]) for p in bleeps)
        refused = f" refused (cannot locate): {', '.join(done.refused)}" if done.refused else ""
        print(row(method, "tiny.en", done.measurement, near, f"{seconds / duration:.3f} (whole publish)") + refused)


if __name__ == "__main__":
    main()
