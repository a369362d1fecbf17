"""Publishing: build what is stale, upload what changed, write the feed last.

The order is the safety property. Media and artwork go up first; the feed that names
them is written only when every object it names is complete; the state record goes
after the feed, and objects nothing references any more are deleted only after the new
feed is live. A publish that dies at any point leaves the previous feed naming
complete objects, and running it again finishes the job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from podcast.build.stages import BuiltEpisode, build_episode, read_build
from podcast.errors import EpisodeInvalid, LiveEpisodeKept, StateConflict
from podcast.publishing.feed import PODCAST_NS, build_feed
from podcast.publishing.listcheck import check_list, list_record
from podcast.publishing.lock import publish_lock
from podcast.publishing.notify import notify_feed_changed
from podcast.publishing.pages import plan_site, site_artefacts, site_records, upload_site
from podcast.publishing.plan import (
    PlannedObject,
    Release,
    carried_objects,
    live_episodes,
    plan_release,
    upload_rank,
)
from podcast.publishing.state import (
    EpisodeRecord,
    ObjectRecord,
    StateRecord,
    encode_episodes_for_scan,
    encode_state,
    read_state_versioned,
)
from podcast.publishing.target import (
    FEED_CACHE,
    FEED_KEY,
    LONG_CACHE,
    STATE_KEY,
    Target,
    content_type_for,
)
from podcast.safeguarding.gate import Artefact, refuse_if_hits, scan_artefacts
from podcast.safeguarding.listen_back import read_listen_back
from podcast.show.edits import with_show_guid
from podcast.show.model import Episode, Show
from podcast.show.redactions import RedactionList
from podcast.show.settings import PublishSettings

log = logging.getLogger(__name__)

Progress = Callable[[str, str, float], None]  # (slug or key, step, fraction)


@dataclass
class PublishReport:
    """What a publish did (or, with dry_run, would do). Rendered as text or JSON by the CLI."""

    target: str
    feed_url: str
    dry_run: bool
    built: list[dict[str, Any]] = field(default_factory=list)
    uploaded: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    feed_changed: bool = False
    episodes: list[str] = field(default_factory=list)
    embargoed: list[dict[str, str]] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    cdn_invalidation: str | None = None  # CloudFront invalidation id, when one was requested
    redactions: dict[str, Any] = field(default_factory=dict)  # the list used: path and count (ListUse)
    unchecked: list[str] = field(default_factory=list)  # live episodes whose online files this run cannot scan
    listen_back: list[dict[str, Any]] = field(default_factory=list)  # per episode: bleeps and near misses (counts)
    show_guid_written: str | None = None  # podcast:guid computed from the feed URL and written to podcast.toml
    notifications: list[dict[str, Any]] = field(default_factory=list)  # WebSub hubs / pubnotify told (notify.py)
    # Per episode, by title: {"slug", "number", "title", "change": added|changed|removed|unchanged, "what": [...]}
    summary: list[dict[str, Any]] = field(default_factory=list)
    pages_uploaded: list[str] = field(default_factory=list)  # website files sent (assets, pages), in upload order
    pages_unchanged: int = 0  # website files the target already held

    @property
    def uploaded_bytes(self) -> int:
        return sum(item["bytes"] for item in self.uploaded)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "uploaded_bytes": self.uploaded_bytes}


def live_show_guid(feed: bytes | None) -> str | None:
    """The podcast:guid of a published feed, or None (no feed, none in it, or not readable as XML).

    >>> live_show_guid(b'<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
    ...                b'<podcast:guid>d0a278d3-5aea-54c2-818d-db9b9d81fa3e</podcast:guid></channel></rss>')
    'd0a278d3-5aea-54c2-818d-db9b9d81fa3e'
    >>> live_show_guid(b"not xml") is None
    True
    """
    if not feed:
        return None
    from lxml import etree

    try:
        root = etree.fromstring(feed, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    value = (root.findtext(f"channel/{{{PODCAST_NS}}}guid") or "").strip()
    return value or None


def episode_labels(show: Show, release: Release, names: RedactionList) -> dict[str, str]:
    """Object key -> "episode 4 'Title' (slug)", for every object an episode's record names.

    The title is the redacted one; the slug is redacted too, since a folder name can hold a name.
    """
    by_slug = {episode.slug: episode for episode in show.episodes}
    labels: dict[str, str] = {}
    for slug, record in release.episodes.items():
        episode = by_slug.get(slug)
        if episode is None:
            continue
        label = f"episode {episode.manifest.number} '{episode.manifest.title}' ({names.redact(slug)})"
        for name, value in record.items():
            if name.endswith("_key") and isinstance(value, str):
                labels[value] = label
            elif name.endswith("_keys") and isinstance(value, list):
                labels.update({key: label for key in value if isinstance(key, str)})
    return labels


def release_artefacts(
    release: Release,
    feed: bytes,
    *,
    feed_key: str = "feed.xml",
    state: bytes | None = None,
    labels: dict[str, str] | None = None,
) -> list[Artefact]:
    """Everything a release plan publishes: its objects, the feed and the state record."""
    labels = labels or {}
    artefacts = [Artefact(obj.key, source=obj.source, episode=labels.get(obj.key)) for obj in release.objects]
    artefacts.append(Artefact(feed_key, data=feed))
    state_bytes = state if state is not None else encode_episodes_for_scan(release.episodes)
    artefacts.append(Artefact(STATE_KEY, data=state_bytes))
    return artefacts


def gate_release(
    show: Show,
    release: Release,
    feed: bytes,
    *,
    names: RedactionList | None = None,
    action: str = "publishing",
    extra: list[Artefact] | None = None,
) -> None:
    """The publish gate: call after planning, before the first upload. Raises SafeguardingRefusal.

    Other artefacts a branch adds to ``release.objects`` (transcripts, chapters JSON) are
    scanned automatically by their suffix; anything uploaded from memory must be passed
    through :func:`scan_artefacts` with ``Artefact(key, data=...)`` before it goes up.
    """
    names = show.redactions if names is None else names
    labels = episode_labels(show, release, names)
    artefacts = release_artefacts(release, feed, labels=labels) + list(extra or ())
    refuse_if_hits(scan_artefacts(artefacts, names), action=action)


def _check_no_episode_lost(state: StateRecord, first_seen: set[str], release: Release, target: Target) -> None:
    """Refuse to drop an episode another producer published while this publish ran.

    Its folder is not in this show folder, so this feed cannot list it; writing the feed
    anyway would silently unpublish it.
    """
    missing = sorted(set(state.episodes) - first_seen - set(release.episodes))
    if missing:
        raise StateConflict(
            f"someone else published {', '.join(missing)} while this publish ran, and this show folder does not have it",
            path=target.describe(),
            fix="update your show folder (e.g. git pull), then run `podcast publish` again",
        )


def _refuse_dropping_live(show: Show, state: StateRecord, live: list[Episode], embargoed: list[Episode]) -> None:
    """Refuse a publish whose feed would lose a live episode: removing one is `podcast takedown`'s job.

    Every episode in the state record is live. It may leave the feed only when its folder says
    ``withdrawn = true`` (takedown writes that first). A show folder that lacks it (a colleague
    published it; this copy was not updated) or that re-dates it into the future would otherwise
    publish a feed without it and delete its media, and ``validate`` calls exactly that an error
    (``guid-disappeared``). Runs before any build, so the refusal costs nothing.
    """
    kept = {episode.slug for episode in live} | {e.slug for e in show.episodes if e.manifest.withdrawn}
    held = {episode.slug: episode for episode in embargoed}
    by_guid = {episode.guid.lower(): episode for episode in show.episodes}
    for slug in sorted(set(state.episodes) - kept):
        remove = f"to remove a live episode, run `podcast takedown {slug} --reason ...`"
        if slug in held:
            episode = held[slug]
            raise LiveEpisodeKept(
                f"{episode.named} is live, but its 'published' time is now in the future "
                f"({episode.manifest.published.isoformat()}): publishing would take it out of the feed and delete "
                "its files, and an episode that is live stays live",
                path=episode.manifest_path,
                fix=f"put back the release time it was published with; {remove}",
            )
        renamed = by_guid.get(str(state.episodes[slug].get("guid", "")).lower())
        if renamed is not None:
            raise LiveEpisodeKept(
                f"episode {renamed.manifest.number} '{renamed.manifest.title}' is live as '{slug}', and its folder "
                f"was renamed to '{renamed.slug}' (same guid): publishing would take it out of the feed and delete "
                "its files",
                path=renamed.folder,
                fix=f"rename the folder back to episodes/{slug} (a published episode keeps its name); {remove}",
            )
        raise LiveEpisodeKept(
            f"episode '{slug}' is live in the feed, but this show folder has no episodes/{slug} (published from "
            "another copy of the show?): publishing would take it out of the feed and delete its files",
            path=show.root / "episodes" / slug,
            fix=f"update your show folder (e.g. git pull) and publish again; {remove}",
        )


def _same_record(a: object, b: object) -> bool:
    """Two episode records are the same once stored (JSON makes tuples lists)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _refuse_overwriting_edit(
    seen: dict[str, EpisodeRecord], fresh: StateRecord, release: Release, publishing: set[str], target: Target
) -> None:
    """Refuse to replace another producer's edit of an episode published while this publish ran.

    ``seen`` is the episode table this publish read before building; ``fresh`` is the one read
    under the lock. If an episode this publish is writing now has a record there that is
    neither what this producer saw nor what it is about to write, somebody else published
    their edit of it meanwhile, and writing ours would silently replace theirs.
    """
    for slug in sorted(publishing):
        theirs, mine = fresh.episodes.get(slug), release.episodes.get(slug)
        if theirs is None or mine is None or _same_record(theirs, seen.get(slug)) or _same_record(theirs, mine):
            continue
        raise StateConflict(
            f"someone else published a different edit of episode '{slug}' while this publish ran; "
            "the live feed keeps theirs",
            path=target.describe(),
            fix="agree which edit is right, update your show folder (e.g. git pull), then run `podcast publish` again",
        )


