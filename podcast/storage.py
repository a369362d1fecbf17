"""Publishing targets. The pipeline talks to a small ``Target`` protocol; each target owns its failures.

Object names (keys) carry a content hash for everything except the feed and the
state file, so an object's bytes never change under a URL: caches and CDNs can keep
media forever, and a listener never downloads a stale file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from .errors import StorageError, TargetBusy

log = logging.getLogger(__name__)

FEED_KEY = "feed.xml"
STATE_KEY = ".podcast/state.json"
LONG_CACHE = "public, max-age=31536000, immutable"
FEED_CACHE = "public, max-age=300"

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".xml": "application/rss+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".json": "application/json",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


def hashed_key(folder: str, stem: str, sha256: str, suffix: str) -> str:
    """``folder/stem-<12 hex>.suffix``: URL-safe and different whenever the bytes differ.

    >>> hashed_key("media", "trailer", "0123456789abcdef" * 4, ".mp3")
    'media/trailer-0123456789ab.mp3'
    """
    safe = re.sub(r"[^a-z0-9-]", "-", stem.lower())
    return f"{folder}/{safe}-{sha256[:12]}{suffix}"


class Target(Protocol):
    """Where published objects live. Keys are relative, '/'-separated."""

    def describe(self) -> str: ...

    def exists(self, key: str, size: int) -> bool: ...

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str) -> None: ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None: ...

    def get_bytes(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class LocalFolderTarget:
    """A folder on disk (``feed/`` by default), served by any web server or `podcast serve`."""

    def __init__(self, root: Path):
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StorageError(f"object name '{key}' escapes the target folder", path=self.root, fix="report this bug")
        return path

    def exists(self, key: str, size: int) -> bool:
        path = self._path(key)
        return path.is_file() and path.stat().st_size == size

    def _write(self, key: str, writer) -> None:  # type: ignore[no-untyped-def]
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(tmp)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(
                f"cannot write '{key}' ({exc.strerror})", path=self.root, fix="check free space and permissions"
            ) from None

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str) -> None:
        import shutil

        self._write(key, lambda tmp: shutil.copyfile(path, tmp))

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        self._write(key, lambda tmp: tmp.write_bytes(data))

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read '{key}' ({exc.strerror})", path=self.root, fix="check permissions") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder for one publish, or raise TargetBusy at once.

        Two publishes interleaving their reads and writes of state.json could each drop the
        other's episode from the feed. The lock is an flock on the target folder itself (no
        lock file, so a publish that fails early writes nothing): the kernel releases it when
        the process ends, even by SIGKILL, so a crash never leaves it stuck. Holding it, we
        also sweep the temporary files a killed publish left behind.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise StorageError(f"cannot open the target folder ({exc.strerror})", path=self.root,
                               fix="check that the folder exists and that you may write to it") from None  # fmt: skip
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TargetBusy(
                    "another publish is running on this target", path=self.root, fix="wait for it to finish and run again"
                ) from None
            for leftover in self.root.rglob(".*.tmp"):
                leftover.unlink(missing_ok=True)
            yield
        finally:
            os.close(descriptor)  # closing the only descriptor releases the lock

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete '{key}' ({exc.strerror})", path=self.root, fix="check permissions") from None


def open_target(target: str, show_root: Path) -> Target:
    """The Target for a ``[publish] target`` value: a folder relative to the show, or s3://."""
    if target.startswith("s3://"):
        raise StorageError(
            f"S3 targets are not supported yet ({target})",
            fix='publish to a local folder for now: target = "feed"',
        )
    root = Path(target).expanduser()
    return LocalFolderTarget(root if root.is_absolute() else show_root / root)
