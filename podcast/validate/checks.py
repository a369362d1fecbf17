"""The checks behind the rules: pure functions from feed elements (or views) to details.

A check returns None (or yields nothing) when it passes, else a detail; :mod:`podcast.validate.rules`
binds each to its id, severity, message and fix.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime

from lxml import etree

from podcast.artwork import MIN_SIZE_PX, ArtworkInfo, fixable_problems
from podcast.show.manifest import show_guid
from podcast.validate.elements import NS, is_url, item_name, optional_format, parse_date, self_href, text_of
from podcast.validate.findings import FeedView, HistoryView, Probe

MAX_TEXT_CHARS = 255  # titles, authors: Apple and Spotify truncate or reject longer
MAX_NOTES_BYTES = 512_000  # one episode's HTML notes; the manifest allows 200,000 characters of Markdown
MAX_FEED_BYTES = 4_000_000  # the whole feed: downloaded by every subscriber's app at every refresh
MAX_NAMESPACE_TEXT = 128  # podcast:funding, podcast:person, podcast:license, podcast:txt purpose
MAX_TXT_CHARS = 4000  # podcast:txt
MEDIUMS = {
    "podcast",
    "music",
    "video",
    "film",
    "audiobook",
    "newsletter",
    "blog",
    "podcastL",
    "musicL",
    "videoL",
    "filmL",
    "audiobookL",
    "newsletterL",
    "blogL",
    "publisher",
}
# The Podcast Taxonomy Project's groups and roles (lower case), as podcast:person should use them.
PERSON_GROUPS = frozenset(
    {
        "creative direction",
        "cast",
        "writing",
        "audio production",
        "audio post-production",
        "administration",
        "visuals",
        "community",
        "misc.",
        "video production",
        "video post-production",
    }
)
PERSON_ROLES = frozenset(
    {
        "director",
        "assistant director",
        "executive producer",
        "senior producer",
        "producer",
        "associate producer",
        "development producer",
        "creative director",
        "host",
        "co-host",
        "guest host",
        "guest",
        "voice actor",
        "narrator",
        "announcer",
        "reporter",
        "author",
        "editorial director",
        "co-writer",
        "writer",
        "songwriter",
        "guest writer",
        "story editor",
        "managing editor",
        "script editor",
        "script coordinator",
        "researcher",
        "editor",
        "fact checker",
        "translator",
        "transcriber",
        "logger",
        "studio coordinator",
        "technical director",
        "technical manager",
        "audio engineer",
        "remote recording engineer",
        "post production engineer",
        "audio editor",
        "sound designer",
        "foley artist",
        "composer",
        "theme music",
        "music production",
        "music contributor",
        "production coordinator",
        "booking coordinator",
        "production assistant",
        "content manager",
        "marketing manager",
        "sales representative",
        "sales manager",
        "graphic designer",
        "cover art designer",
        "social media manager",
        "consultant",
        "intern",
        "camera operator",
        "lighting designer",
        "camera grip",
        "assistant camera",
        "assistant editor",
    }
)


# --- channel and item checks --------------------------------------------------------------


def self_link(channel: etree._Element) -> str | None:
    ok = any(link.get("rel") == "self" and is_url(link.get("href")) for link in channel.findall("atom:link", NS))
    return None if ok else ""


def channel_guid_present(channel: etree._Element) -> str | None:
    if text_of(channel, "podcast:guid"):
        return None
    href = self_href(channel)
    return f'add guid = "{show_guid(href)}" under [show]' if href else ""


def podcast_guid_format(channel: etree._Element) -> str | None:
    value = text_of(channel, "podcast:guid")
    if not value:
        return None
    try:
        uuid.UUID(value)
    except ValueError:
        return f"found '{value[:40]}'"
    return None


def podcast_guid_placeholder(channel: etree._Element) -> str | None:
    """The scaffold's guid is shared by every new show: fine while base_url is the example too, not after."""
    from podcast.show.scaffold import PLACEHOLDER_BASE_URL

    placeholder_feed = f"{PLACEHOLDER_BASE_URL}/feed.xml"
    href = self_href(channel)
    if text_of(channel, "podcast:guid") != show_guid(placeholder_feed) or not href or href == placeholder_feed:
        return None
    return f'set guid = "{show_guid(href)}" under [show]'


def locked_value(channel: etree._Element) -> str | None:
    found = channel.find("podcast:locked", NS)
    if found is None:
        return None
    if (found.text or "").strip() not in ("yes", "no"):
        return f"found '{(found.text or '').strip()[:20]}', not yes/no"
    if not (found.get("owner") or "").strip():
        return "no owner attribute"
    return None


