"""Edits to a producer's episode.toml and podcast.toml that keep every comment and the layout (tomlkit).

The file is rewritten under a temporary name and renamed, so it is never half-written.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import tomlkit
import tomlkit.exceptions

from podcast.errors import EpisodeInvalid, ShowInvalid
from podcast.files import read_text, write_atomic
from podcast.show.manifest import SHOW_FILE, show_guid
from podcast.show.model import Show


def _parse(
    path: Path, error: type[EpisodeInvalid] | type[ShowInvalid], *, doing: str, then: str, missing_fix: str
) -> tomlkit.TOMLDocument:
    """The manifest as a tomlkit document (comments and layout kept); ``error`` worded "cannot <doing>"."""
    text = read_text(path, error, missing_fix=missing_fix)
    try:
        return tomlkit.parse(text)
    except (OSError, RecursionError, tomlkit.exceptions.TOMLKitError) as exc:
        raise error(
            f"cannot {doing} ({exc.__class__.__name__})",
            path=path,
            fix=f"fix the file so it is valid TOML, then {then}",
        ) from None


def set_episode_field(manifest_path: Path, key: str, value: str | bool, *, doing: str, then: str) -> bool:
    """Set top-level ``key = value`` in ``manifest_path``; True if the file changed.

    ``doing`` and ``then`` word the error: "cannot <doing> ... fix the file so it is valid TOML, then <then>".
    tomlkit places a new top-level key before the ``[[chapters]]`` tables.
    """
    document = _parse(
        manifest_path,
        EpisodeInvalid,
        doing=doing,
        then=then,
        missing_fix="restore the file, or create the episode again",
    )
    if document.get(key) == value:
        return False
    document[key] = value
    write_atomic(manifest_path, tomlkit.dumps(document))
    return True


def set_show_guid(show_path: Path, guid: str, *, feed_url: str) -> bool:
    """Write ``guid = "..."`` into podcast.toml's ``[show]`` table, keeping every comment; True if it changed.

    Never replaces a guid that is already there: podcast:guid is set once in a show's life.
    """
    document = _parse(
        show_path, ShowInvalid, doing="write the show's guid", then="publish again", missing_fix="restore podcast.toml"
    )
    table = document.get("show")
    if not isinstance(table, dict):
        raise ShowInvalid("has no [show] table", path=show_path, fix="add the [show] table (see README.md)")
    if table.get("guid"):
        return False
    value = tomlkit.string(guid)
    value.comment(f"podcast:guid, the UUIDv5 of {feed_url} (the first feed URL); never change it")
    table["guid"] = value
    write_atomic(show_path, tomlkit.dumps(document))
    return True


def with_show_guid(show: Show, feed_url: str, *, write: bool, published: str | None = None) -> tuple[Show, str | None]:
    """``show`` with a podcast:guid: its own, or the UUIDv5 of ``feed_url`` (written to podcast.toml when ``write``).

    ``published`` is the guid the live feed already carries, if any: a show whose guid line was
    lost gets that one back rather than a new one (it is not its first publish).
    Returns the show and the guid when it was set here (None when podcast.toml had one).
    A show keeps its guid whatever its feed URL becomes, so it is computed only while missing.
    """
    info = show.manifest.show
    if info.guid:
        return show, None
    guid = published or show_guid(feed_url)
    if write:
        set_show_guid(show.root / SHOW_FILE, guid, feed_url=feed_url)
    manifest = show.manifest.model_copy(update={"show": info.model_copy(update={"guid": guid})})
    return dataclasses.replace(show, manifest=manifest), guid
