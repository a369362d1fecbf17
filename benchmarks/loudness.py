"""Loudness benchmark: `podcast build` against the bare encode floor and ffmpeg-normalize, in one run.

    .venv/bin/python benchmarks/loudness.py                  # 60-minute speech file + accuracy table
    .venv/bin/python benchmarks/loudness.py --minutes 10     # quicker
    .venv/bin/python benchmarks/loudness.py --hours3         # also: memory of `podcast build` on a 3-hour input

The speech is synthetic and neutral: espeak-ng sentences in two voices taking turns, the
second voice 6 dB quieter, with pauses between turns, written as a 44.1 kHz 16-bit mono
WAV (a typical speech master). Three rows, same input, same output settings (CBR 96 kb/s
MP3, 44.1 kHz, mono, target -16 LUFS, ceiling -1 dBTP):

* floor            ffmpeg -i in.wav -c:a libmp3lame -b:a 96k -ar 44100 -ac 1 out.mp3
* ffmpeg-normalize ffmpeg-normalize in.wav -o out.mp3 -c:a libmp3lame -b:a 96k -ar 44100 -t -16 -tp -1 -f
* podcast build    podcast -C show build   (Python start-up, hashing and tagging included)

Wall and CPU time (median of --repeat runs), peak memory of the whole process tree (PSS
sampled from /proc every 50 ms and summed over concurrent processes, so libraries the ffmpeg
processes share are counted once; read in one more run per row, because the sampler's own
CPU would slow the timed runs), and the landed loudness and
true peak of each output as ffmpeg's ebur128=peak=true reads the MP3. Then an accuracy
table over the test corpus (tests/corpus.py): how often each tool lands within ±0.5 LU
with the true peak at or below the ceiling.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402

from podcast.audio.filters import RenderSettings  # noqa: E402
from podcast.audio.render import render_episode_audio  # noqa: E402
from podcast.audio.runner import ffmpeg_exe  # noqa: E402

TARGET, CEILING = -16.0, -1.0
ENCODE = ["-c:a", "libmp3lame", "-b:a", "96k", "-ar", "44100"]
BIN = Path(sys.executable).parent


# --- measuring a command ------------------------------------------------------------------------


def _pss_kb(pid: int) -> int:
    """Proportional set size: resident memory with shared pages (ffmpeg's libraries) split between users."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kb(root: int) -> int:
    """Memory of ``root`` and all its descendants, summed (kB of PSS, so shared libraries count once)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields.get("PPid", "0").strip())
    tree, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(_pss_kb(pid) for pid in tree)


def run_measured(argv: list[str], *, memory: bool = False) -> tuple[float, int, float]:
    """Run ``argv``; return (wall seconds, peak summed PSS of its process tree in MB, CPU seconds of the tree).

    With ``memory`` the process tree's memory is sampled every 50 ms. The sampler walks /proc
    and reads smaps_rollup, which costs CPU on the same two cores (it slowed a `podcast build`,
    whose processes use both, by about 15%), so timed runs are made without it and memory is
    read in a run of its own, whose times are not used.
    """
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while memory and not stop.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... failed:\n{stderr.decode(errors='replace')[-2000:]}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return wall, peak // 1024, cpu


def landed(path: Path) -> tuple[float, float]:
    stderr = corpus.ffmpeg("-i", str(path), "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-")
    summary = stderr[stderr.rfind("Summary:") :]
    lufs = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return lufs, peak


# --- inputs ---------------------------------------------------------------------------------------


def make_speech(path: Path, minutes: float, *, seed: int = 7) -> Path:
    """``minutes`` of two voices taking turns (the second 6 dB quieter), pauses between turns."""
    rng = random.Random(seed)
    work = path.parent / f".{path.stem}-parts"
    work.mkdir(parents=True, exist_ok=True)
    pause = work / "pause.wav"
    corpus.ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "0.7", "-c:a", "pcm_s16le", str(pause))
    listing, total, turn = [], 0.0, 0
    unique: list[tuple[Path, float]] = []
    # ~15 minutes of distinct turns, then the running order is shuffled to fill the length.
    while total < min(minutes, 15) * 60:
        who = turn % 2
        text = " ".join(corpus.sentence(rng) for _ in range(rng.randint(1, 4)))
        piece = work / f"turn{turn:04d}.wav"
        corpus.speak(piece, text, voice=corpus.VOICES[who], wpm=rng.randint(145, 175))
        if who == 1:
            quiet = piece.with_suffix(".q.wav")
            corpus.ffmpeg("-i", str(piece), "-af", "volume=-6dB", "-c:a", "pcm_s16le", str(quiet))
            piece = quiet
        seconds = (piece.stat().st_size - 44) / (22050 * 2)
        unique.append((piece, seconds))
        total += seconds + 0.7
        turn += 1
    total = 0.0
    while total < minutes * 60:
        for piece, seconds in unique if total == 0 else rng.sample(unique, len(unique)):
            listing += [f"file '{piece}'", f"file '{pause}'"]
            total += seconds + 0.7
            if total >= minutes * 60:
                break
    (work / "list.txt").write_text("\n".join(listing) + "\n")
    corpus.ffmpeg(
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(work / "list.txt"),
        "-t",
        f"{minutes * 60}",
        "-ar",
        "44100",
        "-c:a",
        "pcm_s16le",
        str(path),
    )
    shutil.rmtree(work)
    return path


def make_show(folder: Path, audio: Path) -> Path:
    """A minimal show folder (the repository's podcast.toml and artwork) with one episode of ``audio``."""
    if folder.exists():
        shutil.rmtree(folder)
    episode = folder / "episodes" / "bench"
    episode.mkdir(parents=True)
    shutil.copy2(REPO / "podcast.toml", folder / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", folder / "artwork.jpg")
    os.link(audio, episode / audio.name) if audio.stat().st_dev == episode.stat().st_dev else shutil.copy2(
        audio, episode
    )
    (episode / "episode.toml").write_text(
        'title = "Benchmark"\nnumber = 1\npublished = 2026-01-01T09:00:00Z\n'
        f'audio = "{audio.name}"\ndescription = "Synthetic speech for the loudness benchmark."\n'
        'guid = "5e0c2a4b-1f3d-4c5e-9a7b-8c9d0e1f2a3b"\n'
    )
    return folder


# --- the rows -------------------------------------------------------------------------------------


def bench_file(source: Path, work: Path, repeat: int) -> list[dict[str, object]]:
    ffmpeg = ffmpeg_exe()
    rows = []
    commands = {
        "floor (ffmpeg decode+encode)": lambda out: [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            *ENCODE,
            "-ac",
            "1",
            str(out),
        ],
        "ffmpeg-normalize": lambda out: [
            str(BIN / "ffmpeg-normalize"),
            str(source),
            "-o",
            str(out),
            *ENCODE,
            "-t",
            str(TARGET),
            "-tp",
            str(CEILING),
            "-f",
            "-q",
        ],
        "podcast build": None,
    }
    for name, command in commands.items():
        walls, cpus, peak = [], [], 0
        for run in range(repeat + 1):  # the last run only samples memory
            if command is None:
                show = make_show(work / "show", source)
                out = show / "build" / "bench" / "bench.mp3"
                argv = [str(BIN / "podcast"), "-q", "-C", str(show), "build"]
            else:
                out = work / f"{name.split()[0]}.mp3"
                argv = command(out)
            wall, peak, cpu = run_measured(argv, memory=run == repeat)
            if run < repeat:
                walls.append(wall)
                cpus.append(cpu)
        lufs, tp = landed(out)
        rows.append(
            {
                "tool": name,
                "wall": statistics.median(walls),
                "walls": walls,
                "peak_mb": peak,
                "cpu": statistics.median(cpus),
                "lufs": lufs,
                "tp": tp,
            }
        )
    return rows


def accuracy(work: Path, seconds: float) -> list[tuple[str, float, float, float, float]]:
    clips = corpus.make_corpus(work / "corpus", seconds=seconds)
    settings = RenderSettings(TARGET, CEILING, 1, 96, 44100)
    table = []
    for name, clip in clips.items():
        ours = work / f"{name}.ours.mp3"
        render_episode_audio([clip.path], ours, settings)
        theirs = work / f"{name}.fn.mp3"
        subprocess.run(
            [
                str(BIN / "ffmpeg-normalize"),
                str(clip.path),
                "-o",
                str(theirs),
                *ENCODE,
                "-t",
                str(TARGET),
                "-tp",
                str(CEILING),
                "-f",
                "-q",
                "-e",
                "-ac 1",
            ],
            check=True,
            capture_output=True,
        )
        table.append((name, *landed(ours), *landed(theirs)))
    return table


def ok(lufs: float, tp: float) -> bool:
    return abs(lufs - TARGET) <= 0.5 and tp <= CEILING


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the speech file (default 60)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the median is reported")
    parser.add_argument("--clip-seconds", type=float, default=20.0, help="length of each accuracy-corpus clip")
    parser.add_argument("--hours3", action="store_true", help="also build a 3-hour input and report its peak memory")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="keep inputs here (default: a temp folder)")
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="loudness-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"ffmpeg: {ffmpeg_exe()}  ({subprocess.run([ffmpeg_exe(), '-version'], capture_output=True, text=True).stdout.split()[2]})"
    )
    print(f"cpus: {os.cpu_count()}  load average at start: {os.getloadavg()[0]:.1f}")
    source = work / f"speech-{args.minutes:g}min.wav"
    if not source.exists():
        print(f"making {args.minutes:g} minutes of two-voice speech ...", flush=True)
        make_speech(source, args.minutes)

    rows = bench_file(source, work, args.repeat)
    floor, normalize, ours = rows[0]["wall"], rows[1]["wall"], rows[2]["wall"]
    print(
        f"\n{args.minutes:g}-minute speech, 44.1 kHz 16-bit mono WAV -> CBR 96 kb/s MP3, target {TARGET} LUFS / {CEILING} dBTP"
    )
    floor_cpu = rows[0]["cpu"]
    print(
        f"{'tool':<30} {'wall s':>8} {'x floor':>8} {'cpu s':>8} {'x floor':>8} {'peak MB':>8} {'landed LUFS':>12} {'true peak':>10}"
    )
    for row in rows:
        print(
            f"{row['tool']:<30} {row['wall']:8.1f} {row['wall'] / floor:8.2f} {row['cpu']:8.1f} "  # type: ignore[operator]
            f"{row['cpu'] / floor_cpu:8.2f} {row['peak_mb']:8d} {row['lufs']:12.1f} {row['tp']:10.1f}"
        )  # type: ignore[operator]
    print(
        f"wall: podcast build / floor = {ours / floor:.2f}   podcast build / ffmpeg-normalize = {ours / normalize:.2f}"
    )  # type: ignore[operator]
    print(
        f"cpu:  podcast build / floor = {rows[2]['cpu'] / floor_cpu:.2f}   "  # type: ignore[operator]
        f"podcast build / ffmpeg-normalize = {rows[2]['cpu'] / rows[1]['cpu']:.2f}   load average now: {os.getloadavg()[0]:.1f}"
    )  # type: ignore[operator]
    if args.repeat > 1:
        for row in rows:
            print(f"  {row['tool']}: runs {', '.join(f'{w:.1f}' for w in row['walls'])}")  # type: ignore[union-attr]

    if args.hours3:
        long = work / "speech-180min.wav"
        if not long.exists():
            (work / "three.txt").write_text(f"file '{source}'\n" * max(1, round(180 / args.minutes)))
            corpus.ffmpeg("-f", "concat", "-safe", "0", "-i", str(work / "three.txt"), "-c", "copy", str(long))
        show = make_show(work / "show3h", long)
        wall, peak, cpu = run_measured([str(BIN / "podcast"), "-q", "-C", str(show), "build"], memory=True)
        lufs, tp = landed(show / "build" / "bench" / "bench.mp3")
        print(
            f"\n3-hour input: podcast build {wall:.1f} s ({cpu:.1f} s CPU), peak memory {peak} MB (process tree PSS), "
            f"landed {lufs:.1f} LUFS / {tp:.1f} dBTP"
        )

    if not args.skip_accuracy:
        table = accuracy(work, args.clip_seconds)
        print(f"\naccuracy over the corpus ({args.clip_seconds:g} s clips), landed LUFS / true peak dBTP of the MP3:")
        print(f"{'clip':<24} {'podcast build':>16} {'ffmpeg-normalize':>18}")
        for name, a, b, c, d in table:
            print(
                f"{name:<24} {a:7.1f} / {b:5.1f}{'' if ok(a, b) else ' ✗':2} {c:9.1f} / {d:5.1f}{'' if ok(c, d) else ' ✗':2}"
            )
        ours_ok = sum(ok(a, b) for _, a, b, _, _ in table)
        theirs_ok = sum(ok(c, d) for _, _, _, c, d in table)
        print(
            f"within ±0.5 LU and <= {CEILING} dBTP: podcast build {ours_ok}/{len(table)}, "
            f"ffmpeg-normalize {theirs_ok}/{len(table)}"
        )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
