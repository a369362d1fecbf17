"""The exceptions a producer can see.

Every failure the tool expects is a :class:`PodcastError`. Its ``str()`` is the one
line printed after ``error:`` (what is wrong and how to fix it) and its
``exit_code`` is the process exit status from DESIGN.md. The CLI turns them into
messages in one place (``typer_app.reported_errors``); the library never prints.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_DATA = 1  # bad show/episode data, validation or safeguarding refusal
EXIT_USAGE = 2  # command-line usage (left to Click)
EXIT_TOOL = 3  # an external tool (ffmpeg) failed
EXIT_STORAGE = 4  # storage failed


class PodcastError(Exception):
    """Base class: bad show or episode data. Message names the file, the problem and the fix."""

    exit_code = EXIT_DATA

    def __init__(self, message: str, *, path: Path | str | None = None, fix: str | None = None):
        self.path = str(path) if path is not None else None
        self.problem = message
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"{self.path}: {self.problem}" if self.path else self.problem
        if self.fix:
            text += f" — {self.fix}"
        return text


class ShowInvalid(PodcastError):
    """podcast.toml is missing, unreadable or has a bad field."""


class SettingsInvalid(ShowInvalid):
    """A publish setting (an option, an environment variable or a [publish] key) is unusable."""


class EpisodeInvalid(PodcastError):
    """An episode folder or its episode.toml is unusable."""


class EpisodeNotFound(PodcastError):
    """A slug on the command line has no folder under episodes/."""


class AudioInvalid(PodcastError):
    """A source audio file is missing, empty, silent or not audio at all."""


class ValidationFailed(PodcastError):
    """`podcast validate` found errors."""


class ExternalToolError(PodcastError):
    """ffmpeg is missing or failed."""

    exit_code = EXIT_TOOL


class StorageError(PodcastError):
    """Writing to the publishing target failed."""

    exit_code = EXIT_STORAGE


class CredentialsMissing(StorageError):
    """No AWS credentials could be found for an S3 target (commands that only read may go on without it)."""


class StateConflict(StorageError):
    """Another producer changed the target's state record while this publish was running."""


class LiveEpisodeKept(PodcastError):
    """A publish would remove a live episode from the feed (exit 1): only `podcast takedown` removes one."""


class TranscriptInvalid(PodcastError):
    """A supplied transcript cannot be read, or its cue times do not fit the audio."""


class TranscriberUnavailable(ExternalToolError):
    """faster-whisper or its model is missing or failed (exit 3, like a missing ffmpeg)."""


class SafeguardingRefusal(PodcastError):
    """A safeguarding check refused to publish (exit 1): a listed name is in an artefact."""


class ReviewUnavailable(PodcastError):
    """Review links need a target that can keep objects private and sign URLs (S3)."""


class ChaptersInvalid(EpisodeInvalid):
    """A chapter list is unreadable or breaks a rule (order, start, title, duration)."""


class RedactionListInvalid(PodcastError):
    """The redaction list is missing, unreadable, inside the show folder or has a bad line."""


class RedactionListMismatch(SafeguardingRefusal):
    """The target was published with a redaction list, and this run has none, or one with fewer names."""


class FeedInvalid(PodcastError):
    """`podcast import`: the feed to import is not an RSS podcast feed, or lacks what a show needs."""


class DownloadFailed(PodcastError):
    """`podcast import`: the old host did not deliver a file whole (exit 4, like storage: a remote store failed)."""

    exit_code = EXIT_STORAGE


class ImportRefused(PodcastError):
    """`podcast import` will not take this feed: it is locked to another owner, or the folder holds another show."""
