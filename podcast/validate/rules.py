"""`podcast validate`: rules as data, checked against the show and the feed it would publish.

Every rule is one row of :data:`RULES`: an id, a severity, what is wrong, how to fix it,
the scope it looks at and a small check. Adding a rule is adding a row (and a failing
and a passing case in tests/validate/test_validate.py, which refuses a rule without them).

Scopes, i.e. what a check is given:

* ``channel`` / ``item``: one parsed ``<channel>`` or ``<item>``; returns None when it
  passes, else a detail ("" for none);
* ``feed``: the whole feed (:class:`FeedView`); yields ``(where, detail)`` per problem
  (cross-item rules: GUID uniqueness, order, embargo leaks, namespace values);
* ``history``: the feed against the last published one; yields ``(where, detail)``;
* ``artwork``: one image file (:class:`~podcast.artwork.ArtworkInfo`);
* ``online``: one published URL as a directory fetches it (:class:`~podcast.validate.probes.Probe`).

Sources: Apple Podcasts' RSS requirements, Spotify's podcast delivery specification,
the Podcast Standards Project's PSP-1 and the Podcasting 2.0 namespace (value limits).
The rules are pure (elements in, details out). :mod:`podcast.validate.runner` runs them over
feed bytes and artwork files; only :func:`~podcast.validate.show.validate_show` reads the show
and the target, and only :mod:`podcast.validate.probes` touches the network.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from lxml import etree

from podcast.artwork import MIN_SIZE_PX, ArtworkInfo, fixable_problems
from podcast.publishing.feed import MAX_DESCRIPTION_BYTES
from podcast.show.manifest import show_guid
from podcast.validate.elements import (
    NS,
    attr,
    has,
    image_url,
    is_url,
    item_name,
    max_bytes,
    max_chars,
    one_of,
    optional_format,
    parse_date,
    positive_int,
    self_href,
    text_of,
)

if TYPE_CHECKING:
    from podcast.validate.probes import Probe

Severity = Literal["error", "warning"]
Scope = Literal["channel", "item", "feed", "history", "artwork", "online"]
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


# --- findings and rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    where: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.severity}: {self.where}: {self.message} — {self.fix} [{self.rule}]"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    scope: Scope
    message: str
    fix: str
    # channel/item/artwork/online: subject -> None (pass) or a detail; feed/history: -> (where, detail) pairs.
    check: Callable[..., Any]

    def finding(self, where: str, detail: str = "") -> Finding:
        message = f"{self.message} ({detail})" if detail else self.message
        return Finding(self.id, self.severity, where, message, self.fix)


@dataclass(frozen=True)
class FeedView:
    """A parsed feed and what whole-feed rules need besides it."""

    source: str
    channel: etree._Element
    items: list[etree._Element]
    now: datetime | None = None


@dataclass(frozen=True)
class HistoryView:
    """The feed about to be published, the last published one, and the GUIDs allowed to leave."""

    current: list[etree._Element]
    previous: list[etree._Element]
    retired: frozenset[str] = frozenset()  # withdrawn episodes, and ones trimmed by [feed] max_items


# --- channel and item checks --------------------------------------------------------------


def _feed_size(view: FeedView) -> Iterator[tuple[str, str]]:
    size = len(etree.tostring(view.channel, encoding="utf-8"))
    if size > MAX_FEED_BYTES:
        yield "feed.xml", f"{size:,} bytes"


def _self_link(channel: etree._Element) -> str | None:
    ok = any(link.get("rel") == "self" and is_url(link.get("href")) for link in channel.findall("atom:link", NS))
    return None if ok else ""


def _channel_guid_present(channel: etree._Element) -> str | None:
    if text_of(channel, "podcast:guid"):
        return None
    href = self_href(channel)
    return f'add guid = "{show_guid(href)}" under [show]' if href else ""


def _podcast_guid_format(channel: etree._Element) -> str | None:
    value = text_of(channel, "podcast:guid")
    if not value:
        return None
    try:
        uuid.UUID(value)
    except ValueError:
        return f"found '{value[:40]}'"
    return None


def _podcast_guid_placeholder(channel: etree._Element) -> str | None:
    """The scaffold's guid is shared by every new show: fine while base_url is the example too, not after."""
    from podcast.show.scaffold import PLACEHOLDER_BASE_URL

    placeholder_feed = f"{PLACEHOLDER_BASE_URL}/feed.xml"
    href = self_href(channel)
    if text_of(channel, "podcast:guid") != show_guid(placeholder_feed) or not href or href == placeholder_feed:
        return None
    return f'set guid = "{show_guid(href)}" under [show]'


