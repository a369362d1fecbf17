"""Reading text files with one kind of error, and writing files so nobody ever reads half of one.

Every file the tool writes for later reading (feed, build records, chapters, transcripts,
manifests) goes through :func:`write_atomic`: the data goes to a temporary file beside the
target and is renamed over it in one step, so a reader, or the next run after a crash or a
full disk, sees the old file or the new one. Files made by ffmpeg use the same rename, in
the module that runs ffmpeg.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from podcast.errors import PodcastError

_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
SPECIAL_FILE_FIX = "point it at an ordinary saved file; pipes, devices and folders are never read"


def special_kind(mode: int) -> str:
    """What a file that is not a regular file is, in a producer's words.

    >>> special_kind(stat.S_IFIFO), special_kind(stat.S_IFCHR)
    ('a FIFO', 'a character device')
    """
    return next((name for test, name in _SPECIAL_KINDS if test(mode)), "not a file")


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.75) -> str | None:
    """The candidate ``word`` was most likely meant to be (a typo: letters wrong, missing or swapped).

    >>> closest("episod-3", ["episode-3", "episode-4", "trailer"])
    'episode-3'
    >>> closest("Master.WAV", ["master.wav", "notes.md"]), closest("zzz", ["trailer"])
    ('master.wav', None)
    """
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    match = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=cutoff)
    return by_folded[match[0]] if match else None


def similar_file(path: Path) -> str | None:
    """The name of a file next to ``path`` that looks like a typo of its name, if one does."""
    try:
        names = [entry.name for entry in os.scandir(path.parent) if not entry.name.startswith(".")]
    except OSError:
        return None
    return closest(path.name, names)


def require_regular_file(
    path: Path,
    error: type[PodcastError],
    *,
    what: str = "",
    missing_fix: str,
    shown: Path | str | None = None,
    max_bytes: int | None = None,
) -> int:
    """Check that ``path`` is a regular file, without opening it; return its size in bytes.

    Opening a FIFO blocks until someone writes to it and reading ``/dev/zero`` never ends, so
    every input (manifests, lists, audio, transcripts, chapters, pictures) is checked with a
    ``stat`` first, which follows symlinks but never opens the file. ``what`` starts the
    message (``"audio file 'master.wav'"``); ``shown`` is the file the error names (``path``
    unless the caller names the manifest that points to it). ``max_bytes`` bounds how much a
    caller that reads the whole file into memory will ever read.
    """
    shown = shown if shown is not None else path
    lead = f"{what} " if what else ""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        near = similar_file(path)
        fix = f"did you mean '{near}'? {missing_fix}" if near else missing_fix
        raise error(f"{what} not found" if what else "file not found", path=shown, fix=fix) from None
    except OSError as exc:
        raise error(f"{lead}cannot be read ({exc.strerror})", path=shown, fix="check the file's permissions") from None
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{lead}is not a regular file ({special_kind(status.st_mode)})", path=shown, fix=SPECIAL_FILE_FIX)
    if max_bytes is not None and status.st_size > max_bytes:
        raise error(
            f"{lead}is {status.st_size / 1e6:.1f} MB, more than the {max_bytes / 1e6:g} MB such a file can be",
            path=shown,
            fix="check that it is the right file; text files of this kind are far smaller",
        )
    return status.st_size


def read_text(
    path: Path,
    error: type[PodcastError],
    *,
    missing_fix: str,
    shown: Path | None = None,
    max_bytes: int | None = None,
) -> str:
    """The UTF-8 text of ``path``; a missing, special, oversized, non-UTF-8 or unreadable file raises ``error``.

    The error names ``shown`` (``path`` unless the caller read a copy) and says how to fix it;
    ``missing_fix`` is the caller's, because where the name came from differs. A byte-order
    mark (Windows editors start UTF-8 files with one) is dropped.
    """
    shown = shown or path
    require_regular_file(path, error, missing_fix=missing_fix, shown=shown, max_bytes=max_bytes)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error("file not found", path=shown, fix=missing_fix) from None
    except UnicodeDecodeError:
        raise error("is not UTF-8 text", path=shown, fix="save it as UTF-8 in your editor") from None
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror})", path=shown, fix="check the file's permissions") from None


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) in one rename.

    The temporary file is ``.<name>.tmp`` in the same folder (a rename is only atomic within
    one filesystem); it is removed if the write fails. Its fixed name suits files written
    under a lock or by one process at a time; storage.py names its own per process, for
    concurrent publishes. Raises OSError, which the caller turns into an error naming what
    it was writing.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "feed.xml", "<rss/>")
    >>> (folder / "feed.xml").read_text(), sorted(p.name for p in folder.iterdir())
    ('<rss/>', ['feed.xml'])
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def hashed_key(folder: str, stem: str, sha256: str, suffix: str) -> str:
    """``folder/stem-<12 hex>.suffix``: URL-safe and different whenever the bytes differ.

    >>> hashed_key("media", "trailer", "0123456789abcdef" * 4, ".mp3")
    'media/trailer-0123456789ab.mp3'
    """
    safe = re.sub(r"[^a-z0-9-]", "-", stem.lower())
    return f"{folder}/{safe}-{sha256[:12]}{suffix}"
