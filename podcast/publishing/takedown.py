"""`podcast takedown SLUG --reason TEXT`: withdraw an episode everywhere, at once, for good.

The order is the safety property, each step safe to repeat if a later one fails:

1. ``withdrawn = true`` is written into the episode's ``episode.toml`` first (with tomlkit,
   so comments and layout survive), so no later publish, cron job or colleague can bring
   it back even if the steps below are interrupted;
2. a feed without the episode is published at once, from the target's state record (no
   build, no waiting for other episodes), so apps stop offering it on their next refresh;
   in the same run the website's show page (and every page that linked the episode) is
   published without it (:func:`podcast.publishing.pages.withdraw_from_site`);
3. every object of the episode is deleted: its web page, the media, artwork and transcripts its state
   record names, anything else under its name (``<folder>/<slug>-<hash>.<ext>``, review
   copies under ``review/<slug>-...``), and on a versioned bucket every old version too;
4. the state record forgets it, the CDN is told to drop its copies (when
   ``cloudfront_distribution_id`` is configured), and the audit log gets one line: when,
   slug, reason (names on the redaction list redacted) and the objects removed.

An episode whose folder was already deleted can still be taken down: its objects are
found from the state record and their names, and the log records its GUID.

The publish gate does not run here: a takedown only removes things, and blocking it
because the old feed held a name would keep that name online.

Nor does it wait for the redaction list. When the list cannot be read (the USB stick is
not plugged in) or none is configured while the target was published with one, the show's
text cannot be redacted, so nothing is built from it: the live feed is republished with
the episode's ``<item>`` cut out (everything else in it went out redacted before), and
the reason, which could hold a name, is withheld from the audit log, which says why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from podcast.errors import EpisodeNotFound, PodcastError
from podcast.publishing.feed import build_feed
from podcast.publishing.lock import publish_lock
from podcast.publishing.notify import notify_feed_changed
from podcast.publishing.pages import withdraw_from_site
from podcast.publishing.plan import live_episodes, plan_release
from podcast.publishing.state import encode_state, read_state_versioned
from podcast.publishing.target import FEED_CACHE, FEED_KEY, STATE_KEY, Target, content_type_for
from podcast.safeguarding.audit import append_audit, audit_log_path
from podcast.show.edits import set_episode_field, with_show_guid
from podcast.show.model import Episode, Show
from podcast.show.settings import PublishSettings
from podcast.site.render import page_key

log = logging.getLogger(__name__)

REVIEW_FOLDER = "review"
REASON_WITHHELD = "[reason withheld: the redaction list could not be read]"


@dataclass
class TakedownReport:
    """What a takedown did; rendered as text or JSON by the CLI."""

    slug: str
    when: str
    reason: str  # as written to the audit log: listed names redacted
    feed_url: str
    withdrawn_marked: bool
    feed_updated: bool
    removed: list[str] = field(default_factory=list)
    versions_removed: int = 0
    cdn_invalidation: str | None = None
    audit_log: str = ""
    reason_withheld_because: str | None = None  # the list could not be used, so the reason was not logged
    notifications: list[dict[str, Any]] = field(default_factory=list)  # WebSub hubs / pubnotify told (notify.py)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mark_withdrawn(manifest_path: Path) -> bool:
    """Set ``withdrawn = true`` in episode.toml, keeping every comment and the layout; True if it changed."""
    return set_episode_field(
        manifest_path, "withdrawn", True, doing="mark the episode withdrawn", then="run the takedown again"
    )


def episode_key_pattern(slug: str) -> re.Pattern[str]:
    """Object names that belong to ``slug``: ``<folder>/<slug>-<12 hex>.<ext>`` and review copies.

    >>> pattern = episode_key_pattern("ep")
    >>> [bool(pattern.match(k)) for k in ("media/ep-0123456789ab.mp3", "media/ep-2-0123456789ab.mp3", "review/ep-x1y2/ep.mp3")]
    [True, False, True]
    """
    name = re.escape(slug)
    return re.compile(rf"^(?:[^/]+/{name}-[0-9a-f]{{12}}\.[a-z0-9]+|{REVIEW_FOLDER}/{name}-[A-Za-z0-9_]+/.+)$")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def feed_without_episode(feed: bytes, guid: str, pattern: re.Pattern[str]) -> bytes:
    """The live feed with the episode's ``<item>`` removed (by GUID, or by an enclosure naming its objects).

    Used when the show's text cannot be redacted: every other byte of the feed was published,
    redacted, before, so it is safe to publish again as it is.

    >>> feed = b'<rss><channel><item><guid>g1</guid></item><item><guid>g2</guid></item></channel></rss>'
    >>> feed_without_episode(feed, "g1", episode_key_pattern("ep")).split(b"?>")[1].strip()
    b'<rss><channel><item><guid>g2</guid></item></channel></rss>'
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=False)
    root = etree.fromstring(feed, parser)
    for item in list(root.iter("item")):
        ids = {(item.findtext("guid") or "").strip()}
        keys = ["/".join(urlsplit(e.get("url", "")).path.split("/")[-2:]) for e in item.iter("enclosure")]
        if (guid and guid in ids) or any(pattern.match(key) for key in keys):
            item.getparent().remove(item)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def invalidate_withdrawn_paths(settings: PublishSettings, keys: list[str]) -> str | None:
    """Ask the CDN to forget ``keys`` when a CloudFront distribution is configured; the id, or None."""
    distribution = getattr(settings, "cloudfront_distribution_id", None)
    if not distribution:
        return None
    from podcast.publishing.s3.cdn import invalidate_cdn

    paths = sorted({urlsplit(settings.url_for(key)).path or "/" for key in keys})
    return str(invalidate_cdn(distribution, paths))


