"""`podcast validate`: rules as data, checked against the show and the feed it would publish.

Every rule is one row of :data:`RULES`: an id, a severity, what is wrong, how to fix it,
the scope it looks at and a small check. Adding a rule is adding a row (and a failing
and a passing case in tests/test_validate.py, which refuses a rule without them).

Scopes, i.e. what a check is given:

* ``channel`` / ``item``: one parsed ``<channel>`` or ``<item>``; returns None when it
  passes, else a detail ("" for none);
* ``feed``: the whole feed (:class:`FeedView`); yields ``(where, detail)`` per problem
  (cross-item rules: GUID uniqueness, order, embargo leaks, namespace values);
* ``history``: the feed against the last published one; yields ``(where, detail)``;
* ``artwork``: one image file (:class:`~podcast.artwork.ArtworkInfo`);
* ``online``: one published URL as a directory fetches it (:class:`Probe`).

Sources: Apple Podcasts' RSS requirements, Spotify's podcast delivery specification,
the Podcast Standards Project's PSP-1 and the Podcasting 2.0 namespace (value limits).
The core is pure (bytes in, findings out); only :func:`validate_show` reads the show and
the target, and only :func:`probe_url` touches the network.
"""

from __future__ import annotations

import email.utils
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from podcast.artwork import MIN_SIZE_PX, ArtworkInfo, fixable_problems, inspect_artwork
from podcast.errors import PodcastError
from podcast.publishing.feed import ATOM_NS, CONTENT_NS, ITUNES_NS, MAX_DESCRIPTION_BYTES, PODCAST_NS, PSC_NS
from podcast.show.manifest import show_guid

Severity = Literal["error", "warning"]
Scope = Literal["channel", "item", "feed", "history", "artwork", "online"]
NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS, "content": CONTENT_NS, "psc": PSC_NS}
MAX_TEXT_CHARS = 255  # titles, authors: Apple and Spotify truncate or reject longer
MAX_NAMESPACE_TEXT = 128  # podcast:funding, podcast:person, podcast:license, podcast:txt purpose
MAX_TXT_CHARS = 4000  # podcast:txt
MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog",
           "podcastL", "musicL", "videoL", "filmL", "audiobookL", "newsletterL", "blogL", "publisher"}  # fmt: skip
# The Podcast Taxonomy Project's groups and roles (lower case), as podcast:person should use them.
PERSON_GROUPS = frozenset({
    "creative direction", "cast", "writing", "audio production", "audio post-production", "administration",
    "visuals", "community", "misc.", "video production", "video post-production",
})
PERSON_ROLES = frozenset({
    "director", "assistant director", "executive producer", "senior producer", "producer", "associate producer",
    "development producer", "creative director", "host", "co-host", "guest host", "guest", "voice actor",
    "narrator", "announcer", "reporter", "author", "editorial director", "co-writer", "writer", "songwriter",
    "guest writer", "story editor", "managing editor", "script editor", "script coordinator", "researcher",
    "editor", "fact checker", "translator", "transcriber", "logger", "studio coordinator", "technical director",
    "technical manager", "audio engineer", "remote recording engineer", "post production engineer", "audio editor",
    "sound designer", "foley artist", "composer", "theme music", "music production", "music contributor",
    "production coordinator", "booking coordinator", "production assistant", "content manager",
    "marketing manager", "sales representative", "sales manager", "graphic designer", "cover art designer",
    "social media manager", "consultant", "intern", "camera operator", "lighting designer", "camera grip",
    "assistant camera", "assistant editor",
})
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
USER_AGENT = "survivor-voices-podcast-validate/1 (like a podcast directory)"


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


@dataclass(frozen=True)
class Probe:
    """What a directory sees when it fetches one URL named by the feed."""

    url: str
    kind: str  # "enclosure", "image", "transcript", "chapters"
    expected_type: str | None
    expected_length: int | None
    head_status: int | None = None  # None: no answer at all
    head_type: str | None = None
    head_length: int | None = None
    range_status: int | None = None
    range_total: int | None = None  # from Content-Range
    error: str | None = None


# --- small check builders -------------------------------------------------------------------


