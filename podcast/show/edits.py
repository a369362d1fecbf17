"""Edits to a producer's episode.toml that keep every comment and the layout (tomlkit).

The file is rewritten under a temporary name and renamed, so it is never half-written.
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
import tomlkit.exceptions

from podcast.errors import EpisodeInvalid
from podcast.files import read_text, write_atomic


def set_episode_field(manifest_path: Path, key: str, value: str | bool, *, doing: str, then: str) -> bool:
    """Set top-level ``key = value`` in ``manifest_path``; True if the file changed.

    ``doing`` and ``then`` word the error: "cannot <doing> ... fix the file so it is valid TOML, then <then>".
    tomlkit places a new top-level key before the ``[[chapters]]`` tables.
    """
    text = read_text(manifest_path, EpisodeInvalid, missing_fix="restore the file, or create the episode again")
    try:
        document = tomlkit.parse(text)
    except (OSError, RecursionError, tomlkit.exceptions.TOMLKitError) as exc:
        raise EpisodeInvalid(
            f"cannot {doing} ({exc.__class__.__name__})",
            path=manifest_path,
            fix=f"fix the file so it is valid TOML, then {then}",
        ) from None
    if document.get(key) == value:
        return False
    document[key] = value
    write_atomic(manifest_path, tomlkit.dumps(document))
    return True
