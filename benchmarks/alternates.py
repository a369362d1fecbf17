"""What `[audio] alternates` (Opus 24 kb/s + AAC 64 kb/s) add to a build's wall time (issue 17: at most 40%).

    PYTHONPATH=. .venv/bin/python benchmarks/alternates.py                 # 10 minutes of speech, 3 pairs
    PYTHONPATH=. .venv/bin/python benchmarks/alternates.py --minutes 30 --pairs 5
    PYTHONPATH=. .venv/bin/python benchmarks/alternates.py --formats opus   # what Opus alone adds
    PYTHONPATH=. .venv/bin/python benchmarks/alternates.py --before ../main   # also another checkout, same rounds
    PYTHONPATH=. .venv/bin/python benchmarks/alternates.py --redactions      # a show with a redaction list

Input: the demo trailer's master (espeak-ng speech, 17 s) looped to ``--minutes``, as FLAC. Two show
folders identical but for ``[audio] alternates``: the reference builds the MP3 only, the other also
the two alternates. Each run is a fresh `podcast build` (build/ removed first) in a subprocess:
Python start-up, the loudness render, tagging and the alternates, all of it. The two are run in turn
(A B A B ..., after one warm-up pair) so both see the same machine load; the table gives the wall and
CPU time (user + system of the process tree) of each run, their medians, and the ratio pair by pair.

Without ``--redactions`` the builds do the audio alone: the cheapest build there is, so the worst case
for this ratio. With it, both shows have a redaction list (two neutral names the speech never says), as
every show `podcast init` scaffolds must (``require_redactions = true``): each build then also runs the
safeguarding pass (two Whisper listenings and the keyword spotter), which is what a build of this show
costs.
"""

from __future__ import annotations

import argparse
import json
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
FORMATS = {"opus": '{ codec = "opus", bitrate_kbps = 24 }', "aac": '{ codec = "aac", bitrate_kbps = 64 }'}


REDACTIONS = "Marigold Featherstone => Jess\nPeregrine Ashdown => Sam\n"  # neutral, never spoken in the input


def make_show(
    root: Path,
    master: Path,
    alternates: bool,
    formats: tuple[str, ...] = ("opus", "aac"),
    redactions: Path | None = None,
) -> None:
    root.mkdir(parents=True)
    text = (REPO / "podcast.toml").read_text()
    if redactions is not None:
        text += f'\n[safeguarding]\nrequire_redactions = true\nredactions = "{redactions}"\n'
    if alternates:
        table = f"alternates = [{', '.join(FORMATS[name] for name in formats)}]\n"
        text = text.replace("sample_rate_hz = 44100\n", "sample_rate_hz = 44100\n" + table)
    (root / "podcast.toml").write_text(text)
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    episode = root / "episodes" / "long"
    episode.mkdir(parents=True)
    manifest = (REPO / "episodes" / "trailer" / "episode.toml").read_text()
    (episode / "episode.toml").write_text(manifest.replace('audio = "master.flac"', 'audio = "long.flac"'))
    os.link(master, episode / "long.flac") if master.stat().st_dev == episode.stat().st_dev else shutil.copy2(
        master, episode / "long.flac"
    )


def timed_build(show: Path, checkout: Path = REPO) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh `podcast build` with the code in ``checkout``."""
    shutil.rmtree(show / "build", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "typer_app", "-C", str(show), "-q", "build"],
        check=True,
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout)},
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--before", type=Path, default=None, help="another checkout, measured the same way in the same rounds"
    )
    parser.add_argument(
        "--formats", default="opus,aac", help="the alternates to add, comma-separated (default: opus,aac)"
    )
    parser.add_argument(
        "--redactions", action="store_true", help="both shows have a redaction list: builds run the safeguarding pass"
    )
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    sys.path.insert(0, str(REPO))
    from podcast.audio.runner import ffmpeg_exe

    with tempfile.TemporaryDirectory(prefix="alternates-bench-") as tmp:
        work = Path(tmp)
        master = work / "long.flac"
        loops = max(0, round(args.minutes * 60 / 17.1) - 1)
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-stream_loop", str(loops), "-i",
             str(REPO / "episodes" / "trailer" / "master.flac"), "-c:a", "flac", str(master)],
            check=True,
        )  # fmt: skip
        plain, with_alternates = work / "plain", work / "alternates"
        listed = None
        if args.redactions:
            listed = work / "redactions.txt"
            listed.write_text(REDACTIONS)
        make_show(plain, master, alternates=False, redactions=listed)
        make_show(with_alternates, master, alternates=True, formats=formats, redactions=listed)
        shape = "with a redaction list (safeguarding pass)" if listed else "audio only"
        print(f"input: {args.minutes:g} min of speech, {shape}; load average {os.getloadavg()[0]:.1f} at the start")
        checkouts = {"this checkout": REPO, **({"before": args.before.resolve()} if args.before else {})}
        for checkout in checkouts.values():
            timed_build(plain, checkout), timed_build(with_alternates, checkout)  # warm-up pair: caches, page cache
        table: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in checkouts}
        for _ in range(args.pairs):
            for name, checkout in checkouts.items():
                a_wall, a_cpu = timed_build(plain, checkout)
                b_wall, b_cpu = timed_build(with_alternates, checkout)
                table[name].append((a_wall, a_cpu, b_wall, b_cpu))
                print(f"  {name}: MP3 only {a_wall:6.2f} s wall {a_cpu:6.2f} s CPU | + alternates {b_wall:6.2f} s "
                      f"wall {b_cpu:6.2f} s CPU | ratio {b_wall / a_wall:.3f}")  # fmt: skip
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        for name, rows in table.items():
            med = [statistics.median(column) for column in zip(*rows)]
            wall_ratio = statistics.median(b / a for a, _, b, _ in rows)
            cpu_ratio = statistics.median(b / a for _, a, _, b in rows)
            print(f"\n{name}:")
            print("| | wall (median) | CPU (median) |")
            print("|---|---|---|")
            print(f"| MP3 only | {med[0]:.2f} s | {med[1]:.2f} s |")
            added = " + ".join({"opus": "Opus 24k", "aac": "AAC 64k"}[name] for name in formats)
            print(f"| MP3 + {added} | {med[2]:.2f} s | {med[3]:.2f} s |")
            print(f"| ratio (pair by pair, median) | {wall_ratio:.3f} | {cpu_ratio:.3f} |")
            print(f"added wall time: {100 * (wall_ratio - 1):.0f}% (target: at most 40%)")
        record = json.loads((with_alternates / "build" / "long" / "alternates.json").read_text())
        for alternate in record.values():
            loud = alternate["loudness"]
            print(f"{alternate['name']}: {loud['integrated_lufs']} LUFS, {loud['true_peak_dbtp']} dBTP, "
                  f"{alternate['size_bytes']:,} bytes, {alternate.get('encodes', 1)} encode(s)")  # fmt: skip


if __name__ == "__main__":
    main()
