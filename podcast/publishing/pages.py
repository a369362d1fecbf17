"""The website as publish and takedown upload it: plan the pages from a release, upload what changed.

The pages are rendered by :mod:`podcast.site.render` from the same :class:`Release` as the
feed, so they list exactly the feed's episodes (embargoed and withdrawn ones have no page
and no link). Each page goes up only when its bytes differ from what the state record says
the target holds; assets have content-hashed names and are immutable.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable

from podcast.publishing.plan import Release
from podcast.publishing.state import EpisodeRecord, ObjectRecord
from podcast.publishing.target import Target, content_type_for
from podcast.safeguarding.gate import Artefact, scan_artefacts
from podcast.show.model import Show
from podcast.show.settings import PublishSettings
from podcast.site.render import (
    INDEX_KEY,
    PAGE_CACHE,
    SITEMAP_KEY,
    AudioSource,
    SiteEpisode,
    SiteFile,
    TranscriptSource,
    index_without_episode,
    read_cues,
    render_site,
    sitemap_without_page,
)

log = logging.getLogger(__name__)


def audio_sources(record: EpisodeRecord) -> tuple[AudioSource, ...]:
    """The encodings the player offers as ``<source>`` elements: the MP3 first (every browser plays it, and
    the download link, og:audio and JSON-LD name the first), then the ``[[audio.alternates]]`` (Opus, AAC)
    for a browser without MP3 support.
    """
    alternates = tuple(
        AudioSource(a["key"], f'{a["type"]}; codecs="{a["codecs"]}"' if a.get("codecs") else a["type"], a["size"])
        for a in record.get("alternates", ())
    )
    return (AudioSource(record["media_key"], "audio/mpeg", record["size"]), *alternates)


def site_episodes(show: Show, release: Release) -> list[SiteEpisode]:
    """One :class:`SiteEpisode` per item of the release's feed."""
    episodes = []
    for item in release.items:
        slug = item.episode.slug
        record = release.episodes[slug]
        transcripts = tuple(TranscriptSource(t["key"], t["type"], t["language"]) for t in record.get("transcripts", ()))
        cues, timed = read_cues(show.build_dir / slug) if transcripts else ((), True)
        episodes.append(
            SiteEpisode(
                episode=item.episode,
                sources=audio_sources(record),
                duration_s=item.duration_s,
                artwork_key=record.get("artwork_key"),
                chapters=item.chapters,
                transcripts=transcripts,
                cues=cues,
                timed=timed,
            )
        )
    return episodes


def plan_site(show: Show, settings: PublishSettings, release: Release) -> list[SiteFile]:
    """Every file of the website for ``release`` (none when ``[site] enabled = false``)."""
    if not show.manifest.site.enabled:
        return []
    artwork_key = release.channel.image_url.removeprefix(settings.base_url + "/")
    return render_site(
        show,
        base_url=settings.base_url,
        feed_url=settings.feed_url,
        artwork_key=artwork_key,
        episodes=site_episodes(show, release),
    )


def site_artefacts(files: Iterable[SiteFile]) -> list[Artefact]:
    """The pages exactly as they will be uploaded, for the publish gate."""
    return [Artefact(file.key, data=file.data) for file in files]


def site_records(files: Iterable[SiteFile]) -> dict[str, ObjectRecord]:
    return {file.key: {"sha256": file.sha256, "size": file.size} for file in files}


def upload_site(
    target: Target,
    files: Iterable[SiteFile],
    known: dict[str, ObjectRecord],
    *,
    dry_run: bool = False,
    sent: dict[str, str] | None = None,
    on_upload: Callable[[SiteFile], None] | None = None,
) -> tuple[list[SiteFile], int]:
    """Upload the files whose bytes the target does not hold yet, in order; (uploaded, unchanged).

    ``known`` is the state record's object table; ``sent`` (key -> sha256) remembers what this
    run already uploaded, so a publish that plans again under the lock does not send it twice.
    """
    sent = {} if sent is None else sent
    uploaded, unchanged = [], 0
    for file in files:
        record = known.get(file.key)
        held = sent.get(file.key) or (record.get("sha256") if record else None)
        if held == file.sha256 and target.exists(file.key, file.size):
            unchanged += file.key not in sent
            continue
        uploaded.append(file)
        sent[file.key] = file.sha256
        if not dry_run:
            target.put_bytes(file.key, file.data, content_type=file.content_type, cache_control=file.cache_control)
            log.info("site: uploaded %s", file.key)
            if on_upload:
                on_upload(file)
    return uploaded, unchanged


def withdraw_from_site(
    show: Show,
    settings: PublishSettings,
    target: Target,
    release: Release,
    known: dict[str, ObjectRecord],
    slug: str,
    *,
    redactable: bool,
) -> dict[str, ObjectRecord]:
    """Takedown's part of the website: the show page (and every page linking the episode) without it.

    Returns the state records of the pages written. When the show's text can be redacted and every
    page passes the gate, the whole site is rendered again from ``release`` (which no longer lists
    the episode) and what changed is uploaded. Otherwise (an unreadable redaction list, or a page
    that would hold a listed name) nothing new is rendered: the episode's entry is cut out of the
    live show page and sitemap, which went out redacted before. The episode's own page is deleted
    by the takedown with its other objects, after this.
    """
    if redactable and show.manifest.site.enabled:
        files = plan_site(show, settings, release)
        hits = scan_artefacts(site_artefacts(files), show.redactions)
        if not hits:
            upload_site(target, files, known)
            return site_records(files)
        log.warning("%s: the site cannot be rendered again (a listed name); cutting the episode out instead", slug)
    records: dict[str, ObjectRecord] = {}
    for key, cut in ((INDEX_KEY, index_without_episode), (SITEMAP_KEY, sitemap_without_page)):
        live = target.get_bytes(key)
        if live is None:
            continue
        data = cut(live, slug)
        if data != live:
            target.put_bytes(key, data, content_type=content_type_for(key), cache_control=PAGE_CACHE)
            records[key] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return records
