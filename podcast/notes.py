"""Show notes: the producer's Markdown rendered to the HTML feeds allow, and to plain text for ID3.

The content warning always comes first and the show's support notice always last, so
a listener is warned before the story and pointed to help after it, in every app.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# What Apple and Spotify render in <description>/<content:encoded>; everything else is stripped.
ALLOWED_TAGS = {"p", "ol", "ul", "li", "a", "em", "strong", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def compose_markdown(description: str, *, content_warning: str | None, support_notice: str | None) -> str:
    """The full notes: warning, the producer's notes, support notice.

    >>> compose_markdown("Notes.", content_warning="Discusses abuse.", support_notice="Help: example.org")
    '**Content warning:** Discusses abuse.\\n\\nNotes.\\n\\nHelp: example.org'
    """
    parts = []
    if content_warning and content_warning.strip():  # a blank warning must not print an empty "Content warning:"
        parts.append(f"**Content warning:** {content_warning.strip()}")
    parts.append(description.strip())
    if support_notice and support_notice.strip():
        parts.append(support_notice.strip())
    return "\n\n".join(parts)


def markdown_to_html(markdown: str) -> str:
    """Markdown to sanitised HTML (p, ol, ul, li, a, em, strong, br only).

    >>> markdown_to_html("Hi *there* <script>x</script> [site](https://example.org)")
    '<p>Hi <em>there</em> &lt;script&gt;x&lt;/script&gt; <a href="https://example.org" rel="noopener noreferrer">site</a></p>'
    """
    rendered = _markdown.render(markdown)
    # Headings and code are not allowed in feeds: keep their text as a paragraph / plain text.
    rendered = re.sub(r"<(/?)h[1-6]>", r"<\1p>", rendered)
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    # One line: newlines between blocks go, soft line breaks inside a paragraph become spaces.
    return re.sub(r">\n+<", "><", cleaned.strip()).replace("\n", " ")


def markdown_to_text(markdown: str) -> str:
    """Plain text for ID3 COMM/TDES: paragraphs separated by blank lines, links as 'text (url)'.

    >>> markdown_to_text("A **bold** [link](https://example.org).\\n\\n- one\\n- two")
    'A bold link (https://example.org).\\n\\n- one\\n- two'
    """
    rendered = markdown_to_html(markdown)
    rendered = re.sub(r'<a href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", rendered)
    rendered = re.sub(r"<li>", "- ", rendered)
    rendered = re.sub(r"</li>|<br\s*/?>", "\n", rendered)
    rendered = re.sub(r"</p>|</ul>|</ol>", "\n\n", rendered)
    text = html.unescape(nh3.clean(rendered, tags=set()))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())
