"""The local folder target: ``feed/`` (or any folder), served by any web server or `podcast serve`.

It implements the :class:`~podcast.publishing.target.Target` protocol on plain files.
Writes go to a per-process temporary name and are renamed into place, so a reader never
sees half a file; the state record and the publish lock get a compare-and-swap under an
exclusive lock file. A folder keeps no old versions and cannot keep a file private, so
the versioned and private-link parts of the protocol are the simple local answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from glob import escape as glob_escape
from pathlib import Path

from podcast.errors import ReviewUnavailable, StateConflict, StorageError


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

    def _write(self, key: str, writer) -> None:
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
        import shutil

        if private:  # a folder served as-is cannot keep a file private: refuse rather than publish it
            self.check_private_links()

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
            raise StorageError(
                f"cannot read '{key}' ({exc.strerror})", path=self.root, fix="check permissions"
            ) from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot delete '{key}' ({exc.strerror})", path=self.root, fix="check permissions"
            ) from None

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
                    path=self.root,
                    fix="wait for the other publish to finish, then run `podcast publish` again",
                )
            self.put_bytes(key, data, content_type=content_type, cache_control=cache_control)
        return _digest(data)

    # --- takedown and review: a folder keeps no old versions and no private files ------------

    def list_all_keys(self) -> set[str]:
        """Every file under the folder, except the hidden ones (``.podcast/`` state and lock)."""
        root = self.root
        if not root.is_dir():
            return set()
        return {
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        }

    def delete_all_versions(self, key: str) -> int:
        """A file has one version: delete it and count it (1)."""
        self.delete(key)
        return 1

    def purge_old_versions(self, key: str, *, containing: bytes) -> int:
        """A folder keeps no old versions: nothing to remove."""
        return 0

    def check_private_links(self) -> None:
        """Always refuses: whatever is in the folder is served to anyone who asks."""
        raise self._no_private_links()

    def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A folder cannot sign links: the same refusal as :meth:`check_private_links`."""
        raise self._no_private_links()

    def _no_private_links(self) -> ReviewUnavailable:
        return ReviewUnavailable(
            f"review links need an S3 target, and this show publishes to {self.describe()}",
            fix="pass --target s3://bucket/prefix (a local folder cannot keep a file private); "
            "or share the built file build/<slug>/<slug>.mp3 by hand",
        )


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
