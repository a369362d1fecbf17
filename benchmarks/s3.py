"""Benchmarks for publishing to S3, against a local moto S3 server on 127.0.0.1.

    .venv/bin/python benchmarks/s3.py [--episodes 200] [--size-mb 200] [--repeat 5]

1. **No-op republish** of a show with ``--episodes`` episodes (fake small MP3s; the
   build step is replaced by the cached results, so this times planning, the S3 round
   trips and the feed): median wall time over ``--repeat`` runs against the 2 s budget,
   the media bytes uploaded (must be 0) and the HTTP requests made.
2. **Upload throughput** of one ``--size-mb`` file: ``S3Target.put_file`` (our multipart
   settings, plus the HEAD integrity check) against boto3's ``upload_file`` with default
   settings, alternated in the same run; medians and the ratio.

The machine is shared and noisy: compare ratios, not absolute figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUDGET_S = 2.0


def make_show(root: Path, episodes: int) -> dict[str, object]:
    """A show folder with ``episodes`` episodes and fake built MP3s (a few KB each)."""
    from podcast.build.keys import sha256_file
    from podcast.build.stages import BuiltEpisode

    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    toml = (REPO / "podcast.toml").read_text()
    (root / "podcast.toml").write_text(
        toml[: toml.index("[publish]")] + '[publish]\nbase_url = "https://example.org"\n'
    )
    built: dict[str, object] = {}
    for number in range(1, episodes + 1):
        slug = f"episode-{number:03d}"
        folder = root / "episodes" / slug
        folder.mkdir(parents=True)
        (folder / "master.wav").write_bytes(b"RIFF fake source")
        (folder / "episode.toml").write_text(
            f'title = "Episode {number}"\nnumber = {number}\npublished = 2026-01-01T09:00:00Z\naudio = "master.wav"\n'
            f'description = "Notes for episode {number}."\nguid = "00000000-0000-4000-8000-{number:012d}"\n'
        )
        mp3 = root / "build" / slug / f"{slug}.mp3"
        mp3.parent.mkdir(parents=True)
        mp3.write_bytes(os.urandom(2048 + number))
        built[slug] = BuiltEpisode(
            slug=slug,
            mp3_path=mp3,
            size_bytes=mp3.stat().st_size,
            sha256=sha256_file(mp3),
            duration_s=60.0 + number,
            audio_key="",
            tags_key="",
            loudness={},
        )
    return built


def bench_noop_republish(endpoint: str, work: Path, episodes: int, repeat: int) -> None:
    import boto3

    from podcast.publishing import publish as pipeline
    from podcast.publishing.connect import open_target
    from podcast.show.model import load_show, utc_now
    from podcast.show.settings import PublishSettings

    show_root = work / "show"
    show_root.mkdir()
    built = make_show(show_root, episodes)
    pipeline.build_episode = lambda show, episode, settings, on_progress=None: built[episode.slug]  # type: ignore[assignment]
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench-noop")
    settings = PublishSettings(
        target="s3://bench-noop/show",
        base_url=f"{endpoint}/bench-noop/show",
        endpoint_url=endpoint,
        region="us-east-1",
        acl="public-read",
    )
    show = load_show(show_root)

    def run() -> tuple[float, int, int]:
        target = open_target(settings.target, show_root, settings)
        requests = [0]
        target.client.meta.events.register("before-send.s3.*", lambda **kw: requests.__setitem__(0, requests[0] + 1))
        start = time.perf_counter()
        report = pipeline.publish(show, settings, target, slugs=None, now=utc_now())
        return time.perf_counter() - start, report.uploaded_bytes, requests[0]

    first, first_bytes, first_requests = run()
    print(f"first publish of {episodes} episodes: {first:.2f} s, {first_bytes:,} bytes, {first_requests} requests")
    runs = [run() for _ in range(repeat)]
    median = statistics.median(t for t, _, _ in runs)
    uploaded = max(b for _, b, _ in runs)
    requests = max(r for _, _, r in runs)
    print(
        f"no-op republish of {episodes} episodes: median {median:.3f} s over {repeat} runs "
        f"(min {min(t for t, _, _ in runs):.3f}, max {max(t for t, _, _ in runs):.3f}); "
        f"{uploaded} media bytes uploaded; {requests} S3 requests"
    )
    print(
        f"  ratio to the {BUDGET_S:.0f} s budget: {median / BUDGET_S:.2f} ({'OK' if median <= BUDGET_S and uploaded == 0 else 'OVER'})"
    )


def bench_upload(endpoint: str, work: Path, size_mb: int, repeat: int) -> None:
    import boto3

    from podcast.publishing.s3.client import S3Location, make_client
    from podcast.publishing.s3.store import S3Target

    big = work / "big.mp3"
    with big.open("wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(1024 * 1024))
    reference = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")  # defaults, as a user would
    reference.create_bucket(Bucket="bench-upload")
    ours = S3Target(
        S3Location("bench-upload", "ours/"), make_client(endpoint_url=endpoint, region="us-east-1"), endpoint=endpoint
    )
    times: dict[str, list[float]] = {"ours": [], "boto3": []}
    for i in range(repeat):
        for name in ("ours", "boto3") if i % 2 == 0 else ("boto3", "ours"):
            start = time.perf_counter()
            if name == "ours":
                ours.put_file(
                    "media/big.mp3", big, content_type="audio/mpeg", cache_control="public, max-age=31536000, immutable"
                )
                key = "ours/media/big.mp3"
            else:
                reference.upload_file(str(big), "bench-upload", "ref/big.mp3")
                key = "ref/big.mp3"
            times[name].append(time.perf_counter() - start)
            reference.delete_object(Bucket="bench-upload", Key=key)
    ours_s, ref_s = statistics.median(times["ours"]), statistics.median(times["boto3"])
    print(
        f"upload {size_mb} MB: S3Target.put_file median {ours_s:.2f} s ({size_mb / ours_s:.1f} MB/s); "
        f"boto3 upload_file (defaults) median {ref_s:.2f} s ({size_mb / ref_s:.1f} MB/s); "
        f"throughput ratio ours/boto3 = {ref_s / ours_s:.2f} over {repeat} runs each"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-upload", action="store_true")
    args = parser.parse_args()

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        os.environ[name] = value
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench_noop_republish(endpoint, Path(tmp), args.episodes, args.repeat)
            if not args.skip_upload:
                bench_upload(endpoint, Path(tmp), args.size_mb, args.repeat)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
