"""`podcast validate` on a show: its artwork, the feed it would publish, and GUID history.

The one part of validation that reads the show folder and the publishing target (for the
last published feed.xml); with ``online`` it also fetches what listeners' apps would fetch.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from podcast.errors import PodcastError, TranscriptInvalid
from podcast.publishing.connect import open_target
from podcast.publishing.publish import write_feed_for
from podcast.publishing.target import FEED_KEY
from podcast.show.model import load_show, utc_now
from podcast.show.settings import resolve_settings
from podcast.validate.captions import check_transcripts
from podcast.validate.elements import text_of
from podcast.validate.findings import Finding
from podcast.validate.leftovers import scaffold_leftovers
from podcast.validate.probes import check_online, fetch_feed
from podcast.validate.rules import rule
from podcast.validate.runner import check_artwork, parse_feed, validate_feed_bytes


def validate_show(
    show_dir: Path,
    *,
    online: bool = False,
    base_url: str | None = None,
    target: str | None = None,
    now: datetime | None = None,
    previous_feed: tuple[bytes, str] | None = None,
) -> list[Finding]:
    """Load the show (raising on bad manifests), check artwork, the feed it would publish and,
    against the target's current feed.xml, GUID stability. With ``online``, also fetch the
    published feed from ``<base_url>/feed.xml`` and every URL it names.

    ``previous_feed`` (its bytes and where they came from) replaces the target's feed.xml as
    the history: after `podcast import`, the old host's feed, so every GUID it listed is
    checked to be in the feed this show would publish (`podcast validate --previous OLD.xml`)."""
    show = load_show(show_dir)
    now = now or utc_now()
    settings = resolve_settings(show, target=target, base_url=base_url)
    findings = scaffold_leftovers(show, settings)
    findings += check_artwork(show.artwork_path, str(show.artwork_path.relative_to(show.root)))
    for episode in show.episodes:
        if episode.artwork_path:
            findings += check_artwork(episode.artwork_path, str(episode.artwork_path.relative_to(show.root)))
    findings += check_transcripts(show)
    try:
        feed = write_feed_for(show, settings, now=now)
    except TranscriptInvalid:
        if any(finding.rule == "transcript-cues" for finding in findings):
            return findings  # no feed can be built until the captions are fixed; the finding says how
        raise
    previous_source = f"{settings.target}/{FEED_KEY}"
    previous: bytes | None
    if previous_feed is not None:
        previous, previous_source = previous_feed
    else:
        try:
            # The show's settings carry [publish] endpoint_url and region (R2, MinIO): without them boto3 asks AWS.
            previous = open_target(settings.target, show.root, settings).get_bytes(FEED_KEY)
        except PodcastError as exc:
            previous = None
            findings.append(rule("history-unreadable").finding(settings.target, exc.problem))
    current_guids = {text_of(item, "guid") for item in parse_feed(feed).iter("item")}
    # Withdrawn episodes may leave the feed; so may old ones trimmed by [feed] max_items.
    retired = {e.guid for e in show.episodes if e.manifest.withdrawn}
    if show.manifest.feed.max_items is not None:
        retired |= {e.guid for e in show.episodes if e.guid not in current_guids}
    findings += validate_feed_bytes(
        feed,
        source="feed.xml",
        now=now,
        previous=previous,
        previous_source=previous_source,
        retired=retired,
    )
    if online:
        published, problem = fetch_feed(settings.feed_url)
        if problem is not None:
            findings.append(problem)
        elif published is not None:
            findings += validate_feed_bytes(published, source=settings.feed_url, now=now)
            findings += check_online(published, source=settings.feed_url)
    return findings
