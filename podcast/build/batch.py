"""Building several episodes at once, so a multi-episode build keeps both cores busy.

Each episode's render is already two ffmpeg processes most of the time (the encoder
and the meter reading its output), but analysis and calibration have quieter moments;
running ``workers`` episodes side by side fills them. Work happens in ffmpeg
subprocesses, so threads are enough: Python only waits on pipes.

Failures are collected per episode (like ffmpeg-normalize's ``failed_files``) instead
of stopping the batch, and results come back in the order the episodes were given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from podcast.build.stages import BuiltEpisode, build_episode
from podcast.errors import PodcastError
from podcast.show.model import Episode, Show
from podcast.show.settings import PublishSettings

Progress = Callable[[str, str, float], None]  # (slug, step, fraction)


@dataclass(frozen=True)
class EpisodeOutcome:
    """One episode of a batch: its build, or the error that stopped it."""

    slug: str
    built: BuiltEpisode | None = None
    error: PodcastError | None = None


def default_workers() -> int:
    """How many episodes to build at once: $PODCAST_JOBS, else two (or one on a one-CPU machine)."""
    wanted = os.environ.get("PODCAST_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(2, os.cpu_count() or 1))


def build_episodes(
    show: Show,
    episodes: Sequence[Episode],
    settings: PublishSettings,
    *,
    workers: int | None = None,
    on_progress: Progress | None = None,
) -> list[EpisodeOutcome]:
    """Build ``episodes`` with up to ``workers`` at a time; one outcome per episode, in order."""

    def one(episode: Episode) -> EpisodeOutcome:
        progress = (lambda step, fraction: on_progress(episode.slug, step, fraction)) if on_progress else None
        try:
            return EpisodeOutcome(episode.slug, built=build_episode(show, episode, settings, on_progress=progress))
        except PodcastError as exc:
            return EpisodeOutcome(episode.slug, error=exc)

    count = max(1, min(workers or default_workers(), len(episodes) or 1))
    if count == 1:
        return [one(episode) for episode in episodes]
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="build") as pool:
        return list(pool.map(one, episodes))
