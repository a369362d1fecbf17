"""The RSS feed: a pure function from show data to bytes.

feedgen builds the RSS 2.0 core (channel, items, enclosures, guid, atom:link). Its own
podcast extension writes ``itunes:explicit`` as yes/no (Apple now wants true/false) and
knows nothing of the Podcasting 2.0 ``podcast:`` namespace, so both namespaces are
written by the two small extensions below, registered with ``register_extension``.

Determinism is a feature: items are sorted here (newest first), added with
``order="append"``, and ``lastBuildDate`` is the newest episode's date rather than the
clock, so the same inputs always give the same bytes and a diff of ``feed/feed.xml``
shows exactly what listeners will see change.

What goes in (the Apple, Spotify and Podcasting 2.0 tags, and why each value is what it
is) is documented next to each element below; `podcast validate` (validate.py) checks the
same rules from the outside, on any feed, so the two keep each other honest.

Text is made safe in two steps: Markdown notes are rendered and sanitised by notes.py
(p, ol, ul, li, a, em, strong, br only), and every string that goes into the XML loses the
few characters XML 1.0 cannot carry at all (C0 controls, U+FFFE/U+FFFF). lxml escapes
``&`` and ``<``; emoji and right-to-left text pass through untouched.
"""

from __future__ import annotations

import base64
import email.utils
import html
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from podcast import __version__
from podcast.build.chapters import ChapterMark
from podcast.files import write_atomic
from podcast.notes import markdown_to_text
from podcast.show.manifest import Person
from podcast.show.model import Episode, Show
from podcast.timecode import format_duration

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"  # canonical URI; podcastparser has a bug with it, apps do not
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = f"survivor-voices podcast {__version__}"


PSC_NS = "http://podlove.org/simple-chapters"

# Apple and Spotify cut or reject longer descriptions; content:encoded keeps the full notes.
MAX_DESCRIPTION_BYTES = 4000
TRUNCATION_MARK = "<p>[…]</p>"
# Characters XML 1.0 forbids outright (lxml refuses them); everything else is escaped, not removed.
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class TranscriptLink:
    """A published transcript, listed as <podcast:transcript>."""

    url: str
    type: str  # text/vtt, application/x-subrip, application/json, text/html, text/plain
    language: str
    rel: str | None = None  # "captions" for timed formats


@dataclass(frozen=True)
class AlternateLink:
    """A published alternate of the episode audio, listed as <podcast:alternateEnclosure>.

    The same simple list serves the website's player (one ``<source>`` per alternate).
    """

    url: str
    type: str  # MIME type: audio/ogg, audio/mp4
    length: int  # bytes
    bitrate_kbps: int | None
    codecs: str | None = None  # RFC 6381: opus, mp4a.40.2
    sha256: str | None = None  # hex; the feed carries it as SRI (sha256-<base64>)
    title: str | None = None  # e.g. "Opus 24 kb/s"


def sri(sha256_hex: str) -> str:
    """Subresource Integrity value of a SHA-256 given in hex.

    >>> sri("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='
    """
    return "sha256-" + base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


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
    media_sha256: str | None = None  # the MP3's hash: its own alternateEnclosure's integrity
    media_bitrate_kbps: int | None = None  # the MP3's CBR bitrate ([audio] bitrate_kbps)
    alternates: tuple[AlternateLink, ...] = ()  # podcast:alternateEnclosure (Opus, AAC)


@dataclass(frozen=True)
class FeedChannel:
    """The show as the feed presents it: its manifest plus the published feed and artwork URLs."""

    show: Show
    feed_url: str
    image_url: str