def _check_guids_kept(live: list[Episode], state: StateRecord) -> None:
    """Refuse to publish an episode under another GUID than the one it was published with.

    Apps know an episode by its GUID: a new one makes every app list the episode twice and
    download it again. (``podcast validate`` reports the same against the live feed.)
    """
    for episode in live:
        published = state.episodes.get(episode.slug, {}).get("guid")
        if published and published != episode.guid:
            raise EpisodeInvalid(
                f"the guid of {episode.named} changed since it was published (it was {published}): every podcast "
                "app would list "
                "the episode twice and download it again",
                path=episode.manifest_path,
                fix=f'put back guid = "{published}" (to replace an episode, withdraw it and publish a new one)',
            )


# Which parts of a published episode's record say what changed, in a producer's words.
_CHANGED_PARTS = (
    ("chapters", ("chapters", "chapters_key", "chapter_image_keys")),
    ("transcript", ("transcripts", "transcript_keys")),
    ("artwork", ("artwork_key",)),
)


def summarise(
    show: Show, before: dict[str, EpisodeRecord], after: dict[str, EpisodeRecord], built: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What a publish did to each episode, by title: added, changed (and what), removed, unchanged.

    ``built`` says whether an episode's audio was rendered again or only re-tagged (title, notes
    and the other details live in the MP3's tags as well as in the feed).
    """
    by_slug = {episode.slug: episode for episode in show.episodes}
    actions = {item["slug"]: item["action"] for item in built}
    rows = []
    for slug in sorted(
        set(before) | set(after), key=lambda s: (by_slug[s].manifest.number, s) if s in by_slug else (-1, s)
    ):
        old, new = before.get(slug), after.get(slug)
        what: list[str] = []
        if old is None:
            change = "added"
        elif new is None:
            change = "removed"
        elif _same_record(old, new):
            change = "unchanged"
        else:
            change = "changed"
            if old.get("sha256") != new.get("sha256"):
                what.append("audio" if actions.get(slug) == "built" else "title, notes or details")
            what += [name for name, keys in _CHANGED_PARTS if any(old.get(k) != new.get(k) for k in keys)]
            what = what or ["details"]
        episode = by_slug.get(slug)
        rows.append(
            {
                "slug": slug,
                "number": episode.manifest.number if episode else None,
                "title": episode.manifest.title if episode else slug,
                "change": change,
                "what": what,
            }
        )
    return rows


def publish(
    show: Show,
    settings: PublishSettings,
    target: Target,
    *,
    slugs: list[str] | None,
    now: datetime,
    dry_run: bool = False,
    accept_fewer_names: bool = False,
    on_build_progress: Callable[[str, str, float], None] | None = None,
    on_upload: Callable[[PlannedObject], None] | None = None,
    on_upload_progress: Callable[[str, int, int], None] | None = None,
    check_feed: Callable[[bytes], None] | None = None,
) -> PublishReport:
    """Build what is stale, upload what changed, write the feed, record state, clean up.

    Uploads need no lock (content-hashed names); the feed, the state record and deletions
    happen under the target's publish lock (:mod:`podcast.publishing.lock`). If another producer
    published while this one uploaded, the release is planned again on top of theirs.
    ``check_feed`` (the console passes `podcast validate`'s rules) sees the planned feed before
    any upload and raises to stop the publish.
    """
    live, embargoed, withdrawn = live_episodes(show, now)
    selected = {episode.slug for episode in show.select(slugs)}
    report = PublishReport(target=target.describe(), feed_url=settings.feed_url, dry_run=dry_run)
    # podcast:guid is never missing: the first publish computes it from the feed URL and stores it.
    published_guid = live_show_guid(target.get_bytes(FEED_KEY)) if not show.manifest.show.guid else None
    show, computed = with_show_guid(show, settings.feed_url, write=not dry_run, published=published_guid)
    report.show_guid_written = computed if not dry_run else None
    if computed:
        live, embargoed, withdrawn = live_episodes(show, now)
    report.embargoed = [{"slug": e.slug, "until": e.manifest.published.isoformat()} for e in embargoed]
    report.withdrawn = [e.slug for e in withdrawn]

    # Safeguarding first: a target published with a redaction list is never published without it.
    state, raw_state, version = read_state_versioned(target)
    used = check_list(state, show.redactions, where=target.describe(), accept_fewer=accept_fewer_names)
    report.redactions = used.to_dict()
    checked = state.redactions
    _refuse_dropping_live(show, state, live, embargoed)

    # A dry run builds into the cache exactly as the publish would, so the gate sees what would go out.
    built: dict[str, BuiltEpisode] = {}
    for episode in live:
        if episode.slug not in selected:
            continue
        progress = (
            (lambda step, fraction, slug=episode.slug: on_build_progress(slug, step, fraction))
            if on_build_progress
            else None
        )
        result = build_episode(show, episode, settings, on_progress=progress)
        built[episode.slug] = result
        if result.audio_rebuilt or result.tags_rewritten:
            report.built.append({"slug": episode.slug, "action": "built" if result.audio_rebuilt else "retagged"})
        listing = read_listen_back(episode.slug, result.mp3_path.parent)
        report.listen_back.append({"slug": episode.slug, **listing.counts()})

    first_seen, sent = set(state.episodes), set[str]()
    pages_sent: dict[str, str] = {}
    seen = dict(state.episodes)

    def stage(state: StateRecord) -> tuple[Release, bytes, bytes]:
        """Plan on top of ``state`` and upload what the target lacks: (release, feed, state record)."""
        if state.redactions != checked:  # someone published meanwhile, maybe with another list
            check_list(state, show.redactions, where=target.describe(), accept_fewer=accept_fewer_names)
        _check_guids_kept(live, state)
        release = plan_release(show, settings, built, state.episodes, live)
        _check_no_episode_lost(state, first_seen, release, target)
        _refuse_overwriting_edit(seen, state, release, set(built), target)
        report.episodes = [item.episode.slug for item in release.items]
        if used.changed:  # carried episodes went out under the old list: their files are not rescanned now
            report.unchecked = sorted(set(release.episodes) - set(built))
        planned_feed = build_feed(release.channel, release.items)
        site = plan_site(show, settings, release)  # the website, from the same release as the feed
        # Safeguarding: refuse before any upload; every page is scanned exactly as it will go up.
        gate_release(show, release, planned_feed, extra=site_artefacts(site))
        if check_feed is not None:
            check_feed(planned_feed)
        report.unchanged = 0
        # 1. Media first, then transcripts, chapters and artwork, skipping what the target holds.
        for obj in sorted(release.objects, key=upload_rank):
            known = state.objects.get(obj.key)
            vouched = (
                obj.key in sent or (known.get("sha256") if known else None) == obj.sha256 or obj.sha256[:12] in obj.key
            )
            if vouched and target.exists(obj.key, obj.size):  # a content-hashed name of the right size is complete
                report.unchanged += obj.key not in sent
                continue
            sent.add(obj.key)
            report.uploaded.append({"key": obj.key, "bytes": obj.size})
            if not dry_run:
                progress = (
                    (lambda n, key=obj.key, total=obj.size: on_upload_progress(key, n, total))
                    if on_upload_progress
                    else None
                )
                target.put_file(
                    obj.key,
                    obj.source,
                    content_type=obj.content_type,
                    cache_control=LONG_CACHE,
                    sha256=obj.sha256,
                    on_progress=progress,
                )
                if on_upload:
                    on_upload(obj)
        # 1b. The website: hashed assets, then episode pages, then the show page; unchanged pages stay.
        pages, report.pages_unchanged = upload_site(target, site, state.objects, dry_run=dry_run, sent=pages_sent)
        # Reported apart from ``uploaded`` (the release's objects), in upload order.
        report.pages_uploaded += [page.key for page in pages if page.key not in report.pages_uploaded]
        objects: dict[str, ObjectRecord] = {
            obj.key: {"sha256": obj.sha256, "size": obj.size} for obj in release.objects
        }
        objects.update(carried_objects(release, state))
        objects.update(site_records(site))
        report.deleted = sorted(set(state.objects) - set(objects))
        remembered = list_record(show.redactions, state.redactions) or state.redactions
        encoded = encode_state(StateRecord(objects=objects, episodes=release.episodes, redactions=remembered))
        return release, build_feed(release.channel, release.items), encoded

    release, feed, encoded = stage(state)
    report.summary = summarise(show, state.episodes, release.episodes, report.built)
    live_feed = target.get_bytes(FEED_KEY)
    report.feed_changed = live_feed != feed
    if dry_run or (live_feed == feed and raw_state == encoded and not report.deleted):
        return report

    # 2-4 run under the target's publish lock, so two producers never interleave their
    # feed and state writes; if someone published while we uploaded, plan again on top.
    with publish_lock(target):
        fresh, raw_state, latest = read_state_versioned(target)
        if latest != version:
            log.info("someone else published meanwhile; planning again on top of their release")
            release, feed, encoded = stage(fresh)
            report.summary = summarise(show, fresh.episodes, release.episodes, report.built)
            report.feed_changed = target.get_bytes(FEED_KEY) != feed
        # 2. The feed, only once everything it names is in place.
        if report.feed_changed:
            target.put_bytes(FEED_KEY, feed, content_type=content_type_for(FEED_KEY), cache_control=FEED_CACHE)
        # 3. Delete what the live feed no longer names, *before* the state record drops them: a publish
        # killed in between leaves them in the old record, so the re-run deletes them (a withdrawn
        # episode's audio must not stay online, unrecorded, forever).
        for key in report.deleted:
            target.delete(key)
        # 4. The state record, conditional on the version read under the lock (belt and braces).
        if raw_state != encoded:
            try:
                target.put_if(
                    STATE_KEY, encoded, expected=latest, content_type="application/json", cache_control="no-store"
                )
            except StateConflict:
                if target.get_versioned(STATE_KEY)[0] != encoded:  # else: our write landed, its answer was lost
                    raise

    if report.feed_changed and settings.cloudfront_distribution_id:
        from podcast.publishing.s3.cdn import invalidate_cdn

        path = urlsplit(settings.feed_url).path or "/feed.xml"
        report.cdn_invalidation = invalidate_cdn(settings.cloudfront_distribution_id, [path])
    if report.feed_changed:  # after the CDN has dropped its copy, so a hub fetches the new feed
        told = notify_feed_changed(
            list(settings.notify), settings.feed_url, timeout_s=settings.notify_timeout_s, private=settings.private
        )
        report.notifications = [notification.to_dict() for notification in told]
    return report


def write_feed_for(
    show: Show,
    settings: PublishSettings,
    *,
    now: datetime,
    build: bool = True,
    on_build_progress: Callable[[str, str, float], None] | None = None,
) -> bytes:
    """The feed as publish would write it, from local builds only (for `podcast feed` and `validate`).

    It passes the same publish gate as a real publish (the feed, every object it names and
    the state record), so a feed written with ``podcast feed --output`` can never hold a
    listed name either.
    """
    show, _ = with_show_guid(show, settings.feed_url, write=False)  # what the first publish will write
    live, _, _ = live_episodes(show, now)
    built: dict[str, BuiltEpisode] = {}
    for episode in live:
        if build:
            progress = (
                (lambda step, fraction, slug=episode.slug: on_build_progress(slug, step, fraction))
                if on_build_progress
                else None
            )
            built[episode.slug] = build_episode(show, episode, settings, on_progress=progress)
        else:
            cached = read_build(show, episode)
            if cached:
                built[episode.slug] = cached
    release = plan_release(show, settings, built, {}, live)
    feed = build_feed(release.channel, release.items)
    gate_release(show, release, feed, action="writing the feed")
    return feed
