"""The listeners' website: static pages rendered with Jinja2 from the same show data as the feed.

:func:`render_site` is pure apart from reading templates and built transcripts: show data in,
a list of :class:`SiteFile` out (key, bytes, content type, cache lifetime). Publishing uploads
them (assets, then episode pages, then the show page) after the media and before the feed,
and scans every byte with the publish gate first.

Everything a page loads is named relative to the page (``../assets/site-<hash>.css``), so
the site works from any base URL, from `podcast serve` and from a plain S3 bucket behind
CloudFront; links point at files (``episodes/<slug>.html``), never at folders, so no rewrite
rules are needed. The 404 page can be served at any depth, so it names its assets from the
base URL's path instead.

A show overrides any template or the stylesheet/script by putting a file of the same name in
a ``site/`` folder next to podcast.toml (``site/episode.html``, ``site/site.css``).
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
import nh3
import segno
from markupsafe import Markup

from podcast.build.chapters import ChapterMark
from podcast.files import hashed_key
from podcast.notes import markdown_to_html
from podcast.show.model import Episode, Show
from podcast.transcripts.model import Cue

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
TEMPLATES = PACKAGE_DIR / "templates"
STATIC = PACKAGE_DIR / "static"
OVERRIDE_FOLDER = "site"  # next to podcast.toml
PAGE_CACHE = "public, max-age=300"
ASSET_CACHE = "public, max-age=31536000, immutable"
HTML = "text/html; charset=utf-8"
EPISODES_FOLDER = "episodes"
INDEX_KEY = "index.html"
SITEMAP_KEY = "sitemap.xml"
# Only the site itself: no fonts, CDNs, analytics or embeds can load, even if a template asks for them.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)
SPEEDS = (0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class AudioSource:
    """One encoding of an episode's audio, as the player lists it (MP3 first: every browser plays it)."""

    key: str
    type: str
    length: int


@dataclass(frozen=True)
class TranscriptSource:
    """One published transcript file of an episode."""

    key: str
    type: str
    language: str


@dataclass(frozen=True)
class SiteEpisode:
    """What an episode page shows: the episode plus the published objects it names."""

    episode: Episode
    sources: tuple[AudioSource, ...]
    duration_s: float
    artwork_key: str | None = None
    chapters: tuple[ChapterMark, ...] = ()
    transcripts: tuple[TranscriptSource, ...] = ()
    cues: tuple[Cue, ...] = ()  # the transcript as cues (timed) for click-to-seek; empty without one
    timed: bool = True


@dataclass(frozen=True)
class SiteFile:
    """One object of the website, ready to upload."""

    key: str
    data: bytes
    content_type: str
    cache_control: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_asset(self) -> bool:
        return self.cache_control == ASSET_CACHE


def page_key(slug: str) -> str:
    """The object name of an episode's page: a file, so no rewrite rule is needed.

    >>> page_key("episode-1")
    'episodes/episode-1.html'
    """
    return f"{EPISODES_FOLDER}/{slug}.html"


