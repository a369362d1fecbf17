"""The show folder as data: one :class:`Show` holding its :class:`Episode` objects.

Loading checks everything that can be checked without audio work (manifests, file
paths, duplicate numbers and GUIDs), so a command fails before it writes anything.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from podcast.errors import AudioInvalid, EpisodeInvalid, EpisodeNotFound, RedactionListInvalid, ShowInvalid
from podcast.files import closest, require_regular_file
from podcast.show.manifest import EPISODE_FILE, SHOW_FILE, SLUG_PATTERN, EpisodeManifest, ShowManifest
from podcast.show.reading import load_episode_manifest, load_show_manifest
from podcast.show.redactions import RedactionList, configured_redactions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Episode:
    """One episode folder: its slug, its manifest and the resolved source files."""

    slug: str
    folder: Path
    manifest: EpisodeManifest
    audio_paths: tuple[Path, ...]
    artwork_path: Path | None = None

    @property
    def manifest_path(self) -> Path:
        return self.folder / EPISODE_FILE

    @property
    def guid(self) -> str:
        return self.manifest.guid

    @property
    def named(self) -> str:
        """How a message names it, the way the producer knows it: ``episode 3 'Title' (slug)``."""
        return f"episode {self.manifest.number} '{self.manifest.title}' ({self.slug})"

    def is_embargoed(self, now: datetime) -> bool:
        """True while the release time is in the future: nothing about it may be public yet."""
        return self.manifest.published > now


@dataclass(frozen=True)
class Show:
    """A show folder: ``podcast.toml`` plus every episode under ``episodes/``."""

    root: Path
    manifest: ShowManifest
    artwork_path: Path
    episodes: tuple[Episode, ...] = field(default=())
    redactions: RedactionList = field(default_factory=RedactionList)  # loaded once, by load_show
    # Why the configured list could not be used, when a command that must never wait (takedown) loaded
    # the show without it; None otherwise. Such a Show's text is NOT redacted: publish nothing built from it.
    redactions_unavailable: str | None = None

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def episode(self, slug: str) -> Episode:
        for episode in self.episodes:
            if episode.slug == slug:
                return episode
        slugs = [episode.slug for episode in self.episodes]
        near = closest(slug, slugs)
        if near is not None:
            fix = f"did you mean '{near}'? (`podcast status` lists every episode)"
        elif slugs:
            shown = ", ".join(slugs[:8]) + (f" and {len(slugs) - 8} more" if len(slugs) > 8 else "")
            fix = f"check the spelling: the episodes are {shown} (`podcast status` lists them)"
        else:
            fix = "there are no episodes yet: create one with `podcast new SLUG --audio FILE`"
        raise EpisodeNotFound(f"no episode '{slug}'", path=self.root / "episodes", fix=fix)

    def select(self, slugs: list[str] | None) -> list[Episode]:
        """The episodes named on the command line, or all of them."""
        return [self.episode(slug) for slug in slugs] if slugs else list(self.episodes)


def utc_now() -> datetime:
    """The real clock, in UTC: what embargo and release times are compared with.

    No setting or environment variable moves it: a stray override would release an embargoed
    episode early. Tests that need another time replace this function in-process.
    """
    return datetime.now(UTC)


def _inside(root: Path, relative: str, owner: Path, what: str, exc_type: type) -> Path:
    """Resolve a path from a manifest and refuse anything that escapes the show folder."""
    path = (owner.parent / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        home = "show" if owner.name == SHOW_FILE else "episode"
        raise exc_type(
            f"{what} '{relative}' points outside the show folder",
            path=owner,
            fix=f"copy the file into the {home} folder and name it without '..' or an absolute path",
        )
    require_regular_file(
        path,
        exc_type,
        what=f"{what} file '{relative}'",
        shown=owner,
        missing_fix=f"put the file next to {owner.name} or correct the name",
    )
    return path


def load_episode(root: Path, folder: Path, *, timezone: str | None = None) -> Episode:
    slug = folder.name
    manifest_path = folder / EPISODE_FILE
    if not SLUG_PATTERN.match(slug):
        raise EpisodeInvalid(
            f"'{slug}' is not a valid episode slug",
            path=folder,
            fix="rename the folder using lowercase letters, digits and dashes, e.g. 'episode-3'",
        )
    manifest = load_episode_manifest(manifest_path, timezone=timezone)
    if not manifest.withdrawn:  # a withdrawn episode stays quiet: nothing of it is published again
        _check_plausible_date(manifest.published, manifest_path)
    audio = tuple(_inside(root, name, manifest_path, "audio", AudioInvalid) for name in manifest.audio_files)
    for path in audio:
        if path.stat().st_size == 0:
            raise AudioInvalid(f"audio file '{path.name}' is empty", path=manifest_path, fix="export the master again")
    artwork = _inside(root, manifest.artwork, manifest_path, "artwork", EpisodeInvalid) if manifest.artwork else None
    return Episode(slug=slug, folder=folder, manifest=manifest, audio_paths=audio, artwork_path=artwork)


EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)  # before podcasts existed
LATEST_PLAUSIBLE_YEARS = 10


def _check_plausible_date(published: datetime, manifest_path: Path) -> None:
    """Warn about a release time that is almost certainly a slip (year 1900, 0001, 2206)."""
    now = utc_now()
    if published < EARLIEST_PLAUSIBLE or published.year > now.year + LATEST_PLAUSIBLE_YEARS:
        log.warning(
            "%s: published = %s is implausible — check the year: an episode dated before %d is listed after every "
            "other, and one dated more than %d years ahead stays embargoed for that long",
            manifest_path,
            published.isoformat(),
            EARLIEST_PLAUSIBLE.year,
            LATEST_PLAUSIBLE_YEARS,
        )


def find_show_root(start: Path) -> Path:
    """The folder holding podcast.toml: ``start`` itself or one of its parents (like git)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / SHOW_FILE).exists():  # a special file too: reading it then says what it is
            return folder
    raise ShowInvalid(
        f"no {SHOW_FILE} here or in any parent folder",
        path=start,
        fix="run the command inside a show folder, pass -C SHOW_DIR, or create one with `podcast init`",
    )


