"""The RSS feed: a pure function from show data to bytes.

feedgen builds the RSS 2.0 core (channel, items, enclosures, guid, atom:link). Its own
podcast extension writes ``itunes:explicit`` as yes/no (Apple now wants true/false) and
knows nothing of the Podcasting 2.0 ``podcast:`` namespace, so both namespaces are
written by the two small extensions below, registered with ``register_extension``.

Determinism is a feature: items are sorted here (newest first), added with
``order="append"``, and ``lastBuildDate`` is the newest episode's date rather than the
clock, so the same inputs always give the same bytes and a diff of ``feed/feed.xml``
shows exactly what listeners will see change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from . import __version__
from .show import Episode, Show
from .timecode import format_duration

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"  # canonical URI; podcastparser has a bug with it, apps do not
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = f"survivor-voices podcast {__version__}"


PSC_NS = "http://podlove.org/simple-chapters"


@dataclass(frozen=True)
class TranscriptLink:
    """A published transcript, listed as <podcast:transcript>."""

    url: str
    type: str  # text/vtt, application/x-subrip, application/json, text/html, text/plain
    language: str
    rel: str | None = None  # "captions" for timed formats


@dataclass(frozen=True)
class ChapterMark:
    """One chapter as the feed lists it (Podlove Simple Chapters)."""

    start_s: float
    title: str
    url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One published episode: its manifest plus the facts of the objects listeners download."""

    episode: Episode
    notes_html: str
    media_url: str
    media_length: int
    media_type: str
    duration_s: float
    image_url: str | None = None
    chapters_url: str | None = None  # podcast:chapters, Podcast Index chapters JSON
    chapters: tuple[ChapterMark, ...] = ()  # psc:chapters
    transcripts: tuple[TranscriptLink, ...] = ()  # podcast:transcript


@dataclass(frozen=True)
class FeedChannel:
    show: Show
    feed_url: str
    image_url: str


def _itunes(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _podcast(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def _bool(value: bool) -> str:
    return "true" if value else "false"


class ShowExtension(BaseExtension):
    """Channel-level itunes:* and podcast:* elements."""

    channel: FeedChannel | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "psc": PSC_NS}

    def extend_rss(self, rss):  # type: ignore[no-untyped-def]
        assert self.channel is not None
        info = self.channel.show.manifest.show
        channel = rss[0]
        xml_elem(_itunes("author"), channel).text = info.author
        owner = xml_elem(_itunes("owner"), channel)
        xml_elem(_itunes("name"), owner).text = info.owner.name
        xml_elem(_itunes("email"), owner).text = info.owner.email
        xml_elem(_itunes("image"), channel, href=self.channel.image_url)
        for category in info.categories:
            parent, _, child = category.partition("/")
            element = xml_elem(_itunes("category"), channel)
            element.set("text", parent.strip())
            if child:
                xml_elem(_itunes("category"), element).set("text", child.strip())
        xml_elem(_itunes("explicit"), channel).text = _bool(info.explicit)
        xml_elem(_itunes("type"), channel).text = info.type
        if info.guid:
            xml_elem(_podcast("guid"), channel).text = info.guid
        xml_elem(_podcast("locked"), channel, owner=info.owner.email).text = "yes" if info.locked else "no"
        if info.funding:
            xml_elem(_podcast("funding"), channel, url=info.funding.url).text = info.funding.text
        return rss


class EpisodeExtension(BaseEntryExtension):
    """Item-level itunes:* and podcast:* elements."""

    item: FeedItem | None = None

    def extend_rss(self, entry):  # type: ignore[no-untyped-def]
        assert self.item is not None
        manifest = self.item.episode.manifest
        xml_elem(_itunes("title"), entry).text = manifest.title
        xml_elem(_itunes("episodeType"), entry).text = manifest.type
        if manifest.season is not None:
            xml_elem(_itunes("season"), entry).text = str(manifest.season)
        xml_elem(_itunes("episode"), entry).text = str(manifest.number)
        xml_elem(_itunes("duration"), entry).text = format_duration(self.item.duration_s)
        xml_elem(_itunes("explicit"), entry).text = _bool(manifest.explicit)
        if self.item.image_url:
            xml_elem(_itunes("image"), entry, href=self.item.image_url)
        if manifest.season is not None:
            xml_elem(_podcast("season"), entry).text = str(manifest.season)
        xml_elem(_podcast("episode"), entry).text = str(manifest.number)
        for transcript in self.item.transcripts:
            element = xml_elem(_podcast("transcript"), entry, url=transcript.url, type=transcript.type)
            element.set("language", transcript.language)
            if transcript.rel:
                element.set("rel", transcript.rel)
        if self.item.chapters_url:
            xml_elem(_podcast("chapters"), entry, url=self.item.chapters_url, type="application/json+chapters")
        if self.item.chapters:
            psc = xml_elem(f"{{{PSC_NS}}}chapters", entry, version="1.2")
            for mark in self.item.chapters:
                chapter = xml_elem(f"{{{PSC_NS}}}chapter", psc, start=format_npt(mark.start_s), title=mark.title)
                if mark.url:
                    chapter.set("href", mark.url)
                if mark.image_url:
                    chapter.set("image", mark.image_url)
        return entry


def format_npt(seconds: float) -> str:
    """Normal play time for psc:chapter start, ``HH:MM:SS.mmm``.

    >>> format_npt(3725.5)
    '01:02:05.500'
    """
    millis = int(round(seconds * 1000))
    return f"{millis // 3600000:02d}:{millis % 3600000 // 60000:02d}:{millis % 60000 // 1000:02d}.{millis % 1000:03d}"


def sort_items(items: list[FeedItem]) -> list[FeedItem]:
    """Newest first, ties broken by number then GUID so the order never depends on input order."""
    return sorted(
        items,
        key=lambda item: (item.episode.manifest.published, item.episode.manifest.number, item.episode.guid),
        reverse=True,
    )


def build_feed(channel: FeedChannel, items: list[FeedItem], *, built_at: datetime | None = None) -> bytes:
    """The feed XML for ``items`` (any order). ``built_at`` defaults to the newest item's date."""
    info = channel.show.manifest.show
    ordered = sort_items(items)
    fg = FeedGenerator()
    fg.register_extension("show", ShowExtension, EpisodeExtension, atom=False, rss=True)
    fg.show.channel = channel  # type: ignore[attr-defined]
    fg.title(info.title)
    # feedgen's RSS <link> is the last link added: self first, then the show's web page.
    fg.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=info.link, rel="alternate")
    fg.description(info.description)
    fg.language(info.language)
    if info.copyright:
        fg.copyright(info.copyright)
    fg.generator(GENERATOR)
    fg.image(url=channel.image_url, title=info.title, link=info.link)
    newest = built_at or (ordered[0].episode.manifest.published if ordered else None)
    if newest is not None:
        fg.lastBuildDate(newest)
    else:
        fg._FeedGenerator__rss_lastBuildDate = None  # type: ignore[attr-defined]  # never the clock: see module doc

    for item in ordered:
        manifest = item.episode.manifest
        entry = fg.add_entry(order="append")
        entry.show.item = item  # type: ignore[attr-defined]
        entry.title(manifest.title)
        entry.guid(item.episode.guid, permalink=False)
        entry.link(href=info.link)
        entry.description(item.notes_html)
        entry.content(item.notes_html, type="CDATA")
        entry.enclosure(item.media_url, str(item.media_length), item.media_type)
        entry.pubDate(manifest.published)
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def write_feed(path: Path, data: bytes) -> None:
    """Write the feed atomically: readers see the old feed or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