def _text(element: etree._Element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _has(path: str) -> Callable[[etree._Element], str | None]:
    return lambda element: None if _text(element, path) else ""


def _attr(path: str, name: str) -> Callable[[etree._Element], str | None]:
    def check(element: etree._Element) -> str | None:
        found = element.find(path, NS)
        return None if found is not None and (found.get(name) or "").strip() else ""

    return check


def _one_of(path: str, values: set[str], *, optional: bool = False) -> Callable[[etree._Element], str | None]:
    def check(element: etree._Element) -> str | None:
        if optional and element.find(path, NS) is None:
            return None
        value = _text(element, path)
        return None if value in values else (f"found '{value[:40]}'" if value else "missing")

    return check


def _max_chars(path: str, limit: int) -> Callable[[etree._Element], str | None]:
    def check(element: etree._Element) -> str | None:
        length = len(_text(element, path))
        return None if length <= limit else f"{length} characters"

    return check


def _max_bytes(path: str, limit: int) -> Callable[[etree._Element], str | None]:
    def check(element: etree._Element) -> str | None:
        size = len(_text(element, path).encode("utf-8"))
        return None if size <= limit else f"{size} bytes"

    return check


def _positive_int(path: str) -> Callable[[etree._Element], str | None]:
    def check(element: etree._Element) -> str | None:
        if element.find(path, NS) is None:
            return None  # optional
        value = _text(element, path)
        return None if value.isdigit() and int(value) > 0 else f"found '{value[:20]}'"

    return check


def _is_url(value: str | None) -> bool:
    """An absolute http(s) address without spaces.

    >>> _is_url("https://example.org/a.mp3"), _is_url("/a.mp3"), _is_url("javascript:alert(1)")
    (True, False, False)
    """
    return bool(value) and re.match(r"^https?://[^\s]+$", value or "") is not None


def _image_url(path: str) -> Callable[[etree._Element], str | None]:
    def check(element: etree._Element) -> str | None:
        found = element.find(path, NS)
        if found is None:
            return None  # missing is a separate rule
        href = found.get("href") or ""
        if _is_url(href) and href.split("?")[0].lower().endswith(IMAGE_SUFFIXES):
            return None
        return f"href '{href[:80]}'"

    return check


def _self_link(channel: etree._Element) -> str | None:
    ok = any(link.get("rel") == "self" and _is_url(link.get("href")) for link in channel.findall("atom:link", NS))
    return None if ok else ""


def _self_href(channel: etree._Element) -> str | None:
    for link in channel.findall("atom:link", NS):
        if link.get("rel") == "self" and link.get("href"):
            return link.get("href")
    return None


def _channel_guid_present(channel: etree._Element) -> str | None:
    if _text(channel, "podcast:guid"):
        return None
    href = _self_href(channel)
    return f'add guid = "{show_guid(href)}" under [show]' if href else ""


def _podcast_guid_format(channel: etree._Element) -> str | None:
    value = _text(channel, "podcast:guid")
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
    href = _self_href(channel)
    if _text(channel, "podcast:guid") != show_guid(placeholder_feed) or not href or href == placeholder_feed:
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
    value = _text(channel, "language")
    return None if re.match(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", value) else (f"found '{value[:20]}'" if value else "missing")


def _new_feed_url(channel: etree._Element) -> str | None:
    if channel.find("itunes:new-feed-url", NS) is None:
        return None
    value = _text(channel, "itunes:new-feed-url")
    if not _is_url(value):
        return f"found '{value[:80]}'"
    if value == _self_href(channel):
        return "it is this feed's own address"
    return None


def _enclosure_present(item: etree._Element) -> str | None:
    enclosure = item.find("enclosure")
    return None if enclosure is not None and _is_url(enclosure.get("url")) else ""


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


def _parse_date(text: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _pub_date(item: etree._Element) -> str | None:
    text = _text(item, "pubDate")
    return None if text and _parse_date(text) else (f"found '{text[:40]}'" if text else "missing")


def _optional_format(path: str, pattern: str) -> Callable[[etree._Element], str | None]:
    """A check that passes when ``path`` is absent, or present with text matching ``pattern``."""

    def check(item: etree._Element) -> str | None:
        if item.find(path, NS) is None:
            return None
        value = _text(item, path)
        return None if re.match(pattern, value) else f"found '{value[:20]}'"

    return check


_duration_format = _optional_format("itunes:duration", r"^(\d+|(\d+:)?[0-5]?\d:[0-5]\d)$")


def _guid_not_permalink(item: etree._Element) -> str | None:
    guid = item.find("guid")
    return None if guid is None or guid.get("isPermaLink") == "false" else ""


_podcast_episode = _optional_format("podcast:episode", r"^\d+(\.\d+)?$")


def _transcripts(item: etree._Element) -> str | None:
    for element in item.findall("podcast:transcript", NS):
        if not _is_url(element.get("url")) or not (element.get("type") or "").strip():
            return f"url '{(element.get('url') or '')[:80]}', type '{element.get('type') or ''}'"
    return None


def _chapters(item: etree._Element) -> str | None:
    element = item.find("podcast:chapters", NS)
    if element is None:
        return None
    if not _is_url(element.get("url")) or element.get("type") != "application/json+chapters":
        return f"url '{(element.get('url') or '')[:80]}', type '{element.get('type') or ''}'"
    return None


def _psc_chapters(item: etree._Element) -> str | None:
    for chapter in item.findall("psc:chapters/psc:chapter", NS):
        start = chapter.get("start") or ""
        if not re.match(r"^(\d+:)?(\d+:)?\d+(\.\d+)?$", start) or not (chapter.get("title") or "").strip():
            return f"start '{start[:20]}', title '{(chapter.get('title') or '')[:40]}'"
    return None


# --- whole-feed checks ----------------------------------------------------------------------


def _item_name(item: etree._Element, index: int) -> str:
    title = _text(item, "title")
    return f"item {index + 1}" + (f" ({title[:40]})" if title else "")


def _guid_unique(view: FeedView) -> Iterator[tuple[str, str]]:
    seen: dict[str, int] = {}
    for index, item in enumerate(view.items):
        guid = _text(item, "guid")
        if guid and guid in seen:
            yield _item_name(item, index), f"same as item {seen[guid] + 1}"
        seen.setdefault(guid, index)


def _newest_first(view: FeedView) -> Iterator[tuple[str, str]]:
    dates = [_parse_date(_text(item, "pubDate")) for item in view.items]
    for index in range(1, len(dates)):
        before, this = dates[index - 1], dates[index]
        if before is not None and this is not None and this > before:
            yield _item_name(view.items[index], index), f"newer than item {index}"
            return


def _not_before_release(view: FeedView) -> Iterator[tuple[str, str]]:
    if view.now is None:
        return
    for index, item in enumerate(view.items):
        published = _parse_date(_text(item, "pubDate"))
        if published is not None and published > view.now:
            yield _item_name(item, index), f"pubDate {published.isoformat()} is after now"


def _persons(view: FeedView) -> Iterator[tuple[str, etree._Element]]:
    for element in view.channel.findall("podcast:person", NS):
        yield "channel", element
    for index, item in enumerate(view.items):
        for element in item.findall("podcast:person", NS):
            yield _item_name(item, index), element


def _person_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _persons(view):
        name = (element.text or "").strip()
        if not name or len(name) > MAX_NAMESPACE_TEXT:
            yield where, f"name of {len(name)} characters"
        for attribute in ("href", "img"):
            if element.get(attribute) is not None and not _is_url(element.get(attribute)):
                yield where, f"{attribute} '{element.get(attribute, '')[:60]}' is not a web address"


def _person_roles(view: FeedView) -> Iterator[tuple[str, str]]:
    for where, element in _persons(view):
        role, group = (element.get("role") or "host").lower(), (element.get("group") or "cast").lower()
        if role not in PERSON_ROLES or group not in PERSON_GROUPS:
            yield where, f"role '{role[:40]}', group '{group[:40]}'"


def _funding_values(view: FeedView) -> Iterator[tuple[str, str]]:
    for element in view.channel.findall("podcast:funding", NS):
        text = (element.text or "").strip()
        if not _is_url(element.get("url")) or len(text) > MAX_NAMESPACE_TEXT:
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
        if not text or len(text) > MAX_NAMESPACE_TEXT or (url is not None and not _is_url(url)):
            yield "channel", f"'{text[:40]}' ({len(text)} characters)"


def _medium_value(view: FeedView) -> Iterator[tuple[str, str]]:
    element = view.channel.find("podcast:medium", NS)
    if element is not None and (element.text or "").strip() not in MEDIUMS:
        yield "channel", f"found '{(element.text or '').strip()[:40]}'"


# --- history ------------------------------------------------------------------------------


def _guid_changes(view: HistoryView) -> Iterator[tuple[str, str]]:
    current = {_text(item, "guid"): item for item in view.current}
    previous_guids = {_text(item, "guid") for item in view.previous}
    fresh = [item for guid, item in current.items() if guid not in previous_guids]
    for old in view.previous:
        guid = _text(old, "guid")
        if not guid or guid in current or guid in view.retired:
            continue
        match = _same_episode(old, fresh)
        if match is not None:
            yield f"'{_text(old, 'title')[:60]}'", f"published as {guid}, now {_text(match, 'guid')}"


def _guid_disappearances(view: HistoryView) -> Iterator[tuple[str, str]]:
    current = {_text(item, "guid") for item in view.current}
    previous_guids = {_text(item, "guid") for item in view.previous}
    fresh = [item for item in view.current if _text(item, "guid") not in previous_guids]
    for old in view.previous:
        guid = _text(old, "guid")
        if guid and guid not in current and guid not in view.retired and _same_episode(old, fresh) is None:
            yield f"'{_text(old, 'title')[:60]}'", f"guid {guid}"


def _same_episode(old: etree._Element, candidates: list[etree._Element]) -> etree._Element | None:
    """A new item that is evidently the same episode: same title, or same release time."""
    title, published = _text(old, "title"), _parse_date(_text(old, "pubDate"))
    for item in candidates:
        if title and _text(item, "title") == title:
            return item
        if published is not None and _parse_date(_text(item, "pubDate")) == published:
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
    return f"{probe.url}: HTTP {probe.range_status}" if probe.range_status else f"{probe.url}: {probe.error or 'no answer'}"


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


def _reported_by_runner(*_: object) -> tuple[()]:
    """For rules whose condition the runner itself meets (unparsable XML, an unreadable file or URL)."""
    return ()


# --- the rules ------------------------------------------------------------------------------

_255 = MAX_TEXT_CHARS
_4000 = MAX_DESCRIPTION_BYTES

RULES: list[Rule] = [
    # The document.
    Rule("feed-xml", "error", "feed", "is not well-formed XML", "regenerate it with `podcast feed`; never edit feed.xml by hand", _reported_by_runner),
    Rule("feed-rss", "error", "feed", "is not an RSS 2.0 feed (no <rss version=\"2.0\"><channel>)", "write the feed with `podcast feed`", _reported_by_runner),
    # Channel: required by Apple, Spotify and PSP-1.
    Rule("channel-title", "error", "channel", "the feed has no <title>", "set [show] title in podcast.toml", _has("title")),
    Rule("channel-title-length", "error", "channel", f"<title> is over {_255} characters", "shorten [show] title", _max_chars("title", _255)),
    Rule("channel-description", "error", "channel", "the feed has no <description>", "set [show] description", _has("description")),
    Rule("channel-description-length", "error", "channel", f"<description> is over {_4000} bytes", "shorten [show] description", _max_bytes("description", _4000)),
    Rule("channel-link", "error", "channel", "the feed has no <link>", "set [show] link to the show's web page", _has("link")),
    Rule("channel-language", "error", "channel", "<language> is missing or not a language code", 'set [show] language, e.g. "en-GB"', _language),
    Rule("channel-image", "error", "channel", "the feed has no <itunes:image href>", "set [show] artwork", _attr("itunes:image", "href")),
    Rule("channel-image-url", "error", "channel", "<itunes:image href> is not a web address ending in .jpg or .png", "use JPEG or PNG artwork; publish with `podcast publish`", _image_url("itunes:image")),
    Rule("channel-category", "error", "channel", "the feed has no <itunes:category>", "set [show] categories", _attr("itunes:category", "text")),
    Rule("channel-explicit", "error", "channel", "<itunes:explicit> is missing or not true/false", "set [show] explicit = true or false", _one_of("itunes:explicit", {"true", "false"})),
    Rule("channel-self-link", "error", "channel", 'the feed has no <atom:link rel="self"> with a web address', "set [publish] base_url", _self_link),
    Rule("channel-owner-email", "error", "channel", "the feed has no <itunes:owner><itunes:email> (Spotify and Apple verify ownership with it)", "set [show] owner.email", _has("itunes:owner/itunes:email")),
    Rule("channel-new-feed-url", "error", "channel", "<itunes:new-feed-url> is not the web address of another feed", "set [publish] new_feed_url to the new feed's full address, or remove it", _new_feed_url),
    # Channel: recommended.
    Rule("channel-author", "warning", "channel", "the feed has no <itunes:author>", "set [show] author", _has("itunes:author")),
    Rule("channel-author-length", "error", "channel", f"<itunes:author> is over {_255} characters", "shorten [show] author", _max_chars("itunes:author", _255)),
    Rule("channel-type", "warning", "channel", "<itunes:type> is missing or not episodic/serial", 'set [show] type = "episodic" or "serial"', _one_of("itunes:type", {"episodic", "serial"})),
    Rule("channel-copyright", "warning", "channel", "the feed has no <copyright>", 'set [show] copyright, e.g. "© 2026 Example Charity"', _has("copyright")),
    Rule("channel-block", "warning", "channel", "<itunes:block> is not Yes (any other value is ignored)", "set [show] block = true, or remove it", _one_of("itunes:block", {"Yes"}, optional=True)),
    Rule("channel-complete", "warning", "channel", "<itunes:complete> is not Yes (any other value is ignored)", "set [show] complete = true, or remove it", _one_of("itunes:complete", {"Yes"}, optional=True)),
    # Channel: Podcasting 2.0.
    Rule("channel-guid", "warning", "channel", "the feed has no <podcast:guid>", "add [show] guid to podcast.toml (the UUIDv5 of the feed URL; never change it)", _channel_guid_present),
    Rule("podcast-guid-format", "error", "channel", "<podcast:guid> is not a UUID", "set [show] guid to the value `podcast init` writes (UUIDv5 of the feed URL)", _podcast_guid_format),
    Rule("podcast-guid-placeholder", "error", "channel", "<podcast:guid> is still the example guid every new show starts with (directories would merge this show with others)", "set [show] guid to the UUIDv5 of the real feed URL, once, and never change it again", _podcast_guid_placeholder),
    Rule("channel-locked", "warning", "channel", "the feed has no <podcast:locked>", "set [show] locked = true so no other host can import the show", _has("podcast:locked")),
    Rule("podcast-locked-value", "error", "channel", "<podcast:locked> must be yes or no with an owner email", "set [show] locked and owner.email", _locked_value),
    Rule("podcast-funding", "error", "feed", f"<podcast:funding> needs a web address and at most {MAX_NAMESPACE_TEXT} characters of text", "fix [show] funding = { url = \"https://...\", text = \"...\" }", _funding_values),
    Rule("podcast-person", "error", "feed", f"<podcast:person> needs a name of 1-{MAX_NAMESPACE_TEXT} characters and web addresses for href/img", "fix the persons tables in podcast.toml or episode.toml", _person_values),
    Rule("podcast-person-role", "warning", "feed", "<podcast:person> role or group is not in the Podcast Taxonomy", 'use a role such as "host", "guest" or "producer" and a group such as "cast" or "audio production"', _person_roles),
    Rule("podcast-txt", "error", "feed", f"<podcast:txt> must hold 1-{MAX_TXT_CHARS} characters, purpose at most {MAX_NAMESPACE_TEXT}", "check [show] apple_verify", _txt_values),
    Rule("podcast-license", "error", "feed", f"<podcast:license> must be 1-{MAX_NAMESPACE_TEXT} characters (and its url a web address)", 'use a short licence id such as "cc-by-nc-nd-4.0" in [show] license', _license_values),
    Rule("podcast-medium", "error", "feed", "<podcast:medium> is not a Podcasting 2.0 medium", 'set [show] medium = "podcast"', _medium_value),
    # Items: required.
    Rule("item-title", "error", "item", "an episode has no <title>", "set title in its episode.toml", _has("title")),
    Rule("item-title-length", "error", "item", f"an episode's <title> is over {_255} characters", "shorten the title in its episode.toml", _max_chars("title", _255)),
    Rule("item-enclosure", "error", "item", "an episode has no <enclosure> with an http(s) url", "rebuild and publish with `podcast publish`", _enclosure_present),
    Rule("item-enclosure-length", "error", "item", "an episode's <enclosure length> is not its size in bytes", "publish with `podcast publish`, which measures the file", _enclosure_length),
    Rule("item-enclosure-type", "error", "item", "an episode's <enclosure type> is not an audio or video MIME type", 'publish MP3s (type "audio/mpeg") with `podcast publish`', _enclosure_type),
    Rule("item-guid", "error", "item", "an episode has no <guid>", "create episodes with `podcast new`, which writes a guid", _has("guid")),
    Rule("item-guid-unique", "error", "feed", "two episodes have the same <guid>", "give every episode its own guid: create episodes with `podcast new`, never copy folders", _guid_unique),
    Rule("item-pubdate", "error", "item", "an episode has no valid RFC 822 <pubDate>", "set published (with a time zone) in its episode.toml", _pub_date),
    Rule("item-pubdate-future", "error", "feed", "an episode is listed before its release time (an embargo leak)", "remove it from the published feed: set published to the release time and republish", _not_before_release),
    Rule("item-description-length", "error", "item", f"an episode's <description> is over {_4000} bytes", "shorten its show notes (podcast feed trims them; regenerate the feed)", _max_bytes("description", _4000)),
    Rule("item-explicit", "error", "item", "an episode's <itunes:explicit> is not true/false", "set explicit = true or false in its episode.toml", _one_of("itunes:explicit", {"true", "false"}, optional=True)),
    Rule("item-episode-type", "error", "item", "<itunes:episodeType> is not full, trailer or bonus", 'set type = "full", "trailer" or "bonus" in its episode.toml', _one_of("itunes:episodeType", {"full", "trailer", "bonus"}, optional=True)),
    Rule("item-episode-number", "error", "item", "<itunes:episode> is not a whole number above 0", "set number in its episode.toml (trailers may leave it 0)", _positive_int("itunes:episode")),
    Rule("item-season", "error", "item", "<itunes:season> is not a whole number above 0", "set season = 1 or more in its episode.toml", _positive_int("itunes:season")),
    Rule("item-image-url", "error", "item", "an episode's <itunes:image href> is not a web address ending in .jpg or .png", "use JPEG or PNG episode artwork", _image_url("itunes:image")),
    Rule("item-itunes-title-length", "error", "item", f"<itunes:title> is over {_255} characters", "shorten the title in its episode.toml", _max_chars("itunes:title", _255)),
    Rule("item-guid-permalink", "warning", "item", '<guid> should have isPermaLink="false"', "keep GUIDs as opaque ids, never URLs", _guid_not_permalink),
    # Items: recommended.
    Rule("item-order", "warning", "feed", "episodes are not listed newest first", "regenerate the feed with `podcast feed`", _newest_first),
    Rule("item-duration", "warning", "item", "an episode has no <itunes:duration>", "rebuild it with `podcast build`", _has("itunes:duration")),
    Rule("item-duration-format", "error", "item", "<itunes:duration> is not HH:MM:SS or seconds", "rebuild it with `podcast build`", _duration_format),
    Rule("item-description", "warning", "item", "an episode has no <description>", "write show notes in description", _has("description")),
    Rule("item-content", "warning", "item", "an episode has no <content:encoded> (HTML show notes)", "write show notes in description", _has("content:encoded")),
    Rule("item-image", "warning", "item", "an episode has no <itunes:image>", "set [show] artwork (episodes fall back to it) or the episode's artwork", _attr("itunes:image", "href")),
    # Items: Podcasting 2.0.
    Rule("podcast-season", "error", "item", "<podcast:season> is not a whole number above 0", "set season = 1 or more in its episode.toml", _positive_int("podcast:season")),
    Rule("podcast-episode", "error", "item", "<podcast:episode> is not a number", "set number in its episode.toml", _podcast_episode),
    Rule("podcast-transcript", "error", "item", "<podcast:transcript> needs a url and a type", "rebuild and publish the transcript", _transcripts),
    Rule("podcast-chapters", "error", "item", '<podcast:chapters> needs a url and type="application/json+chapters"', "rebuild and publish the chapters", _chapters),
    Rule("psc-chapters", "error", "item", "a <psc:chapter> needs a start time (HH:MM:SS.mmm) and a title", "fix the [[chapters]] in its episode.toml", _psc_chapters),
    # Against the last published feed: apps know episodes only by GUID.
    Rule("guid-changed", "error", "history", "an episode's GUID changed since the last published feed: every app will list it twice and download it again", "put the old guid back in its episode.toml (GUIDs never change)", _guid_changes),
    Rule("guid-disappeared", "error", "history", "an episode in the last published feed is gone without being withdrawn", "restore its episode folder, or set withdrawn = true in its episode.toml", _guid_disappearances),
    Rule("history-unreadable", "warning", "history", "the last published feed cannot be read, so GUID stability was not checked", "republish with `podcast publish` to replace it", _reported_by_runner),
    # Artwork files.
    Rule("artwork-readable", "error", "artwork", "is not an image that can be read", "save the artwork as a square RGB JPEG or PNG", _reported_by_runner),
    Rule("artwork-square", "error", "artwork", "artwork is not square", "crop it square and export it again", _artwork_square),
    Rule("artwork-size", "error", "artwork", f"artwork is smaller than {MIN_SIZE_PX}x{MIN_SIZE_PX} px (scaling up would blur it)", "export it at 1400-3000 px square (3000 is best)", _artwork_size),
    Rule("artwork-converted", "warning", "artwork", "artwork breaks Apple's format, colour or size rules; `podcast publish` publishes a repaired copy", "export a square RGB JPEG or PNG of 1400-3000 px to publish it unchanged", _artwork_converted),
    # Online (--online): what a directory does with each published URL.
    Rule("online-feed", "error", "online", "the published feed cannot be fetched", "publish with `podcast publish` and check [publish] base_url serves the target", _reported_by_runner),
    Rule("online-head", "error", "online", "a URL in the feed does not answer HEAD with 200", "publish again with `podcast publish`; check the server or bucket is public", _online_head),
    Rule("online-range", "error", "online", "an enclosure does not answer a Range request with 206 (apps cannot seek or resume)", "serve media from a server or CDN with byte-range support", _online_range),
    Rule("online-content-type", "error", "online", "a URL's Content-Type does not match the feed", "set the object's Content-Type (e.g. audio/mpeg) and republish", _online_type),
    Rule("online-length", "error", "online", "an enclosure's size does not match the feed's length", "republish with `podcast publish` so the feed and the file agree", _online_length),
]  # fmt: skip

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]


# --- running the rules ----------------------------------------------------------------------


def parse_feed(data: bytes) -> etree._Element:
    """Parse feed bytes safely (no entities, no network). Raises etree.XMLSyntaxError."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser=parser)


def check_feed(root: etree._Element, source: str, *, now: datetime | None = None) -> Iterator[Finding]:
    """Run every channel, item and whole-feed rule over a parsed feed."""
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        yield rule("feed-rss").finding(source)
        return
    view = FeedView(source=source, channel=channel, items=channel.findall("item"), now=now)
    for each in RULES:
        if each.scope == "channel":
            detail = each.check(channel)
            if detail is not None:
                yield each.finding(f"{source}: channel", detail)
        elif each.scope == "item":
            for index, item in enumerate(view.items):
                detail = each.check(item)
                if detail is not None:
                    yield each.finding(f"{source}: {_item_name(item, index)}", detail)
        elif each.scope == "feed":
            for where, detail in each.check(view):
                yield each.finding(f"{source}: {where}", detail)


def check_history(current: etree._Element, previous: bytes | None, *, source: str,
                  retired: Iterable[str] = ()) -> Iterator[Finding]:  # fmt: skip
    """GUID stability: compare the feed about to be published with the last published one."""
    if not previous:
        return
    try:
        old_root = parse_feed(previous)
    except etree.XMLSyntaxError as exc:
        yield rule("history-unreadable").finding(source, str(exc))
        return
    old_channel, new_channel = old_root.find("channel"), current.find("channel")
    if old_channel is None or new_channel is None:
        if old_channel is None:
            yield rule("history-unreadable").finding(source, "no <channel>")
        return
    view = HistoryView(current=new_channel.findall("item"), previous=old_channel.findall("item"), retired=frozenset(retired))
    for each in RULES:
        if each.scope == "history":
            for where, detail in each.check(view):
                yield each.finding(f"{source}: {where}", detail)


def validate_feed_bytes(data: bytes, *, source: str, now: datetime | None = None, previous: bytes | None = None,
                        previous_source: str = "last published feed", retired: Iterable[str] = ()) -> list[Finding]:  # fmt: skip
    """Every feed rule over ``data``; with ``previous``, GUID stability against it too."""
    try:
        root = parse_feed(data)
    except etree.XMLSyntaxError as exc:
        return [rule("feed-xml").finding(source, str(exc))]
    findings = list(check_feed(root, source, now=now))
    findings += check_history(root, previous, source=previous_source, retired=retired)
    return findings


def check_artwork(path: Path, where: str) -> list[Finding]:
    """The artwork rules over one image file."""
    try:
        info = inspect_artwork(path)
    except PodcastError:
        return [rule("artwork-readable").finding(where)]
    findings = []
    for each in RULES:
        if each.scope == "artwork" and each.id != "artwork-readable":
            detail = each.check(info)
            if detail is not None:
                findings.append(each.finding(where, detail))
    return findings


# --- online ---------------------------------------------------------------------------------


def _request(url: str, *, method: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str]]:
    """(status, headers) of one request; reads at most a few bytes of any body."""
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT, **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}


def probe_url(url: str, kind: str, expected_type: str | None, expected_length: int | None, *,
              timeout: float = 20.0) -> Probe:  # fmt: skip
    """HEAD the URL, and for enclosures ask for the first two bytes with Range, as apps do."""
    base = Probe(url=url, kind=kind, expected_type=expected_type, expected_length=expected_length)
    if not _is_url(url):
        return Probe(**{**asdict(base), "error": "not an http(s) address"})
    try:
        status, headers = _request(url, method="HEAD", headers={}, timeout=timeout)
    except (OSError, ValueError) as exc:
        return Probe(**{**asdict(base), "error": str(getattr(exc, "reason", exc))})
    length = headers.get("content-length")
    result: dict[str, Any] = {**asdict(base), "head_status": status, "head_type": headers.get("content-type"),
                              "head_length": int(length) if length and length.isdigit() else None}  # fmt: skip
    if kind == "enclosure" and status == 200:
        try:
            range_status, range_headers = _request(url, method="GET", headers={"Range": "bytes=0-1"}, timeout=timeout)
        except (OSError, ValueError) as exc:
            result["error"] = str(getattr(exc, "reason", exc))
        else:
            result["range_status"] = range_status
            total = re.match(r"^bytes \d+-\d+/(\d+)$", range_headers.get("content-range", ""))
            result["range_total"] = int(total.group(1)) if total and range_status == 206 else None
    return Probe(**result)


def feed_urls(root: etree._Element) -> list[tuple[str, str, str | None, int | None]]:
    """(url, kind, expected type, expected length) for every URL a directory fetches, in feed order, once each."""
    found: dict[str, tuple[str, str, str | None, int | None]] = {}

    def add(url: str | None, kind: str, kind_type: str | None, length: int | None = None) -> None:
        if url and url not in found:
            found[url] = (url, kind, kind_type, length)

    channel = root.find("channel")
    if channel is None:
        return []
    image = channel.find("itunes:image", NS)
    add(image.get("href") if image is not None else None, "image", "image/*")
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        if enclosure is not None:
            length = enclosure.get("length", "")
            add(enclosure.get("url"), "enclosure", enclosure.get("type"), int(length) if length.isdigit() else None)
        image = item.find("itunes:image", NS)
        add(image.get("href") if image is not None else None, "image", "image/*")
        for transcript in item.findall("podcast:transcript", NS):
            add(transcript.get("url"), "transcript", transcript.get("type"))
        chapters = item.find("podcast:chapters", NS)
        if chapters is not None:
            add(chapters.get("url"), "chapters", None)
    return list(found.values())


def check_online(data: bytes, *, source: str, timeout: float = 20.0, workers: int = 8) -> list[Finding]:
    """Fetch every URL the feed names the way a directory does and run the online rules."""
    try:
        root = parse_feed(data)
    except etree.XMLSyntaxError:
        return []  # feed-xml already reports it
    targets = feed_urls(root)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets) or 1))) as pool:
        probes = list(pool.map(lambda t: probe_url(*t, timeout=timeout), targets))
    findings = []
    for probe in probes:
        for each in RULES:
            if each.scope == "online" and each.check is not _reported_by_runner:
                detail = each.check(probe)
                if detail is not None:
                    findings.append(each.finding(f"{source}: {probe.kind}", detail))
    return findings


def fetch_feed(url: str, *, timeout: float = 20.0) -> tuple[bytes | None, Finding | None]:
    """The published feed's bytes, or the online-feed finding that says why not."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.read(), None
    except urllib.error.HTTPError as exc:
        return None, rule("online-feed").finding(url, f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        return None, rule("online-feed").finding(url, str(getattr(exc, "reason", exc)))


# --- the show -------------------------------------------------------------------------------


def validate_show(show_dir: Path, *, online: bool = False, base_url: str | None = None,
                  target: str | None = None, now: datetime | None = None) -> list[Finding]:  # fmt: skip
    """Load the show (raising on bad manifests), check artwork, the feed it would publish and,
    against the target's current feed.xml, GUID stability. With ``online``, also fetch the
    published feed from ``<base_url>/feed.xml`` and every URL it names."""
    from podcast.publishing.publish import write_feed_for
    from podcast.show.settings import resolve_settings
    from podcast.show.model import load_show, utc_now
    from podcast.publishing.target import FEED_KEY, open_target

    show = load_show(show_dir)
    now = now or utc_now()
    settings = resolve_settings(show, target=target, base_url=base_url)
    findings = check_artwork(show.artwork_path, str(show.artwork_path.relative_to(show.root)))
    for episode in show.episodes:
        if episode.artwork_path:
            findings += check_artwork(episode.artwork_path, str(episode.artwork_path.relative_to(show.root)))
    feed = write_feed_for(show, settings, now=now)
    try:
        previous = open_target(settings.target, show.root).get_bytes(FEED_KEY)
    except PodcastError as exc:
        previous = None
        findings.append(rule("history-unreadable").finding(settings.target, exc.problem))
    current_guids = {_text(item, "guid") for item in parse_feed(feed).iter("item")}
    # Withdrawn episodes may leave the feed; so may old ones trimmed by [feed] max_items.
    retired = {e.guid for e in show.episodes if e.manifest.withdrawn}
    if show.manifest.feed.max_items is not None:
        retired |= {e.guid for e in show.episodes if e.guid not in current_guids}
    findings += validate_feed_bytes(feed, source="feed.xml", now=now, previous=previous,
                                    previous_source=f"{settings.target}/{FEED_KEY}", retired=retired)  # fmt: skip
    if online:
        published, problem = fetch_feed(settings.feed_url)
        if problem is not None:
            findings.append(problem)
        elif published is not None:
            findings += validate_feed_bytes(published, source=settings.feed_url, now=now)
            findings += check_online(published, source=settings.feed_url)
    return findings
