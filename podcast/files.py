"""Reading text files with one kind of error, and writing files so nobody ever reads half of one.

Every file the tool writes for later reading (feed, build records, chapters, transcripts,
manifests) goes through :func:`write_atomic`: the data goes to a temporary file beside the
target and is renamed over it in one step, so a reader, or the next run after a crash or a
full disk, sees the old file or the new one. Files made by ffmpeg use the same rename, in
the module that runs ffmpeg.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from podcast.errors import PodcastError


def read_text(path: Path, error: type[PodcastError], *, missing_fix: str, shown: Path | None = None) -> str:
    """The UTF-8 text of ``path``; a missing, non-UTF-8 or unreadable file raises ``error``.

    The error names ``shown`` (``path`` unless the caller read a copy) and says how to fix it;
    ``missing_fix`` is the caller's, because where the name came from differs.
    """
    shown = shown or path
    try:
        return path.read_text(encoding="utf-8")
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
