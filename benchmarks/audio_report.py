"""Does the audio report cost speed? `podcast build` of a 20-minute two-voice interview against a bare
ffmpeg decode+encode of the same file (the floor), in paired runs on the same machine.

    .venv/bin/python benchmarks/audio_report.py                       # 20 minutes, 5 pairs
    .venv/bin/python benchmarks/audio_report.py --before ../main      # also the code in another checkout

Each round runs the commands in turn (floor, build[, before-build]), so a machine whose speed drifts
(other people's jobs on a shared box) slows both sides of a pair alike; the ratio is taken pair by
pair and the median printed, with the medians of wall and CPU (user + system of the process tree,
from the kernel's accounting of the finished children). Every build starts from an empty build/
folder and does all its work: the loudness loop, the meters that feed the report, the limiter's
gain-reduction reading, the per-part table and the picture (matplotlib), tags and the record.

The interview is synthetic and neutral: espeak-ng sentences, two voices taking turns, the second
6 dB quieter (benchmarks/loudness.py makes it), as a 44.1 kHz 16-bit mono WAV.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from loudness import make_show, make_speech  # noqa: E402

from podcast.audio.runner import ffmpeg_exe  # noqa: E402


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of ``argv`` and every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed:\n{result.stderr.decode(errors='replace')[-2000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def build_argv(checkout: Path, show: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    return [sys.executable, "-m", "typer_app", "-q", "-C", str(show), "build"], env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--pairs", type=int, default=5, help="counted rounds (one warm-up round is not counted)")
    parser.add_argument("--before", type=Path, default=None, help="another checkout to build with, in the same rounds")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the interview here (default: a temp folder)")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="audio-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"interview-{args.minutes:g}min.wav"
    if not source.exists():
        print(f"making {args.minutes:g} minutes of two-voice interview ...", flush=True)
        make_speech(source, args.minutes)
    floor = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(source)]
    floor += ["-c:a", "libmp3lame", "-b:a", "96k", "-ar", "44100", "-ac", "1", str(work / "floor.mp3")]
    rows: dict[str, list[tuple[float, float]]] = {"floor": [], "build": []}
    checkouts = {"build": REPO}
    if args.before:
        rows["before"] = []
        checkouts["before"] = args.before.resolve()
    print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    for round_ in range(args.pairs + 1):
        results = {"floor": timed(floor)}
        for name, checkout in checkouts.items():
            show = work / f"show-{name}"
            if round_ == 0 or not show.exists():
                make_show(show, source)
            shutil.rmtree(show / "build", ignore_errors=True)
            argv, env = build_argv(checkout, show)
            results[name] = timed(argv, env)
        if round_ == 0:
            continue  # warm-up: caches, font cache, page cache
        for name, value in results.items():
            rows[name].append(value)
        print(
            f"round {round_}: " + ", ".join(f"{n} {w:.2f} s wall / {c:.2f} s CPU" for n, (w, c) in results.items()),
            flush=True,
        )

    def median(name: str, index: int) -> float:
        return statistics.median(v[index] for v in rows[name])

    print(f"\n{args.minutes:g}-minute two-voice interview, {args.pairs} counted rounds (medians)")
    print(f"{'':28} {'wall s':>8} {'CPU s':>8}")
    for name in rows:
        print(f"{name:28} {median(name, 0):8.2f} {median(name, 1):8.2f}")
    for name in [n for n in rows if n != "floor"]:
        wall = statistics.median(a[0] / b[0] for a, b in zip(rows[name], rows["floor"]))
        cpu = statistics.median(a[1] / b[1] for a, b in zip(rows[name], rows["floor"]))
        print(f"{name} / floor, pair by pair:  wall {wall:.2f}x   CPU {cpu:.2f}x")
    if "before" in rows:
        wall = statistics.median(a[0] / b[0] for a, b in zip(rows["build"], rows["before"]))
        cpu = statistics.median(a[1] / b[1] for a, b in zip(rows["build"], rows["before"]))
        print(f"build / before, pair by pair:  wall {wall:.2f}x   CPU {cpu:.2f}x")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
