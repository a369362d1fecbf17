"""`podcast validate`: rules as data, checked against the show and the feed it would publish.

Each rule has an id, a severity, a message and the fix, plus a check over the parsed
feed (or the show). Adding a rule is adding a row. Sources: Apple Podcasts' RSS
requirements and the Podcast Standards Project's PSP-1 (required and recommended tags).
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from lxml import etree

from .artwork import fixable_problems, inspect_artwork, unfixable_problems
from .feed import ATOM_NS, ITUNES_NS, PODCAST_NS
from .errors import PodcastError

Severity = Literal["error", "warning"]
NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS}
MAX_DESCRIPTION_BYTES = 4000


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
    message: str
    fix: str
    scope: Literal["channel", "item"]
    # Returns True when the element passes.
    check: Callable[[etree._Element], bool]


def _text(element: etree._Element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _has(path: str) -> Callable[[etree._Element], bool]:
    return lambda element: bool(_text(element, path))


def _attr(path: str, name: str) -> Callable[[etree._Element], bool]:
    def check(element: etree._Element) -> bool:
        found = element.find(path, NS)
        return found is not None and bool((found.get(name) or "").strip())

    return check


def _one_of(path: str, values: set[str]) -> Callable[[etree._Element], bool]:
    return lambda element: _text(element, path) in values


def _self_link(channel: etree._Element) -> bool:
    return any(link.get("rel") == "self" and link.get("href") for link in channel.findall("atom:link", NS))


def _enclosure_ok(item: etree._Element) -> bool:
    enclosure = item.find("enclosure")
    if enclosure is None:
        return False
    length = enclosure.get("length", "")
    return (
        (enclosure.get("url") or "").startswith(("http://", "https://"))
        and length.isdigit()
        and int(length) > 0
        and (enclosure.get("type") or "").startswith(("audio/", "video/"))
    )


def _pub_date_ok(item: etree._Element) -> bool:
    text = _text(item, "pubDate")
    try:
        return bool(text) and email.utils.parsedate_to_datetime(text) is not None
    except (TypeError, ValueError):
        return False


def _short(path: str, limit: int) -> Callable[[etree._Element], bool]:
    return lambda element: len(_text(element, path).encode()) <= limit


def _guid_not_permalink(item: etree._Element) -> bool:
    guid = item.find("guid")
    return guid is None or guid.get("isPermaLink") == "false"


RULES: list[Rule] = [
    # Channel: required by Apple and PSP-1.
    Rule("channel-title", "error", "the feed has no <title>", "set [show] title in podcast.toml", "channel", _has("title")),
    Rule("channel-description", "error", "the feed has no <description>", "set [show] description", "channel", _has("description")),
    Rule("channel-description-length", "error", f"<description> is over {MAX_DESCRIPTION_BYTES} bytes", "shorten [show] description", "channel", _short("description", MAX_DESCRIPTION_BYTES)),
    Rule("channel-link", "error", "the feed has no <link>", "set [show] link to the show's web page", "channel", _has("link")),
    Rule("channel-language", "error", "the feed has no <language>", 'set [show] language, e.g. "en-GB"', "channel", _has("language")),
    Rule("channel-image", "error", "the feed has no <itunes:image href>", "set [show] artwork", "channel", _attr("itunes:image", "href")),
    Rule("channel-category", "error", "the feed has no <itunes:category>", "set [show] categories", "channel", _attr("itunes:category", "text")),
    Rule("channel-explicit", "error", "<itunes:explicit> is missing or not true/false", "set [show] explicit = true or false", "channel", _one_of("itunes:explicit", {"true", "false"})),
    Rule("channel-self-link", "error", 'the feed has no <atom:link rel="self">', "set [publish] base_url", "channel", _self_link),
    # Channel: recommended.
    Rule("channel-author", "warning", "the feed has no <itunes:author>", "set [show] author", "channel", _has("itunes:author")),
    Rule("channel-owner-email", "warning", "the feed has no <itunes:owner><itunes:email> (Spotify and Apple verify ownership with it)", "set [show] owner.email", "channel", _has("itunes:owner/itunes:email")),
    Rule("channel-locked", "warning", "the feed has no <podcast:locked>", "set [show] locked = true so no other host can import the show", "channel", _has("podcast:locked")),
    Rule("channel-guid", "warning", "the feed has no <podcast:guid>", "add [show] guid (see `podcast init`)", "channel", _has("podcast:guid")),
    Rule("channel-type", "warning", "<itunes:type> is missing or not episodic/serial", 'set [show] type = "episodic" or "serial"', "channel", _one_of("itunes:type", {"episodic", "serial"})),
    # Items: required.
    Rule("item-title", "error", "an episode has no <title>", "set title in its episode.toml", "item", _has("title")),
    Rule("item-enclosure", "error", "an episode's <enclosure> is missing or lacks an http(s) url, a byte length or an audio type", "rebuild and publish with `podcast publish`", "item", _enclosure_ok),
    Rule("item-guid", "error", "an episode has no <guid>", "create episodes with `podcast new`, which writes a guid", "item", _has("guid")),
    Rule("item-guid-permalink", "warning", '<guid> should have isPermaLink="false"', "keep GUIDs as opaque ids, never URLs", "item", _guid_not_permalink),
    # Items: recommended.
    Rule("item-pubdate", "warning", "an episode has no valid RFC 822 <pubDate>", "set published in its episode.toml", "item", _pub_date_ok),
    Rule("item-duration", "warning", "an episode has no <itunes:duration>", "rebuild it with `podcast build`", "item", _has("itunes:duration")),
    Rule("item-description", "warning", "an episode has no <description>", "write show notes in description", "item", _has("description")),
    Rule("item-description-length", "error", f"an episode's <description> is over {MAX_DESCRIPTION_BYTES} bytes", "shorten its show notes", "item", _short("description", MAX_DESCRIPTION_BYTES)),
    Rule("item-explicit", "warning", "<itunes:explicit> is missing or not true/false on an episode", "set explicit = true or false", "item", _one_of("itunes:explicit", {"true", "false"})),
]  # fmt: skip


def _item_name(item: etree._Element, index: int) -> str:
    title = _text(item, "title")
    return f"item {index + 1}" + (f" ({title[:40]})" if title else "")


def check_feed(root: etree._Element, source: str) -> Iterator[Finding]:
    """Run every rule over a parsed feed, plus the cross-item GUID uniqueness check."""
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        yield Finding("feed-rss", "error", source, "is not an RSS 2.0 feed (no <rss><channel>)", "write the feed with `podcast feed`")
        return
    items = channel.findall("item")
    for rule in RULES:
        if rule.scope == "channel" and not rule.check(channel):
            yield Finding(rule.id, rule.severity, f"{source}: channel", rule.message, rule.fix)
        elif rule.scope == "item":
            for index, item in enumerate(items):
                if not rule.check(item):
                    yield Finding(rule.id, rule.severity, f"{source}: {_item_name(item, index)}", rule.message, rule.fix)
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        guid = _text(item, "guid")
        if guid and guid in seen:
            yield Finding("item-guid-unique", "error", f"{source}: {_item_name(item, index)}",
                          f"has the same <guid> as item {seen[guid] + 1}", "give every episode its own guid")  # fmt: skip
        seen.setdefault(guid, index)


def validate_feed_bytes(data: bytes, *, source: str) -> list[Finding]:
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [Finding("feed-xml", "error", source, f"is not well-formed XML ({exc})", "regenerate it with `podcast feed`")]
    return list(check_feed(root, source))


def check_artwork(path: Path, where: str) -> list[Finding]:
    try:
        info = inspect_artwork(path)
    except PodcastError as exc:
        return [Finding("artwork-readable", "error", where, exc.problem, exc.fix or "")]
    # What `publish` repairs by itself (artwork.prepare_artwork) is a warning; the rest needs a new export.
    fix = "use a square RGB JPEG or PNG of 1400-3000 px"
    return [Finding("artwork-format", "error", where, problem, fix) for problem in unfixable_problems(info)] + [
        Finding("artwork-converted", "warning", where, problem, fix) for problem in fixable_problems(info)
    ]


def validate_show(show_dir: Path) -> list[Finding]:
    """Load the show (raising on bad manifests), check artwork, then check the feed it would publish."""
    from .pipeline import write_feed_for
    from .settings import resolve_settings
    from .show import load_show, utc_now

    show = load_show(show_dir)
    findings = check_artwork(show.artwork_path, str(show.artwork_path.relative_to(show.root)))
    for episode in show.episodes:
        if episode.artwork_path:
            findings += check_artwork(episode.artwork_path, str(episode.artwork_path.relative_to(show.root)))
    feed = write_feed_for(show, resolve_settings(show), now=utc_now())
    findings += validate_feed_bytes(feed, source="feed.xml")
    return findings