def language(channel: etree._Element) -> str | None:
    value = text_of(channel, "language")
    return (
        None
        if re.match(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", value)
        else (f"found '{value[:20]}'" if value else "missing")
    )


def new_feed_url(channel: etree._Element) -> str | None:
    if channel.find("itunes:new-feed-url", NS) is None:
        return None
    value = text_of(channel, "itunes:new-feed-url")
    if not is_url(value):
        return f"found '{value[:80]}'"
    if value == self_href(channel):
        return "it is this feed's own address"
    return None


def enclosure_present(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    return None if enclosure is not None and is_url(enclosure.get("url")) else ""


def enclosure_length(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    if enclosure is None:
        return None
    length = enclosure.get("length", "")
    return None if length.isdigit() and int(length) > 0 else f"length '{length[:20]}'"


def enclosure_type(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    if enclosure is None:
        return None
    kind = enclosure.get("type") or ""
    return None if re.match(r"^(audio|video)/[\w.+-]+$", kind) else f"type '{kind[:40]}'"


def pub_date(item: etree._Element) -> str | None:
    text = text_of(item, "pubDate")
    return None if text and parse_date(text) else (f"found '{text[:40]}'" if text else "missing")


duration_format = optional_format("itunes:duration", r"^(\d+|(\d+:)?[0-5]?\d:[0-5]\d)$")


def guid_not_permalink(item: etree._Element) -> str | None:
    guid = item.find("guid")
    return None if guid is None or guid.get("isPermaLink") == "false" else ""


podcast_episode = optional_format("podcast:episode", r"^\d+(\.\d+)?$")


def transcripts(item: etree._Element) -> str | None:
    for element in item.findall("podcast:transcript", NS):
        if not is_url(element.get("url")) or not (element.get("type") or "").strip():
            return f"url '{(element.get('url') or '')[:80]}', type '{element.get('type') or ''}'"
    return None


def chapters(item: etree._Element) -> str | None:
    element = item.find("podcast:chapters", NS)
    if element is None:
        return None
    if not is_url(element.get("url")) or element.get("type") != "application/json+chapters":
        return f"url '{(element.get('url') or '')[:80]}', type '{element.get('type') or ''}'"
    return None


def psc_chapters(item: etree._Element) -> str | None:
    for chapter in item.findall("psc:chapters/psc:chapter", NS):
        start = chapter.get("start") or ""
        if not re.match(r"^(\d+:)?(\d+:)?\d+(\.\d+)?$", start) or not (chapter.get("title") or "").strip():
            return f"start '{start[:20]}', title '{(chapter.get('title') or '')[:40]}'"
    return None


# --- whole-feed checks ----------------------------------------------------------------------


def feed_size(view: FeedView) -> Iterator[tuple[str, str]]:
    size = len(etree.tostring(view.channel, encoding="utf-8"))
    if size > MAX_FEED_BYTES:
        yield "feed.xml", f"{size:,} bytes"


def guid_unique(view: FeedView) -> Iterator[tuple[str, str]]:
    seen: dict[str, int] = {}
    for index, item in enumerate(view.items):
        guid = text_of(item, "guid")
        if guid and guid in seen:
            yield item_name(item, index), f"same as item {seen[guid] + 1}"
        seen.setdefault(guid, index)


def newest_first(view: FeedView) -> Iterator[tuple[str, str]]:
    dates = [parse_date(text_of(item, "pubDate")) for item in view.items]
    for index in range(1, len(dates)):
        before, this = dates[index - 1], dates[index]
        if before is not None and this is not None and this > before:
            yield item_name(view.items[index], index), f"newer than item {index}"
            return


def not_before_release(view: FeedView) -> Iterator[tuple[str, str]]:
    if view.now is None:
        return
    for index, item in enumerate(view.items):
        published = parse_date(text_of(item, "pubDate"))
        if published is not None and published > view.now:
            yield item_name(item, index), f"pubDate {published.isoformat()} is after now"


def _persons(view: FeedView) -> Iterator[tuple[str, etree._Element]]:
    for element in view.channel.findall("podcast:person", NS):
        yield "channel", element
    for index, item in enumerate(view.items):
        for element in item.findall("podcast:person", NS):
            yield item_name(item, index), element


def person_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _persons(view):
        name = (element.text or "").strip()
        if not name or len(name) > MAX_NAMESPACE_TEXT:
            yield where, f"name of {len(name)} characters"
        for attribute in ("href", "img"):
            if element.get(attribute) is not None and not is_url(element.get(attribute)):
                yield where, f"{attribute} '{element.get(attribute, '')[:60]}' is not a web address"


def person_roles(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _persons(view):
        role, group = (element.get("role") or "host").lower(), (element.get("group") or "cast").lower()
        if role not in PERSON_ROLES or group not in PERSON_GROUPS:
            yield where, f"role '{role[:40]}', group '{group[:40]}'"


def funding_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:funding", NS):
        text = (element.text or "").strip()
        if not is_url(element.get("url")) or len(text) > MAX_NAMESPACE_TEXT:
            yield "channel", f"url '{(element.get('url') or '')[:60]}', text of {len(text)} characters"


def txt_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:txt", NS):
        text = element.text or ""
        if not text.strip() or len(text) > MAX_TXT_CHARS or len(element.get("purpose") or "") > MAX_NAMESPACE_TEXT:
            yield "channel", f"text of {len(text)} characters, purpose of {len(element.get('purpose') or '')}"


def license_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:license", NS):
        text = (element.text or "").strip()
        url = element.get("url")
        if not text or len(text) > MAX_NAMESPACE_TEXT or (url is not None and not is_url(url)):
            yield "channel", f"'{text[:40]}' ({len(text)} characters)"


def medium_value(view: FeedView) -> Iterator[tuple[str, str]]:
    element = view.channel.find("podcast:medium", NS)
    if element is not None and (element.text or "").strip() not in MEDIUMS:
        yield "channel", f"found '{(element.text or '').strip()[:40]}'"


# --- history ------------------------------------------------------------------------------


def _identity(item: etree._Element) -> str:
    """What apps know an item by: its guid, or, without one, its enclosure URL (as after `podcast import`)."""
    guid = text_of(item, "guid")
    if guid:
        return guid
    enclosure = item.find("enclosure")
    return (enclosure.get("url") or "").strip() if enclosure is not None else ""


def guid_changes(view: HistoryView) -> Iterator[tuple[str, str]]:
    current = {text_of(item, "guid"): item for item in view.current}
    previous_guids = {_identity(item) for item in view.previous}
    fresh = [item for guid, item in current.items() if guid not in previous_guids]
    for old in view.previous:
        guid = _identity(old)
        if not guid or guid in current or guid in view.retired:
            continue
        match = _same_episode(old, fresh)
        if match is not None:
            yield f"'{text_of(old, 'title')[:60]}'", f"published as {guid}, now {text_of(match, 'guid')}"


def guid_disappearances(view: HistoryView) -> Iterator[tuple[str, str]]:
    current = {text_of(item, "guid") for item in view.current}
    previous_guids = {_identity(item) for item in view.previous}
    fresh = [item for item in view.current if text_of(item, "guid") not in previous_guids]
    for old in view.previous:
        guid = _identity(old)
        if guid and guid not in current and guid not in view.retired and _same_episode(old, fresh) is None:
            yield f"'{text_of(old, 'title')[:60]}'", f"guid {guid}"


def _same_episode(old: etree._Element, candidates: list[etree._Element]) -> etree._Element | None:
    """A new item that is evidently the same episode: same title, or same release time."""
    title, published = text_of(old, "title"), parse_date(text_of(old, "pubDate"))
    for item in candidates:
        if title and text_of(item, "title") == title:
            return item
        if published is not None and parse_date(text_of(item, "pubDate")) == published:
            return item
    return None


# --- artwork and online ---------------------------------------------------------------------


def artwork_square(info: ArtworkInfo) -> str | None:
    return None if info.width == info.height else f"{info.width}x{info.height} px"


def artwork_size(info: ArtworkInfo) -> str | None:
    return None if min(info.width, info.height) >= MIN_SIZE_PX else f"{info.width}x{info.height} px"


def artwork_converted(info: ArtworkInfo) -> str | None:
    """Format, colour mode, transparency and oversize: `publish` repairs these (artwork.prepare_artwork)."""
    problems = fixable_problems(info)
    return "; ".join(problems) if problems else None


def online_head(probe: Probe) -> str | None:
    if probe.head_status == 200:
        return None
    return f"{probe.url}: " + (f"HTTP {probe.head_status}" if probe.head_status else (probe.error or "no answer"))


def online_range(probe: Probe) -> str | None:
    if probe.kind != "enclosure" or probe.head_status != 200:
        return None
    if probe.range_status == 206:
        return None
    return (
        f"{probe.url}: HTTP {probe.range_status}"
        if probe.range_status
        else f"{probe.url}: {probe.error or 'no answer'}"
    )


def online_type(probe: Probe) -> str | None:
    if probe.head_status != 200 or probe.expected_type is None:
        return None
    served = (probe.head_type or "").split(";")[0].strip().lower()
    expected = probe.expected_type.split(";")[0].strip().lower()
    if probe.kind == "image":
        return None if served in ("image/jpeg", "image/png") else f"{probe.url} is served as '{served}'"
    return None if served == expected else f"{probe.url} is served as '{served}', the feed says '{expected}'"


def online_length(probe: Probe) -> str | None:
    if probe.head_status != 200 or probe.expected_length is None:
        return None
    served = probe.range_total if probe.range_total is not None else probe.head_length
    if served == probe.expected_length:
        return None
    return f"{probe.url} is {served} bytes, the feed says {probe.expected_length}"


def reported_by_runner(*_: object) -> tuple[()]:
    """For rules whose condition the runner itself meets (unparsable XML, an unreadable file or URL)."""
    return ()


# --- the rest of the Podcasting 2.0 namespace a show like ours uses ----------------------------


def _in_items(view: FeedView, path: str) -> Iterator[tuple[str, etree._Element]]:
    for index, item in enumerate(view.items):
        for element in item.findall(path, NS):
            yield item_name(item, index), element


def _everywhere(view: FeedView, path: str) -> Iterator[tuple[str, etree._Element]]:
    for element in view.channel.findall(path, NS):
        yield "channel", element
    yield from _in_items(view, path)


def image_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _everywhere(view, "podcast:image"):
        if not is_url(element.get("href")):
            yield where, f"href '{(element.get('href') or '')[:60]}' is not a web address"


def image_alt(view: FeedView) -> Iterator[tuple[str, str]]:
    """Screen readers read ``alt`` to listeners who cannot see the artwork."""
    for where, element in _everywhere(view, "podcast:image"):
        if not (element.get("alt") or "").strip():
            yield where, f"podcast:image {(element.get('href') or '')[:60]} has no alt text"


def update_frequency(view: FeedView) -> Iterator[tuple[str, str]]:
    from dateutil.rrule import rrulestr

    for element in view.channel.findall("podcast:updateFrequency", NS):
        text, rule_text = (element.text or "").strip(), element.get("rrule")
        if not text or len(text) > MAX_NAMESPACE_TEXT:
            yield "channel", f"text of {len(text)} characters"
        if element.get("complete") not in (None, "true", "false"):
            yield "channel", f"complete='{element.get('complete', '')[:10]}', not true/false"
        if rule_text is not None:
            try:
                rrulestr(rule_text, dtstart=datetime(2026, 1, 1))
            except (ValueError, TypeError):
                yield "channel", f"rrule '{rule_text[:60]}' is not an iCalendar RRULE"


def trailer_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:trailer", NS):
        title, length = (element.text or "").strip(), element.get("length")
        if not title or len(title) > MAX_NAMESPACE_TEXT:
            yield "channel", f"title of {len(title)} characters"
        if not is_url(element.get("url")):
            yield "channel", f"url '{(element.get('url') or '')[:60]}' is not a web address"
        if parse_date(element.get("pubdate") or "") is None:
            yield "channel", f"pubdate '{(element.get('pubdate') or '')[:40]}' is not an RFC 2822 date"
        if length is not None and not length.isdigit():
            yield "channel", f"length '{length[:20]}' is not a number of bytes"


def _is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def podroll_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:podroll/podcast:remoteItem", NS):
        if not _is_uuid(element.get("feedGuid")):
            yield "channel", f"feedGuid '{(element.get('feedGuid') or '')[:40]}' is not a podcast:guid"
        if element.get("feedUrl") is not None and not is_url(element.get("feedUrl")):
            yield "channel", f"feedUrl '{(element.get('feedUrl') or '')[:60]}' is not a web address"


def block_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:block", NS):
        if (element.text or "").strip() not in ("yes", "no"):
            yield "channel", f"found '{(element.text or '').strip()[:20]}', not yes/no"


def social_interact(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _in_items(view, "podcast:socialInteract"):
        protocol = (element.get("protocol") or "").strip()
        if not protocol:
            yield where, "no protocol"
        elif protocol != "disabled" and not is_url(element.get("uri")):
            yield where, f"uri '{(element.get('uri') or '')[:60]}' is not a web address"


def alternate_enclosures(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _in_items(view, "podcast:alternateEnclosure"):
        length = element.get("length") or ""
        if not (element.get("type") or "").strip() or not length.isdigit():
            yield where, f"type '{element.get('type') or ''}', length '{length[:20]}'"
        sources = [s.get("uri") for s in element.findall("podcast:source", NS)]
        if not sources or not all(is_url(uri) for uri in sources):
            yield where, f"sources {[str(uri)[:60] for uri in sources]}"
        for integrity in element.findall("podcast:integrity", NS):
            kind, value = integrity.get("type"), integrity.get("value") or ""
            if kind not in ("sri", "pgp-signature") or not value.strip():
                yield where, f"integrity type '{kind}', value '{value[:20]}'"
            elif kind == "sri" and not re.match(r"^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$", value):
                yield where, f"integrity value '{value[:30]}' is not Subresource Integrity (sha256-<base64>)"


def hub_links(channel: etree._Element) -> str | None:
    for link in channel.findall("atom:link", NS):
        if link.get("rel") == "hub" and not is_url(link.get("href")):
            return f"href '{(link.get('href') or '')[:60]}'"
    return None
