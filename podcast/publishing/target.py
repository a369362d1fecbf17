"""Publishing targets. The pipeline talks to a small ``Target`` protocol; each target owns its failures.

Two implement it: :class:`~podcast.publishing.local.LocalFolderTarget` (a folder) and
:class:`~podcast.publishing.s3.store.S3Target` (S3 and compatible stores, the only module
that touches boto3). :func:`open_target` picks one from a ``[publish] target`` value.

Object names (keys) carry a content hash for everything except the feed and the
state file, so an object's bytes never change under a URL: caches and CDNs can keep
media forever, and a listener never downloads a stale file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    pass

FEED_KEY = "feed.xml"
STATE_KEY = ".podcast/state.json"
LONG_CACHE = "public, max-age=31536000, immutable"
FEED_CACHE = "public, max-age=300"

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".opus": "audio/ogg",  # Opus in Ogg ([[audio.alternates]])
    ".m4a": "audio/mp4",  # AAC in MP4
    ".xml": "application/rss+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".json": "application/json",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def content_type_for(key: str) -> str:
    """The Content-Type an object is served with (by its name).

    >>> content_type_for("feed.xml"), content_type_for("sitemap.xml"), content_type_for("index.html")
    ('application/rss+xml', 'application/xml', 'text/html; charset=utf-8')
    """
    if Path(key).name == "sitemap.xml":
        return "application/xml"
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


class Target(Protocol):
    """Where published objects live. Keys are relative, '/'-separated."""

    def describe(self) -> str: ...

    def exists(self, key: str, size: int) -> bool: ...

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str | None = None,
        on_progress: Callable[[int], None] | None = None,
        private: bool = False,
    ) -> None:
        """Upload a file. ``private=True`` keeps it unreadable without a signed link (review copies)."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None: ...

    def get_bytes(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def get_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        """An object's bytes and a version tag (its ETag), or (None, None) when it is absent."""
        ...

    def put_if(self, key: str, data: bytes, *, expected: str | None, content_type: str, cache_control: str) -> str:
        """Write only if the object's version is still ``expected`` (None: only if it does not exist).

        Returns the new version tag; raises StateConflict when another writer got there first.
        Used for the state record and the publish lock, so two producers never overwrite each other.
        """
        ...

    # --- what takedown and review need: versions, private copies, signed links ---------------

    def list_all_keys(self) -> set[str]:
        """Every object name the target holds, including names that survive only as old versions."""
        ...

    def delete_all_versions(self, key: str) -> int:
        """Delete ``key`` for good, every version where the target keeps versions; how many were removed."""
        ...

    def purge_old_versions(self, key: str, *, containing: bytes) -> int:
        """Delete the *old* versions of ``key`` whose bytes contain ``containing``; how many were removed.

        The current version is left alone. Targets without versions remove nothing (0).
        """
        ...

    def check_private_links(self) -> None:
        """Raise ReviewUnavailable when this target cannot keep an object private and sign links to it."""
        ...

    def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A time-limited URL that lets one reviewer GET a private object."""
        ...