def load_show(root: Path, *, without_unreadable_list: bool = False) -> Show:
    """Load and cross-check the whole show. Raises a PodcastError on the first problem.

    Every command fails closed on a redaction list that is required but cannot be read. Only
    ``podcast takedown`` passes ``without_unreadable_list=True``: an emergency withdrawal must never
    wait for a USB stick, so it gets the show unredacted, with ``redactions_unavailable`` saying why,
    and publishes nothing built from its text.
    """
    root = find_show_root(root)
    show_path = root / SHOW_FILE
    manifest = load_show_manifest(show_path)
    artwork = _inside(root, manifest.show.artwork, show_path, "artwork", ShowInvalid)
    episodes_dir = root / "episodes"
    folders = sorted(p for p in episodes_dir.iterdir() if p.is_dir()) if episodes_dir.is_dir() else []
    zone = manifest.show.timezone
    episodes = tuple(load_episode(root, folder, timezone=zone) for folder in folders if not folder.name.startswith("."))
    _check_unique(episodes)
    show = Show(root=root, manifest=manifest, artwork_path=artwork, episodes=episodes)
    try:
        names = configured_redactions(root, manifest)
    except RedactionListInvalid as exc:
        if not without_unreadable_list:
            raise
        log.warning("the redaction list cannot be used (%s); going on without it", exc.problem)
        return dataclasses.replace(show, redactions_unavailable=exc.problem)
    # Safeguarding: every artefact is built from redacted text.
    return redact_show(show, names)


# --- applying the redaction list to the show's own text ----------------------------------------

SHOW_FIELDS = ("title", "description", "author", "copyright", "support_notice")


EPISODE_FIELDS = ("title", "description", "content_warning")


def _redacted_fields(
    model, fields: Iterable[str], names: RedactionList, where: Path, prefix: str = "", *, quiet: bool = False
) -> dict:
    update = {}
    for name in fields:
        value = getattr(model, name, None)
        if isinstance(value, str):
            clean = names.redact(value)
            if clean != value:
                if not quiet:
                    log.warning(
                        "%s: '%s%s' contains a name from the redaction list; it is published redacted",
                        where,
                        prefix,
                        name,
                    )
                update[name] = clean
    return update


def redact_show(show: Show, names: RedactionList) -> Show:
    """A copy of ``show`` whose titles, notes, warnings and chapter titles have the names replaced.

    Called when the show is loaded, so every artefact built from it (feed, ID3 tags,
    chapters) is redacted by construction. Transcripts are files, not manifest text:
    their builder calls :meth:`RedactionList.redact` with ``show.redactions``.
    """
    show = dataclasses.replace(show, redactions=names)
    if not names:
        return show
    info = show.manifest.show
    show_update = _redacted_fields(info, SHOW_FIELDS, names, show.root / "podcast.toml", "show.")
    manifest = (
        show.manifest.model_copy(update={"show": info.model_copy(update=show_update)}) if show_update else show.manifest
    )
    episodes = []
    for episode in show.episodes:
        quiet = episode.manifest.withdrawn  # redacted all the same, but a withdrawn episode is not acted on
        update = _redacted_fields(episode.manifest, EPISODE_FIELDS, names, episode.manifest_path, quiet=quiet)
        declared = getattr(episode.manifest, "chapters", [])
        chapters = list(declared) if isinstance(declared, list) else []  # a chapters *file*: see redact_chapters
        new_chapters = []
        for index, chapter in enumerate(chapters):
            chapter_update = _redacted_fields(
                chapter, ("title",), names, episode.manifest_path, f"chapters[{index + 1}].", quiet=quiet
            )
            new_chapters.append(chapter.model_copy(update=chapter_update) if chapter_update else chapter)
        if new_chapters != chapters:
            update["chapters"] = new_chapters
        episodes.append(
            dataclasses.replace(episode, manifest=episode.manifest.model_copy(update=update)) if update else episode
        )
    return dataclasses.replace(show, manifest=manifest, episodes=tuple(episodes))


def _check_unique(episodes: tuple[Episode, ...]) -> None:
    """GUIDs identify episodes in every podcast app; numbers identify them for listeners."""
    seen_guid: dict[str, Episode] = {}
    seen_number: dict[tuple[int | None, str, int], Episode] = {}
    for episode in episodes:
        other = seen_guid.setdefault(episode.guid.lower(), episode)
        if other is not episode:
            raise EpisodeInvalid(
                f"guid is the same as episode '{other.slug}'",
                path=episode.manifest_path,
                fix="every episode needs its own guid: create episodes with `podcast new` instead of copying folders",
            )
        if episode.manifest.withdrawn:
            continue
        key = (episode.manifest.season, episode.manifest.type, episode.manifest.number)
        other = seen_number.setdefault(key, episode)
        if other is not episode:
            raise EpisodeInvalid(
                f"episode number {episode.manifest.number} is already used by '{other.slug}'",
                path=episode.manifest_path,
                fix="give each episode of a season its own number",
            )
