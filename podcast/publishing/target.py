"""Publishing targets. The pipeline talks to a small ``Target`` protocol; each target owns its failures.

Object names (keys) carry a content hash for everything except the feed and the
state file, so an object's bytes never change under a URL: caches and CDNs can keep
media forever, and a listener never downloads a stale file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from glob import escape as glob_escape
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from podcast.errors import StateConflict, StorageError

if TYPE_CHECKING:
    from podcast.show.settings import PublishSettings

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


class Target(Protocol):
    """Where published objects live. Keys are relative, '/'-separated."""

    def describe(self) -> str: ...

    def exists(self, key: str, size: int) -> bool: ...

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str, sha256: str | None = None,
                 on_progress: Callable[[int], None] | None = None) -> None: ...  # fmt: skip

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
        # The temporary name is per process: uploads run outside the publish lock, and two
        # publishes writing one fixed name could rename each other's half-written file into place.
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _sweep_dead_leftovers(path)
            writer(tmp)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(
                f"cannot write '{key}' ({exc.strerror})", path=self.root, fix="check free space and permissions"
            ) from None

    def put_file(self, key: str, path: Path, *, content_type: str, cache_control: str, sha256: str | None = None,
                 on_progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        import shutil

        self._write(key, lambda tmp: shutil.copyfile(path, tmp))
        if on_progress:
            on_progress(path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        self._write(key, lambda tmp: tmp.write_bytes(data))

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read '{key}' ({exc.strerror})", path=self.root, fix="check permissions") from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete '{key}' ({exc.strerror})", path=self.root, fix="check permissions") from None


    def get_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        data = self.get_bytes(key)
        return (data, _digest(data)) if data is not None else (None, None)

    def put_if(self, key: str, data: bytes, *, expected: str | None, content_type: str, cache_control: str) -> str:
        """Compare-and-swap under an exclusive lock file: the local twin of S3's If-Match/If-None-Match."""
        import fcntl

        lock_path = self._path(".podcast/cas.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.get_versioned(key)[1] != expected:
                raise StateConflict(
                    f"cannot write '{key}': someone else is publishing to this folder at the same time",
                    path=self.root, fix="wait for the other publish to finish, then run `podcast publish` again",
                )
            self.put_bytes(key, data, content_type=content_type, cache_control=cache_control)
        return _digest(data)


def _sweep_dead_leftovers(path: Path) -> None:
    """Delete ``.<name>.<pid>.tmp`` files of ``path`` left by a killed process (its pid is gone).

    Keys carry content hashes, so the re-run of an interrupted publish writes the same key
    and cleans up after the run that died. Files of live processes are left alone.
    """
    for leftover in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        pid = leftover.name.removeprefix(f".{path.name}.").removesuffix(".tmp")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def open_target(target: str, show_root: Path, settings: PublishSettings | None = None) -> Target:
    """The Target for a ``[publish] target`` value: a folder relative to the show, or s3://bucket/prefix."""
    if target.startswith("s3://"):
        from podcast.publishing.s3 import S3Target

        return S3Target.from_settings(target, settings)
    root = Path(target).expanduser()
    return LocalFolderTarget(root if root.is_absolute() else show_root / root)
