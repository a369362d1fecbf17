"""Benchmark: import a 200-episode feed, killed half way and resumed; then a no-op re-sync (target: <= 2 s).

    .venv/bin/python benchmarks/import_resync.py                # 200 episodes, 5 re-sync runs
    .venv/bin/python benchmarks/import_resync.py --episodes 50 --runs 3

The feed and its small audio files (1 s MP3s made by ffmpeg) are served by the test suite's old
host on 127.0.0.1 (tests/old_host.py). Steps, each the real `podcast import` command in a fresh
process (as a producer runs it):

1. start the import and SIGKILL it once about half the episodes are in place;
2. run it again: it must finish with every GUID exactly once and nothing hidden left over;
3. re-sync with nothing new, ``--runs`` times: the median wall time is the figure (target 2 s).

Reference, measured in the same run: the floor any re-sync pays, the same command in a fresh
process (CLI start-up, Typer's argument parsing) with ``import_feed`` replaced by fetching and
parsing the feed only. The ratio says how much the re-sync adds to that floor (its own modules,
reading 200 episode.toml files, planning).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from old_host import many_episodes_feed, old_host  # noqa: E402

from podcast.audio.runner import ffmpeg_exe  # noqa: E402

FLOOR = """
import sys
import urllib3

import podcast.importing.run as run
from podcast.importing.source import parse_feed


def fetch_and_parse_only(feed, root, names, options, **kwargs):
    source = parse_feed(urllib3.PoolManager().request("GET", feed).data, source=feed)
    return run.ImportReport(folder=str(root), feed_url=feed, podcast_guid="", podcast_guid_from="feed", present=len(source.items))


run.import_feed = fetch_and_parse_only
from typer_app import app

app(["-q", "import", *sys.argv[1:]])
"""


def tiny_mp3(path: Path) -> bytes:
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
    subprocess.run([*argv, "-af", "volume=-25dB", "-ac", "1", "-b:a", "64k", str(path)], check=True)
    return path.read_bytes()


def run(argv: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one fresh process; its CPU seconds (user + system) go to ``cpu``.

    On a shared machine the wall time carries other people's load; CPU time does not.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(argv)}\n{result.stderr}")
    return elapsed


def guids(show: Path) -> list[str]:
    found = []
    for path in (show / "episodes").glob("*/episode.toml"):
        if not path.parent.name.startswith("."):
            found.append(tomllib.loads(path.read_text(encoding="utf-8"))["guid"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if k != "PODCAST_REDACTIONS"}
    audio = {"quiet": tiny_mp3(work / "tone.mp3")}
    with old_host(audio, {"bench": many_episodes_feed(args.episodes)}) as host:
        url = host.feed_url("bench")
        show = work / "show"
        command = [sys.executable, str(ROOT / "typer_app.py"), "-q", "import", url, str(show), "--jobs", str(args.jobs)]

        # 1. Start, and kill it half way.
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and len(guids(show) if (show / "episodes").is_dir() else []) < args.episodes // 2:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_after = time.perf_counter() - start
        before = len(guids(show))

        # 2. Run again: it finishes the job.
        resumed = run(command, env)
        after = guids(show)
        hidden = [p.name for p in (show / "episodes").iterdir() if p.name.startswith(".")]
        complete = sorted(after) == sorted(f"long-show-episode-{n:04d}" for n in range(1, args.episodes + 1))
        requests_before = len(host.audio_requests())

        # 3. No-op re-syncs, and the floor.
        resync_cpu: list[float] = []
        floor_cpu: list[float] = []
        resyncs, floors = [], []
        for _ in range(args.runs):  # alternated, so both see the same background load
            resyncs.append(run(command, env, resync_cpu))
            floors.append(run([sys.executable, "-c", FLOOR, url, str(show)], env, floor_cpu))
        downloads_in_resync = len(host.audio_requests()) - requests_before

    print(
        f"feed: {args.episodes} episodes of {len(audio['quiet']):,} bytes each, --jobs {args.jobs}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"1. killed (SIGKILL) after {killed_after:.1f} s with {before} episode(s) in place")
    print(
        f"2. re-run finished in {resumed:.1f} s: {len(after)} episodes, every GUID once: {complete}, hidden left: {len(hidden)}"
    )
    print(
        f"3. no-op re-sync: median {statistics.median(resyncs):.2f} s (runs: {', '.join(f'{t:.2f}' for t in resyncs)}),"
        f" {downloads_in_resync} download(s)"
    )
    print(f"   floor (same command, only fetching and parsing the feed): median {statistics.median(floors):.2f} s")
    print(f"   ratio re-sync / floor: {statistics.median(resyncs) / statistics.median(floors):.2f}")
    print(
        f"   CPU time (user + system): re-sync median {statistics.median(resync_cpu):.2f} s, "
        f"floor {statistics.median(floor_cpu):.2f} s, ratio {statistics.median(resync_cpu) / statistics.median(floor_cpu):.2f}"
    )
    wall_ok, cpu_ok = statistics.median(resyncs) <= 2.0, statistics.median(resync_cpu) <= 2.0
    print(
        f"   target <= 2 s: wall {'met' if wall_ok else 'missed'}, CPU {'met' if cpu_ok else 'missed'}"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    if not complete or hidden or downloads_in_resync:
        sys.exit("the resumed import is not complete and clean")


if __name__ == "__main__":
    main()
