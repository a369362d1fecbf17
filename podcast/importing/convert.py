"""Turning a host's text into what a show folder holds: Markdown notes and safe, unique slugs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from podcast.show.redactions import RedactionList

# What survives from a host's HTML before it becomes Markdown: structure, links and emphasis.
KEPT_TAGS = {
    "p",
    "br",
    "a",
    "em",
    "i",
    "strong",
    "b",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "code",
    "pre",
    "hr",
}
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
MAX_SLUG = 60


def notes_markdown(text: str) -> str:
    """A host's notes (HTML, or plain text) as Markdown: links, lists and emphasis kept.

    Scripts, styles, images and tracking pixels are dropped (nh3) before markdownify converts.

    >>> notes_markdown('<p>Hello <b>there</b> &amp; <a href="https://example.org">visit</a></p><ul><li>one</li></ul>')
    'Hello **there** & [visit](https://example.org)\\n\\n- one'
    >>> notes_markdown("Plain text.\\n\\nSecond paragraph.")
    'Plain text.\\n\\nSecond paragraph.'
    """
    import nh3
    from markdownify import markdownify  # with BeautifulSoup: loaded only when there are notes to convert

    if not _TAG.search(text):
        return "\n\n".join(part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip())
    cleaned = nh3.clean(text, tags=KEPT_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"})
    markdown = markdownify(cleaned, heading_style="ATX", bullets="-", escape_underscores=False)
    lines = [line.rstrip() for line in markdown.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def slugify(title: str) -> str:
    """Lowercase ASCII words joined by dashes, at most MAX_SLUG characters ("" when nothing is left).

    >>> slugify("Episode 3: Café & Friends — Part II!")
    'episode-3-cafe-friends-part-ii'
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] if "-" in slug[:MAX_SLUG] else slug[:MAX_SLUG]
    return slug.strip("-")


def episode_slug(title: str, number: int, taken: Collection[str], names: RedactionList) -> str:
    """A folder name from the title, unique among ``taken``, that never holds a listed name.

    A title with a listed name is slugged from its redacted form (the list's replacement, as
    publishing would show it); if anything listed is still there, "episode-<number>".

    >>> from podcast.show.redactions import parse_redactions
    >>> names = parse_redactions("Marigold Featherstone => Jess Smith")
    >>> episode_slug("Marigold's story", 4, set(), names)
    'jess-s-story'
    >>> episode_slug("Intro", 1, {"intro", "intro-2"}, names)
    'intro-3'
    """
    slug = slugify(title)
    if names and (names.contains(slug) or names.contains(title)):
        slug = slugify(names.redact(title))
    if not slug or (names and names.contains(slug)):
        slug = f"episode-{number}"
    base, counter = slug, 2
    while slug in taken:
        slug = f"{base}-{counter}"
        counter += 1
    return slug
