"""The command line's options and arguments, named once (Typer's Annotated style).

typer_app.py keeps only the commands; the long help texts of their options live here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podcast import __version__


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"podcast {__version__}")
        raise typer.Exit()


def existing_files(paths: list[Path] | None) -> list[Path] | None:
    """Each file must exist; a typo gets "did you mean …?" with the name of the file beside it (a usage error)."""
    from podcast.files import similar_file

    for path in paths or ():
        if not path.exists():
            guess = similar_file(path)
            hint = f" — did you mean '{path.with_name(guess)}'?" if guess else ""
            raise typer.BadParameter(f"file '{path}' does not exist{hint}")
    return paths


JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
SlugsArgument = Annotated[
    list[str] | None, typer.Argument(help="Episode slugs (default: every episode).", show_default=False)
]
TargetOption = Annotated[
    str | None,
    typer.Option("--target", help="Folder or s3://bucket/prefix (overrides podcast.toml and PODCAST_TARGET)."),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", help="Public URL that serves the target (overrides podcast.toml and PODCAST_BASE_URL)."),
]
AcceptFewerOption = Annotated[
    bool,
    typer.Option(
        "--accept-fewer-names",
        help="Allow a redaction list with fewer names than the target was last published with (names removed on purpose).",
    ),
]

GlobalShowDir = Annotated[
    Path, typer.Option("-C", "--show", help="The show folder (holding podcast.toml).", file_okay=False)
]
GlobalVerbose = Annotated[bool, typer.Option("-v", "--verbose", help="Explain each step, including ffmpeg commands.")]
GlobalVersion = Annotated[
    bool, typer.Option("--version", callback=show_version, is_eager=True, help="Show the version.")
]
InitBaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="Public URL that will serve the feed; the show's permanent podcast:guid is derived from it.",
    ),
]
NewAudio = Annotated[
    list[Path],
    typer.Option(
        "--audio",
        help="The master audio file (copied into the episode folder); repeat it to play several in order: "
        "--audio intro.wav --audio master.wav --audio outro.wav.",
        callback=existing_files,
        dir_okay=False,
        readable=True,
    ),
]
NewPublished = Annotated[
    str | None,
    typer.Option(
        help="Release time, ISO 8601 with zone, e.g. 2026-12-01T09:00:00Z, or local time when podcast.toml sets [show] timezone (default: now). A future time embargoes the episode."
    ),
]
PublishDryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Build into build/, run the publish check, print the plan; upload nothing."),
]
TranscribeOutput = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="File to write, relative to the episode folder (.json keeps word timings; .vtt, .srt, .txt, .html also work).",
    ),
]
FeedOutput = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Where to write the feed ('-' for stdout; default build/feed.xml)."),
]
ValidateFeedFile = Annotated[
    Path | None,
    typer.Option(
        "--feed",
        help="Check this feed file instead of the one the show would publish.",
        exists=True,
        dir_okay=False,
    ),
]
ValidatePreviousFile = Annotated[
    Path | None,
    typer.Option(
        "--previous",
        help="A feed published before (e.g. the old host's, after `podcast import`): every GUID in it must still be listed.",
        exists=True,
        dir_okay=False,
    ),
]
ValidateOnline = Annotated[
    bool,
    typer.Option(
        "--online",
        help="Also fetch the published feed and every URL it names, as a directory does (HEAD, Range, type, length).",
    ),
]
ServeHost = Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 lets phones on your network subscribe.")]
ReviewExpires = Annotated[
    str | None,
    typer.Option(
        "--expires",
        help="How long the links work, with a unit: 7d, 12h, 30m (at most 7d; a bare number is refused; default [safeguarding] review_expires or 7d).",
    ),
]
TakedownReason = Annotated[
    str, typer.Option("--reason", help="Why, for the audit log (names on the redaction list are redacted).")
]
ImportFeed = Annotated[
    str, typer.Argument(help="The feed to import: its https:// address, or a saved feed file.", show_default=False)
]
ImportDir = Annotated[
    Path | None,
    typer.Argument(
        help="The show folder to create, or to sync when it exists (default: the -C folder).", file_okay=False
    ),
]
ImportDryRun = Annotated[
    bool, typer.Option("--dry-run", help="List what would be imported; download and write nothing.")
]
ImportLimit = Annotated[int | None, typer.Option("--limit", min=1, help="Import only the newest N new episodes.")]
ImportSince = Annotated[
    str | None,
    typer.Option("--since", help="Import only episodes published on or after this date (e.g. 2026-01-01)."),
]
ImportOwnerEmail = Annotated[
    str | None,
    typer.Option("--owner-email", help="The owner address of a feed marked podcast:locked, to prove it is yours."),
]
ImportKeepPeople = Annotated[
    bool,
    typer.Option(
        "--keep-people",
        help="Also import podcast:person (left out by default: testimony must not carry names by accident).",
    ),
]
ImportJobs = Annotated[int, typer.Option("--jobs", min=1, max=16, help="Downloads at a time.")]
