"""Reading feed elements: namespaces, text, dates, web addresses, and the small check builders.

The rule table (:mod:`podcast.validate.rules`) is written with these: ``has("title")`` is a
channel or item check that passes when ``<title>`` has text. They are pure functions of
parsed lxml elements; the runners and the online probes use the same readers.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable
from datetime import datetime

from lxml import etree

from podcast.publishing.feed import ATOM_NS, CONTENT_NS, ITUNES_NS, PODCAST_NS, PSC_NS

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS, "content": CONTENT_NS, "psc": PSC_NS}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def text_of(element: etree._Element, path: str) -> str:
    """The stripped text at ``path`` (namespaced, e.g. "itunes:author"), or "" when it is absent."""
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def has(path: str) -> Callable[[etree._Element], str | None]:
    """A check that passes when ``path`` has text."""
    return lambda element: None if text_of(element, path) else ""


def attr(path: str, name: str) -> Callable[[etree._Element], str | None]:
    """A check that passes when ``path`` exists with a non-blank ``name`` attribute."""

    def check(element: etree._Element) -> str | None:
        found = element.find(path, NS)
        return None if found is not None and (found.get(name) or "").strip() else ""

    return check


def one_of(path: str, values: set[str], *, optional: bool = False) -> Callable[[etree._Element], str | None]:
    """A check that passes when the text at ``path`` is one of ``values`` (or, if ``optional``, it is absent)."""

    def check(element: etree._Element) -> str | None:
        if optional and element.find(path, NS) is None:
            return None
        value = text_of(element, path)
        return None if value in values else (f"found '{value[:40]}'" if value else "missing")

    return check


def max_chars(path: str, limit: int) -> Callable[[etree._Element], str | None]:
    """A check that passes when the text at ``path`` is at most ``limit`` characters."""

    def check(element: etree._Element) -> str | None:
        length = len(text_of(element, path))
        return None if length <= limit else f"{length} characters"

    return check


def max_bytes(path: str, limit: int) -> Callable[[etree._Element], str | None]:
    """A check that passes when the text at ``path`` is at most ``limit`` bytes of UTF-8."""

    def check(element: etree._Element) -> str | None:
        size = len(text_of(element, path).encode("utf-8"))
        return None if size <= limit else f"{size} bytes"

    return check


def positive_int(path: str) -> Callable[[etree._Element], str | None]:
    """A check that passes when ``path`` is absent or a whole number above 0."""

    def check(element: etree._Element) -> str | None:
        if element.find(path, NS) is None:
            return None  # optional
        value = text_of(element, path)
        return None if value.isdigit() and int(value) > 0 else f"found '{value[:20]}'"

    return check


def is_url(value: str | None) -> bool:
    """An absolute http(s) address without spaces.

    >>> is_url("https://example.org/a.mp3"), is_url("/a.mp3"), is_url("javascript:alert(1)")
    (True, False, False)
    """
    return bool(value) and re.match(r"^https?://[^\s]+$", value or "") is not None


def image_url(path: str) -> Callable[[etree._Element], str | None]:
    """A check that passes when ``path`` is absent or its href is a web address of a JPEG or PNG."""

    def check(element: etree._Element) -> str | None:
        found = element.find(path, NS)
        if found is None:
            return None  # missing is a separate rule
        href = found.get("href") or ""
        if is_url(href) and href.split("?")[0].lower().endswith(IMAGE_SUFFIXES):
            return None
        return f"href '{href[:80]}'"

    return check


def self_href(channel: etree._Element) -> str | None:
    """The feed's own address, from <atom:link rel="self">."""
    for link in channel.findall("atom:link", NS):
        if link.get("rel") == "self" and link.get("href"):
            return link.get("href")
    return None


def parse_date(text: str) -> datetime | None:
    """An RFC 822 date with a time zone (as <pubDate> needs), or None."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def optional_format(path: str, pattern: str) -> Callable[[etree._Element], str | None]:
    """A check that passes when ``path`` is absent, or present with text matching ``pattern``."""

    def check(item: etree._Element) -> str | None:
        if item.find(path, NS) is None:
            return None
        value = text_of(item, path)
        return None if re.match(pattern, value) else f"found '{value[:20]}'"

    return check


def item_name(item: etree._Element, index: int) -> str:
    """How findings name an item: its position, and its title when it has one."""
    title = text_of(item, "title")
    return f"item {index + 1}" + (f" ({title[:40]})" if title else "")
