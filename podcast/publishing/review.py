"""`podcast review SLUG [--expires 7d]`: private, expiring links so a contributor can hear and read first.

The built episode (and its transcript, when it has one) is uploaded *privately* under an
unguessable name, ``review/<slug>-<random>/...``, and a presigned URL is printed for
each. Nothing is added to the feed or the state record, so a publish never lists or
deletes review copies; a takedown deletes them with the rest of the episode.

"Never public" is checked, not assumed: after uploading, the object is fetched once
*without* a signature. If the store answers with the bytes (a bucket policy that makes
everything public, say), the copy is deleted and the review is refused. The same
publish gate as ``podcast publish`` runs first, because a contributor may not be the
only person who sees the link.

Presigned URLs need S3 (or an S3-compatible store): a local folder target has no way
to keep a file private, so it gets a clear error instead (``Target.check_private_links``).
"""

from __future__ import annotations

import logging
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from podcast.build.stages import build_episode
from podcast.errors import PodcastError, SafeguardingRefusal
from podcast.files import write_atomic
from podcast.publishing.listcheck import check_list
from podcast.publishing.state import read_state
from podcast.publishing.takedown import REVIEW_FOLDER
from podcast.publishing.target import Target, content_type_for
from podcast.safeguarding.audit import append_audit, audit_log_path
from podcast.safeguarding.gate import Artefact, refuse_if_hits, scan_artefacts
from podcast.safeguarding.listen_back import LISTEN_BACK_TEXT, read_listen_back, render_listen_back
from podcast.show.model import Show
from podcast.show.settings import PublishSettings
from podcast.site.render import asset_path, read_cues, render_review_page

LOUDNESS_PICTURE = "loudness.svg"  # build/<slug>/loudness.svg, when the build draws one
REVIEW_PAGE = "index.html"

log = logging.getLogger(__name__)

