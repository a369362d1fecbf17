"""Opening the publishing target a ``[publish] target`` value names: a local folder or S3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from podcast.publishing.local import LocalFolderTarget
from podcast.publishing.target import Target
from podcast.urls import check_target, target_scheme

if TYPE_CHECKING:
    from podcast.show.settings import PublishSettings


def open_target(target: str, show_root: Path, settings: PublishSettings | None = None) -> Target:
    """The Target for a ``[publish] target`` value: a folder relative to the show, or s3://bucket/prefix.

    ``s3://`` is accepted in any case; any other scheme (``file:``, ``https:``, ``gs:``) is refused
    rather than taken as a folder named ``file:`` inside the show (see :func:`podcast.urls.check_target`).
    """
    target = check_target(target, source="target")
    if target_scheme(target) == "s3":
        from podcast.publishing.s3.store import S3Target

        return S3Target.from_settings(target, settings)
    root = Path(target).expanduser()
    return LocalFolderTarget(root if root.is_absolute() else show_root / root)
