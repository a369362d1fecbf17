"""Writing files so that nobody ever reads half of one.

Every file the tool writes for later reading (feed, build records, chapters, transcripts,
manifests) goes through :func:`write_atomic`: the data goes to a temporary file beside the
target and is renamed over it in one step, so a reader, or the next run after a crash or a
full disk, sees the old file or the new one. Files made by ffmpeg use the same rename, in
the module that runs ffmpeg.
"""

from __future__ import annotations

import os
from pathlib import Path


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