def _locked_value(channel: etree._Element) -> str | None:
    found = channel.find("podcast:locked", NS)
    if found is None:
        return None
    if (found.text or "").strip() not in ("yes", "no"):
        return f"found '{(found.text or '').strip()[:20]}', not yes/no"
    if not (found.get("owner") or "").strip():
        return "no owner attribute"
    return None


def _language(channel: etree._Element) -> str | None:
    value = text_of(channel, "language")
    return (
        None
        if re.match(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", value)
        else (f"found '{value[:20]}'" if value else "missing")
    )


def _new_feed_url(channel: etree._Element) -> str | None:
    if channel.find("itunes:new-feed-url", NS) is None:
        return None
    value = text_of(channel, "itunes:new-feed-url")
    if not is_url(value):
        return f"found '{value[:80]}'"
    if value == self_href(channel):
        return "it is this feed's own address"
    return None


def _enclosure_present(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    return None if enclosure is not None and is_url(enclosure.get("url")) else ""


def _enclosure_length(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    if enclosure is None:
        return None
    length = enclosure.get("length", "")
    return None if length.isdigit() and int(length) > 0 else f"length '{length[:20]}'"


def _enclosure_type(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    if enclosure is None:
        return None
    kind = enclosure.get("type") or ""
    return None if re.match(r"^(audio|video)/[\w.+-]+$", kind) else f"type '{kind[:40]}'"


def _pub_date(item: etree._Element) -> str | None:
    text = text_of(item, "pubDate")
    return None if text and parse_date(text) else (f"found '{text[:40]}'" if text else "missing")


_duration_format = optional_format("itunes:duration", r"^(\d+|(\d+:)?[0-5]?\d:[0-5]\d)$")


def _guid_not_permalink(item: etree._Element) -> str | None:
    guid = item.find("guid")
    return None if guid is None or guid.get("isPermaLink") == "false" else ""


_podcast_episode = optional_format("podcast:episode", r"^\d+(\.\d+)?$")


def _transcripts(item: etree._Element) -> str | None:
    for element in item.findall("podcast:transcript", NS):
        if not is_url(element.get("url")) or not (element.get("type") or "").strip():
            return f"url '{(element.get('url') or '')[:80]}', type '{element.get('type') or ''}'"
    return None


def _chapters(item: etree._Element) -> str | None:
    element = item.find("podcast:chapters", NS)
    if element is None:
        return None
    if not is_url(element.get("url")) or element.get("type") != "application/json+chapters":
        return f"url '{(element.get('url') or '')[:80]}', type '{element.get('type') or ''}'"
    return None


def _psc_chapters(item: etree._Element) -> str | None:
    for chapter in item.findall("psc:chapters/psc:chapter", NS):
        start = chapter.get("start") or ""
        if not re.match(r"^(\d+:)?(\d+:)?\d+(\.\d+)?$", start) or not (chapter.get("title") or "").strip():
            return f"start '{start[:20]}', title '{(chapter.get('title') or '')[:40]}'"
    return None


# --- whole-feed checks ----------------------------------------------------------------------


def _guid_unique(view: FeedView) -> Iterator[tuple[str, str]]:
    seen: dict[str, int] = {}
    for index, item in enumerate(view.items):
        guid = text_of(item, "guid")
        if guid and guid in seen:
            yield item_name(item, index), f"same as item {seen[guid] + 1}"
        seen.setdefault(guid, index)


def _newest_first(view: FeedView) -> Iterator[tuple[str, str]]:
    dates = [parse_date(text_of(item, "pubDate")) for item in view.items]
    for index in range(1, len(dates)):
        before, this = dates[index - 1], dates[index]
        if before is not None and this is not None and this > before:
            yield item_name(view.items[index], index), f"newer than item {index}"
            return


def _not_before_release(view: FeedView) -> Iterator[tuple[str, str]]:
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


def _person_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _persons(view):
        name = (element.text or "").strip()
        if not name or len(name) > MAX_NAMESPACE_TEXT:
            yield where, f"name of {len(name)} characters"
        for attribute in ("href", "img"):
            if element.get(attribute) is not None and not is_url(element.get(attribute)):
                yield where, f"{attribute} '{element.get(attribute, '')[:60]}' is not a web address"


def _person_roles(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _persons(view):
        role, group = (element.get("role") or "host").lower(), (element.get("group") or "cast").lower()
        if role not in PERSON_ROLES or group not in PERSON_GROUPS:
            yield where, f"role '{role[:40]}', group '{group[:40]}'"


def _funding_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:funding", NS):
        text = (element.text or "").strip()
        if not is_url(element.get("url")) or len(text) > MAX_NAMESPACE_TEXT:
            yield "channel", f"url '{(element.get('url') or '')[:60]}', text of {len(text)} characters"


def _txt_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:txt", NS):
        text = element.text or ""
        if not text.strip() or len(text) > MAX_TXT_CHARS or len(element.get("purpose") or "") > MAX_NAMESPACE_TEXT:
            yield "channel", f"text of {len(text)} characters, purpose of {len(element.get('purpose') or '')}"


def _license_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:license", NS):
        text = (element.text or "").strip()
        url = element.get("url")
        if not text or len(text) > MAX_NAMESPACE_TEXT or (url is not None and not is_url(url)):
            yield "channel", f"'{text[:40]}' ({len(text)} characters)"


def _medium_value(view: FeedView) -> Iterator[tuple[str, str]]:
    element = view.channel.find("podcast:medium", NS)
    if element is not None and (element.text or "").strip() not in MEDIUMS:
        yield "channel", f"found '{(element.text or '').strip()[:40]}'"


# --- history ------------------------------------------------------------------------------


def _guid_changes(view: HistoryView) -> Iterator[tuple[str, str]]:
    current = {text_of(item, "guid"): item for item in view.current}
    previous_guids = {text_of(item, "guid") for item in view.previous}
    fresh = [item for guid, item in current.items() if guid not in previous_guids]
    for old in view.previous:
        guid = text_of(old, "guid")
        if not guid or guid in current or guid in view.retired:
            continue
        match = _same_episode(old, fresh)
        if match is not None:
            yield f"'{text_of(old, 'title')[:60]}'", f"published as {guid}, now {text_of(match, 'guid')}"


def _guid_disappearances(view: HistoryView) -> Iterator[tuple[str, str]]:
    current = {text_of(item, "guid") for item in view.current}
    previous_guids = {text_of(item, "guid") for item in view.previous}
    fresh = [item for item in view.current if text_of(item, "guid") not in previous_guids]
    for old in view.previous:
        guid = text_of(old, "guid")
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


def _artwork_square(info: ArtworkInfo) -> str | None:
    return None if info.width == info.height else f"{info.width}x{info.height} px"


def _artwork_size(info: ArtworkInfo) -> str | None:
    return None if min(info.width, info.height) >= MIN_SIZE_PX else f"{info.width}x{info.height} px"


def _artwork_converted(info: ArtworkInfo) -> str | None:
    """Format, colour mode, transparency and oversize: `publish` repairs these (artwork.prepare_artwork)."""
    problems = fixable_problems(info)
    return "; ".join(problems) if problems else None


def _online_head(probe: Probe) -> str | None:
    if probe.head_status == 200:
        return None
    return f"{probe.url}: " + (f"HTTP {probe.head_status}" if probe.head_status else (probe.error or "no answer"))


def _online_range(probe: Probe) -> str | None:
    if probe.kind != "enclosure" or probe.head_status != 200:
        return None
    if probe.range_status == 206:
        return None
    return (
        f"{probe.url}: HTTP {probe.range_status}"
        if probe.range_status
        else f"{probe.url}: {probe.error or 'no answer'}"
    )


def _online_type(probe: Probe) -> str | None:
    if probe.head_status != 200 or probe.expected_type is None:
        return None
    served = (probe.head_type or "").split(";")[0].strip().lower()
    expected = probe.expected_type.split(";")[0].strip().lower()
    if probe.kind == "image":
        return None if served in ("image/jpeg", "image/png") else f"{probe.url} is served as '{served}'"
    return None if served == expected else f"{probe.url} is served as '{served}', the feed says '{expected}'"


def _online_length(probe: Probe) -> str | None:
    if probe.head_status != 200 or probe.expected_length is None:
        return None
    served = probe.range_total if probe.range_total is not None else probe.head_length
    if served == probe.expected_length:
        return None
    return f"{probe.url} is {served} bytes, the feed says {probe.expected_length}"


def reported_by_runner(*_: object) -> tuple[()]:
    """For rules whose condition the runner itself meets (unparsable XML, an unreadable file or URL)."""
    return ()


# --- the rules ------------------------------------------------------------------------------

_255 = MAX_TEXT_CHARS
_4000 = MAX_DESCRIPTION_BYTES

RULES: list[Rule] = [
    # The document.
    Rule(
        "feed-xml",
        "error",
        "feed",
        "is not well-formed XML",
        "regenerate it with `podcast feed`; never edit feed.xml by hand",
        reported_by_runner,
    ),
    Rule(
        "feed-size",
        "warning",
        "feed",
        f"the feed is over {MAX_FEED_BYTES // 1_000_000} MB",
        "shorten the longest show notes, or set [feed] max_items: every app downloads the whole feed at every refresh",
        _feed_size,
    ),
    Rule(
        "feed-rss",
        "error",
        "feed",
        'is not an RSS 2.0 feed (no <rss version="2.0"><channel>)',
        "write the feed with `podcast feed`",
        reported_by_runner,
    ),
    # Channel: required by Apple, Spotify and PSP-1.
    Rule(
        "channel-title", "error", "channel", "the feed has no <title>", "set [show] title in podcast.toml", has("title")
    ),
    Rule(
        "channel-title-length",
        "error",
        "channel",
        f"<title> is over {_255} characters",
        "shorten [show] title",
        max_chars("title", _255),
    ),
    Rule(
        "channel-description",
        "error",
        "channel",
        "the feed has no <description>",
        "set [show] description",
        has("description"),
    ),
    Rule(
        "channel-description-length",
        "error",
        "channel",
        f"<description> is over {_4000} bytes",
        "shorten [show] description",
        max_bytes("description", _4000),
    ),
    Rule(
        "channel-link",
        "error",
        "channel",
        "the feed has no <link>",
        "set [show] link to the show's web page",
        has("link"),
    ),
    Rule(
        "channel-language",
        "error",
        "channel",
        "<language> is missing or not a language code",
        'set [show] language, e.g. "en-GB"',
        _language,
    ),
    Rule(
        "channel-image",
        "error",
        "channel",
        "the feed has no <itunes:image href>",
        "set [show] artwork",
        attr("itunes:image", "href"),
    ),
    Rule(
        "channel-image-url",
        "error",
        "channel",
        "<itunes:image href> is not a web address ending in .jpg or .png",
        "use JPEG or PNG artwork; publish with `podcast publish`",
        image_url("itunes:image"),
    ),
    Rule(
        "channel-category",
        "error",
        "channel",
        "the feed has no <itunes:category>",
        "set [show] categories",
        attr("itunes:category", "text"),
    ),
    Rule(
        "channel-explicit",
        "error",
        "channel",
        "<itunes:explicit> is missing or not true/false",
        "set [show] explicit = true or false",
        one_of("itunes:explicit", {"true", "false"}),
    ),
    Rule(
        "channel-self-link",
        "error",
        "channel",
        'the feed has no <atom:link rel="self"> with a web address',
        "set [publish] base_url",
        _self_link,
    ),
    Rule(
        "channel-owner-email",
        "error",
        "channel",
        "the feed has no <itunes:owner><itunes:email> (Spotify and Apple verify ownership with it)",
        "set [show] owner.email",
        has("itunes:owner/itunes:email"),
    ),
    Rule(
        "channel-new-feed-url",
        "error",
        "channel",
        "<itunes:new-feed-url> is not the web address of another feed",
        "set [publish] new_feed_url to the new feed's full address, or remove it",
        _new_feed_url,
    ),
    # Channel: recommended.
    Rule(
        "channel-author",
        "warning",
        "channel",
        "the feed has no <itunes:author>",
        "set [show] author",
        has("itunes:author"),
    ),
    Rule(
        "channel-author-length",
        "error",
        "channel",
        f"<itunes:author> is over {_255} characters",
        "shorten [show] author",
        max_chars("itunes:author", _255),
    ),
    Rule(
        "channel-type",
        "warning",
        "channel",
        "<itunes:type> is missing or not episodic/serial",
        'set [show] type = "episodic" or "serial"',
        one_of("itunes:type", {"episodic", "serial"}),
    ),
    Rule(
        "channel-copyright",
        "warning",
        "channel",
        "the feed has no <copyright>",
        'set [show] copyright, e.g. "© 2026 Example Charity"',
        has("copyright"),
    ),
    Rule(
        "channel-block",
        "warning",
        "channel",
        "<itunes:block> is not Yes (any other value is ignored)",
        "set [show] block = true, or remove it",
        one_of("itunes:block", {"Yes"}, optional=True),
    ),
    Rule(
        "channel-complete",
        "warning",
        "channel",
        "<itunes:complete> is not Yes (any other value is ignored)",
        "set [show] complete = true, or remove it",
        one_of("itunes:complete", {"Yes"}, optional=True),
    ),
    # Channel: Podcasting 2.0.
    Rule(
        "channel-guid",
        "warning",
        "channel",
        "the feed has no <podcast:guid>",
        "add [show] guid to podcast.toml (the UUIDv5 of the feed URL; never change it)",
        _channel_guid_present,
    ),
    Rule(
        "podcast-guid-format",
        "error",
        "channel",
        "<podcast:guid> is not a UUID",
        "set [show] guid to the value `podcast init` writes (UUIDv5 of the feed URL)",
        _podcast_guid_format,
    ),
    Rule(
        "podcast-guid-placeholder",
        "error",
        "channel",
        "<podcast:guid> is still the example guid every new show starts with (directories would merge this show with others)",
        "set [show] guid to the UUIDv5 of the real feed URL, once, and never change it again",
        _podcast_guid_placeholder,
    ),
    Rule(
        "channel-locked",
        "warning",
        "channel",
        "the feed has no <podcast:locked>",
        "set [show] locked = true so no other host can import the show",
        has("podcast:locked"),
    ),
    Rule(
        "podcast-locked-value",
        "error",
        "channel",
        "<podcast:locked> must be yes or no with an owner email",
        "set [show] locked and owner.email",
        _locked_value,
    ),
    Rule(
        "podcast-funding",
        "error",
        "feed",
        f"<podcast:funding> needs a web address and at most {MAX_NAMESPACE_TEXT} characters of text",
        'fix [show] funding = { url = "https://...", text = "..." }',
        _funding_values,
    ),
    Rule(
        "podcast-person",
        "error",
        "feed",
        f"<podcast:person> needs a name of 1-{MAX_NAMESPACE_TEXT} characters and web addresses for href/img",
        "fix the persons tables in podcast.toml or episode.toml",
        _person_values,
    ),
    Rule(
        "podcast-person-role",
        "warning",
        "feed",
        "<podcast:person> role or group is not in the Podcast Taxonomy",
        'use a role such as "host", "guest" or "producer" and a group such as "cast" or "audio production"',
        _person_roles,
    ),
    Rule(
        "podcast-txt",
        "error",
        "feed",
        f"<podcast:txt> must hold 1-{MAX_TXT_CHARS} characters, purpose at most {MAX_NAMESPACE_TEXT}",
        "check [show] apple_verify",
        _txt_values,
    ),
    Rule(
        "podcast-license",
        "error",
        "feed",
        f"<podcast:license> must be 1-{MAX_NAMESPACE_TEXT} characters (and its url a web address)",
        'use a short licence id such as "cc-by-nc-nd-4.0" in [show] license',
        _license_values,
    ),
    Rule(
        "podcast-medium",
        "error",
        "feed",
        "<podcast:medium> is not a Podcasting 2.0 medium",
        'set [show] medium = "podcast"',
        _medium_value,
    ),
    # Items: required.
    Rule("item-title", "error", "item", "an episode has no <title>", "set title in its episode.toml", has("title")),
    Rule(
        "item-title-length",
        "error",
        "item",
        f"an episode's <title> is over {_255} characters",
        "shorten the title in its episode.toml",
        max_chars("title", _255),
    ),
    Rule(
        "item-enclosure",
        "error",
        "item",
        "an episode has no <enclosure> with an http(s) url",
        "rebuild and publish with `podcast publish`",
        _enclosure_present,
    ),
    Rule(
        "item-enclosure-length",
        "error",
        "item",
        "an episode's <enclosure length> is not its size in bytes",
        "publish with `podcast publish`, which measures the file",
        _enclosure_length,
    ),
    Rule(
        "item-enclosure-type",
        "error",
        "item",
        "an episode's <enclosure type> is not an audio or video MIME type",
        'publish MP3s (type "audio/mpeg") with `podcast publish`',
        _enclosure_type,
    ),
    Rule(
        "item-guid",
        "error",
        "item",
        "an episode has no <guid>",
        "create episodes with `podcast new`, which writes a guid",
        has("guid"),
    ),
    Rule(
        "item-guid-unique",
        "error",
        "feed",
        "two episodes have the same <guid>",
        "give every episode its own guid: create episodes with `podcast new`, never copy folders",
        _guid_unique,
    ),
    Rule(
        "item-pubdate",
        "error",
        "item",
        "an episode has no valid RFC 822 <pubDate>",
        "set published (with a time zone) in its episode.toml",
        _pub_date,
    ),
    Rule(
        "item-pubdate-future",
        "error",
        "feed",
        "an episode is listed before its release time (an embargo leak)",
        "remove it from the published feed: set published to the release time and republish",
        _not_before_release,
    ),
    Rule(
        "item-description-length",
        "error",
        "item",
        f"an episode's <description> is over {_4000} bytes",
        "shorten its show notes (podcast feed trims them; regenerate the feed)",
        max_bytes("description", _4000),
    ),
    Rule(
        "item-explicit",
        "error",
        "item",
        "an episode's <itunes:explicit> is not true/false",
        "set explicit = true or false in its episode.toml",
        one_of("itunes:explicit", {"true", "false"}, optional=True),
    ),
    Rule(
        "item-episode-type",
        "error",
        "item",
        "<itunes:episodeType> is not full, trailer or bonus",
        'set type = "full", "trailer" or "bonus" in its episode.toml',
        one_of("itunes:episodeType", {"full", "trailer", "bonus"}, optional=True),
    ),
    Rule(
        "item-episode-number",
        "error",
        "item",
        "<itunes:episode> is not a whole number above 0",
        "set number in its episode.toml (trailers may leave it 0)",
        positive_int("itunes:episode"),
    ),
    Rule(
        "item-season",
        "error",
        "item",
        "<itunes:season> is not a whole number above 0",
        "set season = 1 or more in its episode.toml",
        positive_int("itunes:season"),
    ),
    Rule(
        "item-image-url",
        "error",
        "item",
        "an episode's <itunes:image href> is not a web address ending in .jpg or .png",
        "use JPEG or PNG episode artwork",
        image_url("itunes:image"),
    ),
    Rule(
        "item-itunes-title-length",
        "error",
        "item",
        f"<itunes:title> is over {_255} characters",
        "shorten the title in its episode.toml",
        max_chars("itunes:title", _255),
    ),
    Rule(
        "item-guid-permalink",
        "warning",
        "item",
        '<guid> should have isPermaLink="false"',
        "keep GUIDs as opaque ids, never URLs",
        _guid_not_permalink,
    ),
    # Items: recommended.
    Rule(
        "item-order",
        "warning",
        "feed",
        "episodes are not listed newest first",
        "regenerate the feed with `podcast feed`",
        _newest_first,
    ),
    Rule(
        "item-duration",
        "warning",
        "item",
        "an episode has no <itunes:duration>",
        "rebuild it with `podcast build`",
        has("itunes:duration"),
    ),
    Rule(
        "item-duration-format",
        "error",
        "item",
        "<itunes:duration> is not HH:MM:SS or seconds",
        "rebuild it with `podcast build`",
        _duration_format,
    ),
    Rule(
        "item-description",
        "warning",
        "item",
        "an episode has no <description>",
        "write show notes in description",
        has("description"),
    ),
    Rule(
        "item-content",
        "warning",
        "item",
        "an episode has no <content:encoded> (HTML show notes)",
        "write show notes in description",
        has("content:encoded"),
    ),
    Rule(
        "item-content-size",
        "warning",
        "item",
        f"<content:encoded> is over {MAX_NOTES_BYTES // 1000} KB",
        "shorten the show notes and link to a web page for the rest: every app downloads them at every refresh",
        max_bytes("content:encoded", MAX_NOTES_BYTES),
    ),
    Rule(
        "item-image",
        "warning",
        "item",
        "an episode has no <itunes:image>",
        "set [show] artwork (episodes fall back to it) or the episode's artwork",
        attr("itunes:image", "href"),
    ),
    # Items: Podcasting 2.0.
    Rule(
        "podcast-season",
        "error",
        "item",
        "<podcast:season> is not a whole number above 0",
        "set season = 1 or more in its episode.toml",
        positive_int("podcast:season"),
    ),
    Rule(
        "podcast-episode",
        "error",
        "item",
        "<podcast:episode> is not a number",
        "set number in its episode.toml",
        _podcast_episode,
    ),
    Rule(
        "podcast-transcript",
        "error",
        "item",
        "<podcast:transcript> needs a url and a type",
        "rebuild and publish the transcript",
        _transcripts,
    ),
    Rule(
        "podcast-chapters",
        "error",
        "item",
        '<podcast:chapters> needs a url and type="application/json+chapters"',
        "rebuild and publish the chapters",
        _chapters,
    ),
    Rule(
        "psc-chapters",
        "error",
        "item",
        "a <psc:chapter> needs a start time (HH:MM:SS.mmm) and a title",
        "fix the [[chapters]] in its episode.toml",
        _psc_chapters,
    ),
    # Against the last published feed: apps know episodes only by GUID.
    Rule(
        "guid-changed",
        "error",
        "history",
        "an episode's GUID changed since the last published feed: every app will list it twice and download it again",
        "put the old guid back in its episode.toml (GUIDs never change)",
        _guid_changes,
    ),
    Rule(
        "guid-disappeared",
        "error",
        "history",
        "an episode in the last published feed is gone without being withdrawn",
        "restore its episode folder, or set withdrawn = true in its episode.toml",
        _guid_disappearances,
    ),
    Rule(
        "history-unreadable",
        "warning",
        "history",
        "the last published feed cannot be read, so GUID stability was not checked",
        "republish with `podcast publish` to replace it",
        reported_by_runner,
    ),
    # Artwork files.
    Rule(
        "artwork-readable",
        "error",
        "artwork",
        "is not an image that can be read",
        "save the artwork as a square RGB JPEG or PNG",
        reported_by_runner,
    ),
    Rule(
        "artwork-square",
        "error",
        "artwork",
        "artwork is not square",
        "crop it square and export it again",
        _artwork_square,
    ),
    Rule(
        "artwork-size",
        "error",
        "artwork",
        f"artwork is smaller than {MIN_SIZE_PX}x{MIN_SIZE_PX} px (scaling up would blur it)",
        "export it at 1400-3000 px square (3000 is best)",
        _artwork_size,
    ),
    Rule(
        "artwork-converted",
        "warning",
        "artwork",
        "artwork breaks Apple's format, colour or size rules; `podcast publish` publishes a repaired copy",
        "export a square RGB JPEG or PNG of 1400-3000 px to publish it unchanged",
        _artwork_converted,
    ),
    # Online (--online): what a directory does with each published URL.
    Rule(
        "online-feed",
        "error",
        "online",
        "the published feed cannot be fetched",
        "publish with `podcast publish` and check [publish] base_url serves the target",
        reported_by_runner,
    ),
    Rule(
        "online-head",
        "error",
        "online",
        "a URL in the feed does not answer HEAD with 200",
        "publish again with `podcast publish`; check the server or bucket is public",
        _online_head,
    ),
    Rule(
        "online-range",
        "error",
        "online",
        "an enclosure does not answer a Range request with 206 (apps cannot seek or resume)",
        "serve media from a server or CDN with byte-range support",
        _online_range,
    ),
    Rule(
        "online-content-type",
        "error",
        "online",
        "a URL's Content-Type does not match the feed",
        "set the object's Content-Type (e.g. audio/mpeg) and republish",
        _online_type,
    ),
    Rule(
        "online-length",
        "error",
        "online",
        "an enclosure's size does not match the feed's length",
        "republish with `podcast publish` so the feed and the file agree",
        _online_length,
    ),
]

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