def takedown(
    show: Show, settings: PublishSettings, target: Target, slug: str, *, reason: str, now: datetime
) -> TakedownReport:
    """Withdraw ``slug``: mark it, publish a feed without it, delete its objects, record it. See the module doc."""
    if not reason.strip():
        raise PodcastError("a takedown needs a reason", fix='say why, e.g. --reason "Contributor withdrew consent"')
    try:
        episode: Episode | None = show.episode(slug)
    except EpisodeNotFound:
        episode = None  # its folder was deleted, but it may still be online: take down what the target holds
    marked = mark_withdrawn(episode.manifest_path) if episode is not None else False
    show, _ = with_show_guid(show, settings.feed_url, write=False)  # a takedown never waits to write podcast.toml

    with publish_lock(target):  # never interleave with a colleague's publish of the same target
        state, _raw, version = read_state_versioned(target)
        unredacted = show.redactions_unavailable or (
            "no redaction list is configured here, and the target was published with one"
            if not show.redactions and state.redactions is not None
            else None
        )
        clean_reason = REASON_WITHHELD if unredacted else show.redactions.redact(" ".join(reason.split()))
        record = state.episodes.pop(slug, None) or {}
        listed = target.list_all_keys()
        pattern = episode_key_pattern(slug)
        if episode is None and not record and not any(pattern.match(key) for key in set(state.objects) | listed):
            show.episode(slug)  # raises EpisodeNotFound: nothing local and nothing online by that name
        guid = episode.guid if episode is not None else str(record.get("guid", ""))
        live, _embargoed, _withdrawn = live_episodes(show, now)
        live = [e for e in live if e.slug != slug]
        release = plan_release(show, settings, {}, state.episodes, live)
        live_feed = target.get_bytes(FEED_KEY)
        if unredacted:  # the show's text is not redacted: cut the item out of what is online instead
            feed = feed_without_episode(live_feed, guid, pattern) if live_feed is not None else None
        else:
            feed = build_feed(release.channel, release.items)
        feed_updated = feed is not None and live_feed != feed
        if feed is not None and feed_updated:
            target.put_bytes(FEED_KEY, feed, content_type=content_type_for(FEED_KEY), cache_control=FEED_CACHE)
        log.info("%s: feed published without the episode", slug)
        # The website in the same run: the show page (and the pages that linked it) without the episode.
        pages = withdraw_from_site(show, settings, target, release, state.objects, slug, redactable=not unredacted)

        known = set(state.objects)
        candidates = {value for value in _strings(record) if value in known or pattern.match(value)}
        candidates |= {key for key in known | listed if pattern.match(key)}
        candidates |= {page_key(slug)} & (known | listed)
        still_needed = {obj.key for obj in release.objects} | {
            v for other in state.episodes.values() for v in _strings(other)
        }
        removed = sorted(candidates - still_needed - {FEED_KEY, STATE_KEY})
        versions = 0
        for key in removed:
            versions += target.delete_all_versions(key)
            log.info("%s: deleted %s", slug, key)

        state.objects = {key: value for key, value in state.objects.items() if key not in removed}
        state.objects.update({key: value for key, value in pages.items() if key not in removed})
        encoded = encode_state(state)
        target.put_if(STATE_KEY, encoded, expected=version, content_type="application/json", cache_control="no-store")
        for key in (FEED_KEY, STATE_KEY):  # old versions of the feed and state record still name the episode
            needle = guid.encode() if key == FEED_KEY and guid else slug.encode()
            versions += target.purge_old_versions(key, containing=needle)
        link = f"{slug}.html".encode()  # old versions of the show page, the sitemap and its neighbours link it
        for key in sorted(k for k in state.objects if k.endswith((".html", "sitemap.xml"))):
            versions += target.purge_old_versions(key, containing=link)
    invalidation = invalidate_withdrawn_paths(settings, [FEED_KEY, *removed])
    # Apps drop the episode at once instead of at their next poll (hours, for a withdrawn testimony).
    sent = (
        notify_feed_changed(
            list(settings.notify), settings.feed_url, timeout_s=settings.notify_timeout_s, private=settings.private
        )
        if feed_updated
        else []
    )

    audit = audit_log_path(show)
    report = TakedownReport(
        slug=slug,
        when=now.isoformat(),
        reason=clean_reason,
        feed_url=settings.feed_url,
        withdrawn_marked=marked,
        feed_updated=feed_updated,
        removed=removed,
        versions_removed=versions,
        cdn_invalidation=invalidation,
        audit_log=str(audit),
        reason_withheld_because=unredacted,
        notifications=[notification.to_dict() for notification in sent],
    )
    append_audit(
        audit,
        {
            "action": "takedown",
            "when": report.when,
            "slug": slug,
            "guid": guid,
            "reason": clean_reason,
            **({"reason_withheld_because": unredacted} if unredacted else {}),
            "target": target.describe(),
            "objects_removed": removed,
            "versions_removed": versions,
            "cdn_invalidation": invalidation,
        },
    )
    return report
