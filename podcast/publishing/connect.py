"""Opening the publishing target a ``[publish] target`` value names: a local folder or S3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from podcast.errors import ShowInvalid
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
    root = root if root.is_absolute() else show_root / root
    refuse_unsafe_folder(target, root, show_root)
    return LocalFolderTarget(root)


# Folders of a show that hold what must never be public: sources (episode.toml, masters), builds, history.
PRIVATE_FOLDERS = ("episodes", "build", ".git", "safeguarding")


def refuse_unsafe_folder(target: str, root: Path, show_root: Path) -> None:
    """Refuse a local target that is or contains the show folder, or lies inside one of its private folders.

    Everything in the target is public (``podcast serve`` hands it all out), so ``target = "."``
    would publish episode.toml with the real notes and the raw masters. A folder of its own
    inside the show (``feed``, the default) is fine.
    """
    folder, show = root.resolve(), show_root.resolve()
    if show.is_relative_to(folder):
        problem = "is the show folder" if folder == show else "contains the show folder"
    elif folder.is_relative_to(show) and folder.relative_to(show).parts[0] in PRIVATE_FOLDERS:
        problem = f"is inside the show's {folder.relative_to(show).parts[0]}/ folder"
    else:
        return
    raise ShowInvalid(
        f"the publishing target '{target}' {problem}, so episode.toml files, masters and builds would be public",
        fix='publish to a folder of its own: target = "feed" (the default) or a folder outside the show',
    )