def clock(seconds: float) -> str:
    """``M:SS`` or ``H:MM:SS`` for listeners.

    >>> clock(9.7), clock(754), clock(3723)
    ('0:09', '12:34', '1:02:03')
    """
    whole = int(seconds)
    hours, minutes, secs = whole // 3600, whole % 3600 // 60, whole % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration_words(seconds: float) -> str:
    """A duration as people say it.

    >>> duration_words(59), duration_words(754), duration_words(3723)
    ('1 min', '13 min', '1 h 2 min')
    """
    minutes = max(1, round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration for ``<time datetime>`` and JSON-LD.

    >>> iso_duration(3723.4)
    'PT1H2M3S'
    """
    whole = int(round(seconds))
    return f"PT{whole // 3600}H{whole % 3600 // 60}M{whole % 60}S"


def deep_links(feed_url: str) -> list[tuple[str, str]]:
    """(app, link) that open a podcast app's subscribe screen for the feed.

    >>> deep_links("https://x.org/feed.xml")[0]
    ('Pocket Casts', 'pktc://subscribe/x.org/feed.xml')
    """
    bare = feed_url.split("://", 1)[-1]
    return [
        ("Pocket Casts", f"pktc://subscribe/{bare}"),
        ("Overcast", f"overcast://x-callback-url/add?url={quote(feed_url, safe='')}"),
        ("AntennaPod", f"antennapod-subscribe://{bare}"),
        ("Podcast Addict", f"podcastaddict://{bare}"),
    ]


def feed_qr_svg(feed_url: str, title: str) -> str:
    """The feed URL as a QR code, an inline SVG made here (no image service sees the visit)."""
    svg = segno.make(feed_url, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=title)
    return str(svg).replace("<svg ", '<svg role="img" class="qr" ', 1)


def read_cues(folder: Path) -> tuple[tuple[Cue, ...], bool]:
    """The built transcript of an episode as cues (from ``transcript.json``), or paragraphs of ``transcript.txt``.

    Returns (cues, timed); ((), True) when the episode has no transcript.
    """
    json_file, text_file = folder / "transcript.json", folder / "transcript.txt"
    try:
        if json_file.is_file():
            segments = json.loads(json_file.read_text(encoding="utf-8")).get("segments", [])
            cues = tuple(
                Cue(
                    int(float(s["startTime"]) * 1000),
                    int(float(s["endTime"]) * 1000),
                    str(s.get("body", "")),
                    s.get("speaker"),
                )
                for s in segments
                if isinstance(s, dict) and "startTime" in s and "endTime" in s
            )
            return cues, True
        if text_file.is_file():
            paragraphs = [p.strip() for p in text_file.read_text(encoding="utf-8").split("\n\n") if p.strip()]
            return tuple(Cue(0, 0, p) for p in paragraphs), False
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("%s: the built transcript cannot be read for the web page (%s)", folder, exc)
    return (), True


def cues_html(cues: Sequence[Cue], *, timed: bool) -> Markup:
    """The transcript as paragraphs; timed cues start with a button that seeks there (the site's script).

    Built here rather than in a template loop: a long transcript has thousands of cues, and this
    is the bulk of every episode page (a 300-episode site renders in a fraction of the time).

    >>> str(cues_html([Cue(3000, 5500, "Hi & bye", "Sam")], timed=True))  # doctest: +NORMALIZE_WHITESPACE
    '<p class="cue" data-start="3.0" data-end="5.5"><button type="button" class="seek" data-t="3.0"
    aria-label="Play from 0:03">0:03</button> <b>Sam:</b> Hi &amp; bye</p>'
    """
    parts = []
    speakers: dict[str | None, str] = {None: ""}
    for cue in cues:
        text = html.escape(cue.text, quote=False)
        if cue.speaker not in speakers:
            speakers[cue.speaker] = f"<b>{html.escape(cue.speaker or '', quote=False)}:</b> "
        speaker = speakers[cue.speaker]
        if timed:
            start, end = cue.start_ms / 1000, cue.end_ms / 1000
            at = clock(start)
            parts.append(
                f'<p class="cue" data-start="{start}" data-end="{end}"><button type="button" class="seek" '
                f'data-t="{start}" aria-label="Play from {at}">{at}</button> {speaker}{text}</p>'
            )
        else:
            parts.append(f"<p>{speaker}{text}</p>")
    return Markup("\n".join(parts))


def _environment(show: Show) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    override = show.root / OVERRIDE_FOLDER
    if override.is_dir():
        loaders.append(jinja2.FileSystemLoader(override))
    loaders.append(jinja2.FileSystemLoader(TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["clock"] = clock
    env.filters["duration_words"] = duration_words
    env.filters["iso_duration"] = iso_duration
    rendered: dict[str, str] = {}  # each text's Markdown is rendered once per site, though pages use it twice

    def as_html(text: str) -> str:
        if text not in rendered:
            rendered[text] = markdown_to_html(text)
        return rendered[text]

    env.filters["markdown"] = lambda text: Markup(as_html(text)) if text else ""
    # One line of plain text (meta descriptions, JSON-LD): the rendered notes without their tags.
    flat: dict[str, str] = {}

    def plain(text: str) -> str:
        if text not in flat:
            flat[text] = " ".join(html.unescape(nh3.clean(as_html(text), tags=set())).split())
        return flat[text]

    env.filters["plain"] = plain
    env.filters["date"] = lambda when: f"{when.day} {when:%B %Y}"
    env.filters["tojson_ld"] = _json_ld
    env.globals["cues_html"] = cues_html
    return env


def _json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block: ``<`` escaped so no text can close the tag."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("&", "\\u0026"))


def asset_path(show: Show, name: str) -> Path:
    """The file of a stylesheet or script: the show's own from ``site/`` when it has one."""
    override = show.root / OVERRIDE_FOLDER / name
    return override if override.is_file() else STATIC / name


def _static(show: Show, name: str) -> bytes:
    return asset_path(show, name).read_bytes()


def _asset(show: Show, name: str, content_type: str) -> SiteFile:
    data = _static(show, name)
    stem, suffix = name.rsplit(".", 1)
    key = hashed_key("assets", stem, hashlib.sha256(data).hexdigest(), f".{suffix}")
    return SiteFile(key, data, content_type, ASSET_CACHE)


def _newest_first(episodes: Sequence[SiteEpisode]) -> list[SiteEpisode]:
    return sorted(episodes, key=lambda item: (item.episode.manifest.published, item.episode.slug), reverse=True)


def render_site(
    show: Show, *, base_url: str, feed_url: str, artwork_key: str, episodes: Sequence[SiteEpisode]
) -> list[SiteFile]:
    """Every file of the website, in upload order: assets, episode pages, then the show page and the rest.

    Only live episodes may be passed in: an episode not passed has no page and no link.
    """
    env = _environment(show)
    info = show.manifest.show
    site = show.manifest.site
    css = _asset(show, "site.css", "text/css; charset=utf-8")
    js = _asset(show, "site.js", "text/javascript; charset=utf-8")
    base_url = base_url.rstrip("/")
    ordered = _newest_first(episodes)
    common = {
        "show": info,
        "site": site,
        "base_url": base_url,
        "feed_url": feed_url,
        "artwork_key": artwork_key,
        "artwork_alt": site.artwork_alt or f"{info.title} artwork",
        "css_key": css.key,
        "js_key": js.key,
        "csp": CSP,
        "page_key": page_key,
        "speeds": SPEEDS,
    }
    files = [css, js]

    def page(template: str, key: str, **values: Any) -> SiteFile:
        root = "../" * key.count("/")
        text = env.get_template(template).render(**common, root=root, key=key, **values)
        return SiteFile(key, text.encode("utf-8"), HTML, PAGE_CACHE)

    for index, item in enumerate(ordered):
        files.append(
            page(
                "episode.html",
                page_key(item.episode.slug),
                item=item,
                newer=ordered[index - 1] if index > 0 else None,
                older=ordered[index + 1] if index + 1 < len(ordered) else None,
            )
        )
    files.append(
        page(
            "show.html",
            INDEX_KEY,
            episodes=ordered,
            qr_svg=Markup(feed_qr_svg(feed_url, f"QR code of the feed address: {feed_url}")),
            deep_links=deep_links(feed_url),
        )
    )
    not_found_root = (urlsplit(base_url).path.rstrip("/") or "") + "/"
    text = env.get_template("404.html").render(**common, root=not_found_root, key="404.html")
    files.append(SiteFile("404.html", text.encode("utf-8"), HTML, PAGE_CACHE))
    robots = env.get_template("robots.txt").render(**common, root="")
    files.append(SiteFile("robots.txt", robots.encode("utf-8"), "text/plain; charset=utf-8", PAGE_CACHE))
    newest = ordered[0].episode.manifest.published if ordered else None
    sitemap = env.get_template("sitemap.xml").render(**common, root="", episodes=ordered, newest=newest)
    files.append(SiteFile(SITEMAP_KEY, sitemap.encode("utf-8"), "application/xml", PAGE_CACHE))
    return files


def _episode_marker(slug: str) -> tuple[str, str]:
    return f"<!-- episode:{slug} -->", f"<!-- /episode:{slug} -->"


def index_without_episode(page: bytes, slug: str) -> bytes:
    """The live show page with one episode's entry cut out (between the markers the template writes).

    Used by a takedown that cannot render the show's text (its redaction list is unreadable):
    every other byte of the page went out redacted before.

    >>> index_without_episode(b"<ul><!-- episode:a -->A<!-- /episode:a --><!-- episode:b -->B<!-- /episode:b --></ul>", "a")
    b'<ul><!-- episode:b -->B<!-- /episode:b --></ul>'
    """
    start, end = (marker.encode() for marker in _episode_marker(slug))
    while (first := page.find(start)) != -1 and (last := page.find(end, first)) != -1:
        page = page[:first] + page[last + len(end) :]
    return page


def sitemap_without_page(sitemap: bytes, slug: str) -> bytes:
    """The live sitemap without the ``<url>`` of one episode's page.

    >>> sitemap_without_page(b"<urlset>\\n<url><loc>https://x/episodes/a.html</loc></url>\\n</urlset>", "a")
    b'<urlset>\\n</urlset>'
    """
    needle = f"/{page_key(slug)}</loc>".encode()
    return b"".join(line for line in sitemap.splitlines(keepends=True) if needle not in line)


def render_review_page(
    show: Show,
    episode: Episode,
    *,
    audio_url: str,
    vtt_url: str | None,
    css_url: str,
    js_url: str,
    listing: object,
    expires_at: datetime,
    loudness_url: str | None = None,
    cues: Sequence[Cue] = (),
    timed: bool = True,
) -> bytes:
    """The private review page `podcast review` uploads for a contributor (every URL in it a signed link).

    ``listing`` is the episode's listen-back list (:class:`podcast.safeguarding.listen_back.ListenBack`).
    """
    env = _environment(show)
    text = env.get_template("review.html").render(
        show=show.manifest.show,
        site=show.manifest.site,
        episode=episode,
        base_url="",
        feed_url="",
        root="",
        css_href=css_url,
        js_href=js_url,
        csp=CSP,
        audio_url=audio_url,
        vtt_url=vtt_url,
        loudness_url=loudness_url,
        listing=listing,
        expires_at=expires_at,
        cues=cues,
        timed=timed,
    )
    return text.encode("utf-8")


def site_asset(show: Show, name: str) -> SiteFile:
    """``site.css`` or ``site.js`` (the show's own from ``site/`` when it has one), content-hashed."""
    return _asset(show, name, "text/css; charset=utf-8" if name.endswith(".css") else "text/javascript; charset=utf-8")
