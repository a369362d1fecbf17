"""Benchmark: build the feed of a show with 5,000 episodes (target: under 1.5 s).

    .venv/bin/python benchmarks/feed.py            # 5,000 episodes, 7 runs, prints the median
    .venv/bin/python benchmarks/feed.py --episodes 20000 --runs 3

Synthetic, in-memory data (no audio, no disk): what is measured is the feed's own work,
sorting, rendering descriptions and XML, i.e. ``build_feed`` on ready FeedItems, the
part that grows with the back catalogue. Notes are realistic: a content warning, three
paragraphs with a list and a link, and the support notice, as notes.py renders them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from podcast.notes import compose_markdown, markdown_to_html  # noqa: E402
from podcast.publishing.feed import FeedChannel, FeedItem, build_feed  # noqa: E402
from podcast.show.manifest import EpisodeManifest, ShowManifest  # noqa: E402
from podcast.show.model import Episode, Show  # noqa: E402
from podcast.validate.runner import validate_feed_bytes  # noqa: E402

SHOW = {
    "show": {
        "title": "Benchmark Show",
        "description": "A synthetic show for measuring feed generation.",
        "author": "Example Charity",
        "language": "en-GB",
        "link": "https://example.org/bench",
        "artwork": "artwork.jpg",
        "categories": ["Society & Culture/Documentary"],
        "owner": {"name": "Podcast team", "email": "podcast@example.org"},
        "copyright": "© 2026 Example Charity",
        "locked": True,
        "guid": "d0a278d3-5aea-54c2-818d-db9b9d81fa3e",
        "persons": [{"name": "Alex Example", "role": "host"}],
    },
    "publish": {"base_url": "https://media.example.org/bench"},
}

NOTES = """In this episode we talk about *recovery*, support and the work of the helpline team.

- What the helpline does
- How volunteers are trained
- Where to find [more information](https://example.org/more)

We also answer listener questions sent in over the past month, and look ahead to the next series."""


def synthetic_show(episodes: int) -> tuple[FeedChannel, list[FeedItem]]:
    """A show with ``episodes`` published episodes, weekly from 2000-01-03."""
    root = Path("/nonexistent/bench")
    show = Show(root=root, manifest=ShowManifest.model_validate(SHOW), artwork_path=root / "artwork.jpg")
    start = datetime(2000, 1, 3, 9, tzinfo=UTC)
    notes = markdown_to_html(
        compose_markdown(
            NOTES,
            content_warning="Discusses difficult experiences.",
            support_notice="Help is available at https://example.org/support.",
        )
    )
    items = []
    for number in range(1, episodes + 1):
        slug = f"episode-{number}"
        manifest = EpisodeManifest.model_validate(
            {
                "title": f"Episode {number}: a conversation about recovery",
                "number": number,
                "season": 1 + number // 100,
                "published": start + timedelta(days=7 * number),
                "audio": "master.wav",
                "description": NOTES,
                "guid": str(uuid.UUID(int=number)),
            }
        )
        episode = Episode(slug=slug, folder=root / "episodes" / slug, manifest=manifest, audio_paths=())
        items.append(
            FeedItem(
                episode=episode,
                notes_html=notes,
                media_url=f"https://media.example.org/bench/media/{slug}-0123456789ab.mp3",
                media_length=20_000_000 + number,
                media_type="audio/mpeg",
                duration_s=1800.0 + number,
            )
        )
    channel = FeedChannel(
        show=show,
        feed_url="https://media.example.org/bench/feed.xml",
        image_url="https://media.example.org/bench/artwork/show-0123456789ab.jpg",
    )
    return channel, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    channel, items = synthetic_show(args.episodes)
    items.reverse()  # oldest last in, so the sort has work to do
    times, cpu, size = [], [], 0
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        size = len(build_feed(channel, items))
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    # Wall time on a shared machine includes the neighbours; CPU time is this process's own work.
    print(
        f"build_feed, {args.episodes} episodes, {size:,} bytes, {args.runs} runs: "
        f"wall median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}); "
        f"CPU median {statistics.median(cpu):.3f} s"
    )
    data = build_feed(channel, items)
    checks = []
    for _ in range(3):
        started_cpu = time.process_time()
        findings = validate_feed_bytes(data, source="bench", previous=data)
        checks.append(time.process_time() - started_cpu)
    print(
        f"validate_feed_bytes (every rule, history against itself), {args.episodes} episodes: "
        f"CPU median {statistics.median(checks):.3f} s, {len(findings)} finding(s)"
    )


if __name__ == "__main__":
    main()