def _itunes(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _podcast(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def xml_text(text: str) -> str:
    r"""``text`` without the characters XML 1.0 cannot carry (so lxml never refuses a feed).

    >>> xml_text("A\x00B\x1bC\tD\ufffe") == "ABC\tD"
    True
    >>> xml_text("\u05e9\u05dc\u05d5\u05dd \U0001f399")  # right-to-left text and emoji stay
    'שלום 🎙'
    """
    return _XML_INVALID.sub("", text)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_words(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` UTF-8 bytes, ending at a word, plus "…".

    >>> _cut_words("one two three", 10)
    'one two…'
    """
    budget = limit - _utf8_len("…")
    cut = text.encode("utf-8")[: max(budget, 0)].decode("utf-8", "ignore")
    if len(cut) < len(text) and not text[len(cut)].isspace() and " " in cut:
        cut = cut[: cut.rfind(" ")]  # do not end mid-word
    return cut.rstrip() + "…"


def fit_html(notes_html: str, limit: int = MAX_DESCRIPTION_BYTES) -> str:
    """Sanitised notes cut to at most ``limit`` UTF-8 bytes, keeping whole blocks where possible.

    The first block (the content warning, when there is one) and the last block (the
    show's support notice) are kept: blocks are dropped from the middle and replaced by
    ``<p>[…]</p>``, so a listener is still warned first and pointed to help last. A
    single block that is too long is cut at a word, as plain text.

    >>> fit_html("<p>Warning.</p><p>" + "word " * 20 + "</p><p>Help.</p>", 60)
    '<p>Warning.</p><p>[…]</p><p>Help.</p>'
    >>> fit_html("<p>short</p>", 60)
    '<p>short</p>'
    >>> fit_html("<p>" + "a " * 50 + "</p>", 30)
    '<p>a a a a a a a a a a…</p>'
    >>> fitted = fit_html("<p>" + "b " * 100 + "</p><p>Help.</p>", 140)
    >>> fitted.startswith("<p>b b b"), fitted.endswith("b…</p><p>[…]</p><p>Help.</p>"), len(fitted.encode()) <= 140
    (True, True, True)
    """
    if _utf8_len(notes_html) <= limit:
        return notes_html
    from lxml import html as lxml_html

    parts = lxml_html.fragments_fromstring(notes_html)
    blocks = [part if isinstance(part, str) else lxml_html.tostring(part, encoding="unicode") for part in parts]
    blocks = [block for block in blocks if block.strip()]
    head, tail = (blocks[:-1], blocks[-1:]) if len(blocks) > 1 else (blocks, [])
    budget = limit - _utf8_len(TRUNCATION_MARK) - sum(_utf8_len(b) for b in tail)
    kept: list[str] = []
    for block in head:
        if _utf8_len(block) > budget:
            break
        kept.append(block)
        budget -= _utf8_len(block)
    if not kept and head and budget >= 100:
        kept = [_plain_paragraph(head[0], budget)]  # the first block alone is too long: cut it at a word
    if kept:
        return "".join([*kept, TRUNCATION_MARK, *tail])
    return _plain_paragraph(notes_html, limit)  # not even the last block fits: all of it as plain text


def _plain_paragraph(fragment: str, limit: int) -> str:
    """``<p>text…</p>`` of at most ``limit`` UTF-8 bytes from an HTML fragment's text.

    >>> _plain_paragraph("<p>Tom &amp; <em>Jerry</em> and friends</p>", 30)
    '<p>Tom &amp; Jerry and…</p>'
    """
    from lxml import html as lxml_html

    text = " ".join(lxml_html.fromstring(f"<div>{fragment}</div>").text_content().split())
    room = limit - _utf8_len("<p></p>")
    budget = room
    while True:  # escaping (& -> &amp;) can grow the text: shrink until it fits
        cut = html.escape(_cut_words(text, budget), quote=False)
        if _utf8_len(cut) <= room or budget <= 0:
            return f"<p>{cut}</p>"
        budget -= _utf8_len(cut) - room


def _person(parent: etree._Element, person: Person) -> None:
    """<podcast:person role group href img>Name</podcast:person>."""
    element = xml_elem(_podcast("person"), parent)
    element.set("role", xml_text(person.role))
    element.set("group", xml_text(person.group))
    if person.href:
        element.set("href", person.href)
    if person.img:
        element.set("img", person.img)
    element.text = xml_text(person.name)


def _alternate(parent: etree._Element, link: AlternateLink, *, default: bool = False) -> None:
    """<podcast:alternateEnclosure> with its <podcast:source> and <podcast:integrity type="sri">."""
    element = xml_elem(_podcast("alternateEnclosure"), parent, type=link.type, length=str(link.length))
    if link.bitrate_kbps:
        element.set("bitrate", str(link.bitrate_kbps * 1000))  # the namespace counts bits per second
    if link.codecs:
        element.set("codecs", link.codecs)
    if link.title:
        element.set("title", xml_text(link.title))
    if default:
        element.set("default", "true")
    xml_elem(_podcast("source"), element, uri=link.url)
    if link.sha256:
        xml_elem(_podcast("integrity"), element, type="sri", value=sri(link.sha256))


def _trailer(channel: etree._Element, item: FeedItem) -> None:
    """<podcast:trailer pubdate url length type [season]>title</podcast:trailer> for a trailer episode."""
    manifest = item.episode.manifest
    element = xml_elem(
        _podcast("trailer"),
        channel,
        pubdate=email.utils.format_datetime(manifest.published),
        url=item.media_url,
        length=str(item.media_length),
        type=item.media_type,
    )
    if manifest.season is not None:
        element.set("season", str(manifest.season))
    element.text = xml_text(manifest.title)


class ShowExtension(BaseExtension):
    """Channel-level itunes:* and podcast:* elements."""

    channel: FeedChannel | None = None
    trailers: tuple[FeedItem, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "psc": PSC_NS}

    def extend_rss(self, rss):
        assert self.channel is not None
        manifest = self.channel.show.manifest
        info = manifest.show
        channel = rss[0]
        xml_elem(_itunes("author"), channel).text = xml_text(info.author)
        # Spotify and Apple send their ownership-verification code to this address.
        owner = xml_elem(_itunes("owner"), channel)
        xml_elem(_itunes("name"), owner).text = xml_text(info.owner.name)
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
        if manifest.publish.new_feed_url:
            # Apple moves subscribers to the new address; the feed itself keeps every GUID.
            xml_elem(_itunes("new-feed-url"), channel).text = manifest.publish.new_feed_url
        if info.block:
            xml_elem(_itunes("block"), channel).text = "Yes"
        # WebSub: apps subscribed through these hubs hear of a new feed at once (publish notifies them).
        for hub in manifest.publish.websub_hubs():
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel="hub", href=hub)
        if info.complete:
            xml_elem(_itunes("complete"), channel).text = "Yes"
        # podcast:guid is stored in podcast.toml, never recomputed: it must survive a move of the feed URL.
        if info.guid:
            xml_elem(_podcast("guid"), channel).text = info.guid
        xml_elem(_podcast("locked"), channel, owner=info.owner.email).text = "yes" if info.locked else "no"
        if info.funding:
            xml_elem(_podcast("funding"), channel, url=info.funding.url).text = xml_text(info.funding.text)
        for person in info.persons:
            _person(channel, person)
        if info.license:
            element = xml_elem(_podcast("license"), channel)
            if info.license_url:
                element.set("url", info.license_url)
            element.text = xml_text(info.license)
        if info.apple_verify:
            xml_elem(_podcast("txt"), channel, purpose="applepodcastsverify").text = xml_text(info.apple_verify)
        xml_elem(_podcast("medium"), channel).text = info.medium
        # The artwork again, with its description for listeners who cannot see it (accessibility).
        image = xml_elem(_podcast("image"), channel, href=self.channel.image_url)
        if info.artwork_alt:
            image.set("alt", xml_text(info.artwork_alt))
        image.set("aspect-ratio", "1/1")
        image.set("purpose", "artwork")
        for item in self.trailers:
            _trailer(channel, item)
        if info.update_frequency:
            frequency = info.update_frequency
            element = xml_elem(_podcast("updateFrequency"), channel, rrule=frequency.rrule)
            if frequency.complete:
                element.set("complete", "true")
            if frequency.dtstart:
                element.set("dtstart", frequency.dtstart.isoformat())
            element.text = xml_text(frequency.text)
        if info.podroll:
            podroll = xml_elem(_podcast("podroll"), channel)
            for other in info.podroll:
                remote = xml_elem(_podcast("remoteItem"), podroll, feedGuid=other.guid)
                if other.url:
                    remote.set("feedUrl", other.url)
                if other.title:
                    remote.set("title", xml_text(other.title))
        if info.block:
            xml_elem(_podcast("block"), channel).text = "yes"
        for service in info.block_services:
            xml_elem(_podcast("block"), channel, id=service).text = "yes"
        return rss


class EpisodeExtension(BaseEntryExtension):
    """Item-level itunes:* and podcast:* elements."""

    item: FeedItem | None = None
    channel_image_url: str = ""
    show_link: str = ""
    comments: bool = True

    def extend_rss(self, entry):
        assert self.item is not None
        manifest = self.item.episode.manifest
        # Apple asks for the HTML notes inside CDATA; a CDATA section cannot hold "]]>", so then it stays escaped.
        description = entry.find("description")
        if description is not None and description.text and "]]>" not in description.text:
            description.text = etree.CDATA(description.text)
        # <link> and <pubDate> are written here rather than through feedgen: its date formatting flips
        # the process-wide locale three times per call and its link() validates twice, together a
        # quarter of the time a 5,000-episode feed takes (benchmarks/feed.py).
        xml_elem("link", entry).text = self.show_link
        xml_elem("pubDate", entry).text = email.utils.format_datetime(manifest.published)
        xml_elem(_itunes("title"), entry).text = xml_text(manifest.title)
        xml_elem(_itunes("episodeType"), entry).text = manifest.type
        if manifest.season is not None:
            xml_elem(_itunes("season"), entry).text = str(manifest.season)
        # Apple wants a non-zero episode number; a trailer numbered 0 simply has none.
        if manifest.number > 0:
            xml_elem(_itunes("episode"), entry).text = str(manifest.number)
        xml_elem(_itunes("duration"), entry).text = format_duration(self.item.duration_s)
        xml_elem(_itunes("explicit"), entry).text = _bool(manifest.explicit)
        if manifest.block:
            xml_elem(_itunes("block"), entry).text = "Yes"
        # Every item carries artwork (its own, else the show's): some apps show a blank square otherwise.
        image = self.item.image_url or (self.channel_image_url or None)
        if image:
            xml_elem(_itunes("image"), entry, href=image)
        if self.item.image_url:
            element = xml_elem(_podcast("image"), entry, href=self.item.image_url)
            if manifest.artwork_alt:
                element.set("alt", xml_text(manifest.artwork_alt))
            element.set("purpose", "artwork")
        if self.item.alternates:
            # The MP3 first, marked default (it is the <enclosure>), then the smaller formats.
            mp3 = AlternateLink(
                url=self.item.media_url,
                type=self.item.media_type,
                length=self.item.media_length,
                bitrate_kbps=self.item.media_bitrate_kbps,
                codecs="mp3",
                sha256=self.item.media_sha256,
                title="MP3",
            )
            _alternate(entry, mp3, default=True)
            for link in self.item.alternates:
                _alternate(entry, link)
        if not self.comments:
            # A show that takes no public comments says so, rather than leaving apps to look for a thread.
            xml_elem(_podcast("socialInteract"), entry, protocol="disabled", uri=self.show_link)
        if manifest.season is not None:
            xml_elem(_podcast("season"), entry).text = str(manifest.season)
        if manifest.number > 0:
            xml_elem(_podcast("episode"), entry).text = str(manifest.number)
        for person in manifest.persons:
            _person(entry, person)
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
                chapter = xml_elem(
                    f"{{{PSC_NS}}}chapter", psc, start=format_npt(mark.start_s), title=xml_text(mark.title)
                )
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
    """The feed XML for ``items`` (any order). ``built_at`` defaults to the newest item's date.

    Pure: the same channel and items give the same bytes, whatever their order. With
    ``[feed] max_items`` only the newest N items are listed (older episodes stay
    online and keep their GUIDs; they just leave the feed).
    """
    info = channel.show.manifest.show
    ordered = sort_items(items)
    max_items = channel.show.manifest.feed.max_items
    if max_items is not None:
        ordered = ordered[:max_items]
    fg = FeedGenerator()
    fg.register_extension("show", ShowExtension, EpisodeExtension, atom=False, rss=True)
    fg.show.channel = channel
    fg.show.trailers = tuple(item for item in ordered if item.episode.manifest.type == "trailer")
    fg.title(xml_text(info.title))
    # feedgen's RSS <link> is the last link added: self first, then the show's web page.
    fg.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=info.link, rel="alternate")
    # The show's description is Markdown or plain text; directories show the channel's as plain text.
    fg.description(xml_text(fit_text(markdown_to_text(info.description))))
    fg.language(info.language)
    if info.copyright:
        fg.copyright(xml_text(info.copyright))
    fg.generator(GENERATOR)
    fg.image(url=channel.image_url, title=xml_text(info.title), link=info.link)
    newest = built_at or (ordered[0].episode.manifest.published if ordered else None)
    if newest is not None:
        fg.lastBuildDate(newest)
    else:
        fg._FeedGenerator__rss_lastBuildDate = None  # never the clock: see module doc

    for item in ordered:
        manifest = item.episode.manifest
        notes = xml_text(item.notes_html)
        entry = fg.add_entry(order="append")
        entry.show.item = item
        entry.show.channel_image_url = channel.image_url
        entry.show.show_link = info.link
        entry.show.comments = info.comments
        entry.title(xml_text(manifest.title))
        entry.guid(item.episode.guid, permalink=False)
        entry.description(fit_html(notes))
        entry.content(notes, type="CDATA" if "]]>" not in notes else "html")
        entry.enclosure(item.media_url, str(item.media_length), item.media_type)
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def fit_text(text: str, limit: int = MAX_DESCRIPTION_BYTES) -> str:
    """Plain text cut at a word to at most ``limit`` UTF-8 bytes.

    >>> fit_text("short")
    'short'
    >>> fit_text("one two three", 10)
    'one two…'
    """
    return text if _utf8_len(text) <= limit else _cut_words(text, limit)


def write_feed(path: Path, data: bytes) -> None:
    """Write the feed atomically: readers see the old feed or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