MAX_EXPIRES_S = 7 * 24 * 3600  # the longest a SigV4 presigned URL can live
REVIEW_CACHE = "private, no-store"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass
class ReviewReport:
    slug: str
    expires_at: str
    links: list[dict[str, str]] = field(default_factory=list)  # {"what", "key", "url"}
    redactions: dict[str, Any] = field(default_factory=dict)  # the list used: path and count (ListUse)
    listen_back: dict[str, Any] = field(default_factory=dict)  # every bleep and near miss (ListenBack)
    page: dict[str, str] = field(default_factory=dict)  # the review web page: {"key", "url"} (player, bleeps, ...)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_expires(text: str) -> int:
    """A lifetime like ``7d``, ``12h`` or ``30m`` in seconds, at most 7 days.

    A bare number is refused: ``2`` once silently meant two seconds, and a contributor got a
    link that had expired before the message reached them.

    >>> parse_expires("7d"), parse_expires("12h"), parse_expires("90s")
    (604800, 43200, 90)
    >>> parse_expires("2")
    Traceback (most recent call last):
    ...
    podcast.errors.PodcastError: --expires '2' has no unit — write 2d for days, 2h for hours or 2m for minutes
    >>> parse_expires("8d")
    Traceback (most recent call last):
    ...
    podcast.errors.PodcastError: --expires '8d' is longer than 7 days — S3 signed links last at most 7 days; use 7d or less and send a new link later
    """
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise PodcastError(
            f"--expires '{text}' is not a lifetime", fix="write a number and a unit, e.g. 7d, 12h or 30m"
        )
    if not match.group(2):
        number = match.group(1)
        raise PodcastError(
            f"--expires '{text}' has no unit",
            fix=f"write {number}d for days, {number}h for hours or {number}m for minutes",
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds > MAX_EXPIRES_S:
        raise PodcastError(
            f"--expires '{text}' is longer than 7 days",
            fix="S3 signed links last at most 7 days; use 7d or less and send a new link later",
        )
    return seconds


def is_publicly_readable(signed_url: str) -> bool:
    """True if the object answers an *unsigned* GET with its bytes (the signature stripped off)."""
    parts = urlsplit(signed_url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    try:
        with urllib.request.urlopen(
            urllib.request.Request(bare, headers={"Range": "bytes=0-0"}), timeout=30
        ) as response:
            return 200 <= response.status < 300
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, OSError):
        return False  # unreachable without credentials is not public


def review_files(show: Show, episode_slug: str, mp3: Path) -> list[tuple[str, Path]]:
    """(what, file) pairs to share: the built MP3 and the episode's *built* transcript, if any.

    The built transcript (``build/<slug>/transcript.*``) has the redaction list applied, as
    the published one will; the producer's source file may still hold a real name.
    """
    files = [("audio", mp3)]
    for name in ("transcript.vtt", "transcript.html", "transcript.txt"):
        built = mp3.parent / name
        if built.is_file():
            files.append(("transcript", built))
            break
    return files


def review(
    show: Show,
    settings: PublishSettings,
    target: Target,
    slug: str,
    *,
    expires_s: int,
    now: datetime,
    accept_fewer_names: bool = False,
) -> ReviewReport:
    """Upload ``slug`` privately and return presigned links (see the module doc)."""
    target.check_private_links()  # before building: a local folder cannot keep a review copy private
    episode = show.episode(slug)
    # The contributor hears what listeners will: never with less redaction than the target was published with.
    used = check_list(
        read_state(target), show.redactions, where=target.describe(), action="review", accept_fewer=accept_fewer_names
    )
    built = build_episode(show, episode, settings)
    token = secrets.token_hex(12)
    planned = [
        (what, f"{REVIEW_FOLDER}/{slug}-{token}/{slug}{path.suffix.lower()}", path)
        for what, path in review_files(show, slug, built.mp3_path)
    ]
    # The listen-back list goes with the links, so the contributor can check every hidden name too.
    listing = read_listen_back(slug, built.mp3_path.parent)
    listen_back = built.mp3_path.parent / LISTEN_BACK_TEXT
    write_atomic(listen_back, (render_listen_back(listing) + "\n").encode())
    planned.append(("listen-back", f"{REVIEW_FOLDER}/{slug}-{token}/{LISTEN_BACK_TEXT}", listen_back))
    # The review page: player, transcript, warning, support notice, the bleep list and the loudness picture.
    # Every object it names is private too, so it names them by signed link (same origin: the CSP holds).
    folder = f"{REVIEW_FOLDER}/{slug}-{token}"
    page_files = [(f"{folder}/{name}", asset_path(show, name)) for name in ("site.css", "site.js")]
    loudness = built.mp3_path.parent / LOUDNESS_PICTURE
    if loudness.is_file():
        page_files.append((f"{folder}/{LOUDNESS_PICTURE}", loudness))
    signed = {key: target.presigned_get_url(key, expires_s=expires_s) for key, _ in page_files}
    signed.update({key: target.presigned_get_url(key, expires_s=expires_s) for _w, key, _p in planned})
    vtt = next((key for _w, key, path in planned if path.suffix == ".vtt"), None)
    cues, timed = read_cues(built.mp3_path.parent)
    page = render_review_page(
        show,
        episode,
        audio_url=signed[planned[0][1]],
        vtt_url=signed[vtt] if vtt else None,
        css_url=signed[f"{folder}/site.css"],
        js_url=signed[f"{folder}/site.js"],
        loudness_url=signed.get(f"{folder}/{LOUDNESS_PICTURE}"),
        listing=listing,
        expires_at=now + timedelta(seconds=expires_s),
        cues=cues,
        timed=timed,
    )
    # The page holds presigned links (with the access key id): it lives only until it is uploaded.
    page_path = built.mp3_path.parent / ".review.html.tmp"
    try:
        write_atomic(page_path, page)
        page_files.append((f"{folder}/{REVIEW_PAGE}", page_path))
        refuse_if_hits(
            scan_artefacts(
                [Artefact(key, source=path) for _what, key, path in planned]
                + [Artefact(key, source=path) for key, path in page_files],
                show.redactions,
            ),
            action="review",
        )

        report = ReviewReport(
            slug=slug,
            expires_at=(now + timedelta(seconds=expires_s)).isoformat(),
            redactions=used.to_dict(),
            listen_back=listing.to_dict(),
        )
        for what, key, path in planned:
            target.put_file(key, path, content_type=content_type_for(key), cache_control=REVIEW_CACHE, private=True)
            url = target.presigned_get_url(key, expires_s=expires_s)
            if is_publicly_readable(url):
                target.delete_all_versions(key)
                raise SafeguardingRefusal(
                    f"safeguarding: the review copy {key} was readable without a signature, so it was deleted",
                    fix="the bucket makes every object public (bucket policy or ACL); publish review copies to a private "
                    "bucket with --target s3://private-bucket/prefix",
                )
            report.links.append({"what": what, "key": key, "url": url})
        for key, path in page_files:  # the page last, once everything it names is there
            target.put_file(key, path, content_type=content_type_for(key), cache_control=REVIEW_CACHE, private=True)
        page_key = f"{folder}/{REVIEW_PAGE}"
        report.page = {"key": page_key, "url": target.presigned_get_url(page_key, expires_s=expires_s)}
        if is_publicly_readable(report.page["url"]):
            for key, _path in page_files:
                target.delete_all_versions(key)
            raise SafeguardingRefusal(
                f"safeguarding: the review page {page_key} was readable without a signature, so it was deleted",
                fix="publish review copies to a private bucket with --target s3://private-bucket/prefix",
            )
        append_audit(
            audit_log_path(show),
            {
                "action": "review",
                "when": now.isoformat(),
                "slug": slug,
                "expires_at": report.expires_at,
                "objects": sorted(link["key"] for link in report.links),
                "page": report.page["key"],
                "target": target.describe(),
            },
        )
        return report
    finally:
        page_path.unlink(missing_ok=True)
