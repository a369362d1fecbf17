"""The `podcast` command line: parse options, call the library, render the result, exit.

Errors become messages in exactly one place, :func:`reported_errors`: a PodcastError
prints one ``error: <file>: <what> — <how to fix>`` line on stderr and exits with its
code (1 data, 3 ffmpeg, 4 storage); Click keeps exit code 2 for usage errors.
Tracebacks never show local variables, which could hold credentials.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from podcast.console.options import (
    AcceptFewerOption,
    BaseUrlOption,
    FeedOutput,
    GlobalShowDir,
    GlobalVerbose,
    GlobalVersion,
    ImportDir,
    ImportDryRun,
    ImportFeed,
    ImportJobs,
    ImportKeepPeople,
    ImportLimit,
    ImportOwnerEmail,
    ImportSince,
    InitBaseUrl,
    JsonOption,
    NewAudio,
    NewPublished,
    PublishDryRun,
    ReviewExpires,
    ServeHost,
    SlugsArgument,
    TakedownReason,
    TargetOption,
    TranscribeOutput,
    ValidateFeedFile,
    ValidateOnline,
    ValidatePreviousFile,
)
from podcast.console.progress import ProgressView
from podcast.console.session import (
    Context,
    command_context,
    configure_logging,
    emit,
    open_show,
    parse_when,
    reported_errors,
    signals_interrupt,
)
from podcast.console.text import (
    bleeps_text,
    build_text,
    import_text,
    incomplete_dry_run_text,
    init_text,
    loudness_text,
    publish_text,
    review_text,
    status_text,
    takedown_text,
    transcribe_text,
    validate_text,
)
from podcast.errors import EXIT_DATA, PodcastError

app = typer.Typer(
    name="podcast",
    help="Publish the Survivor Voices podcast: normalise, tag, upload and list episodes in the feed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
log = logging.getLogger("podcast")


# --- output -----------------------------------------------------------------------------------


@app.callback()
def main(
    ctx: typer.Context,
    show_dir: GlobalShowDir = Path("."),
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
    verbose: GlobalVerbose = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only print errors.")] = False,
    version: GlobalVersion = False,
) -> None:
    """Publish the Survivor Voices podcast.

    Example: podcast -C ~/shows/survivor-voices publish
    """
    handler = configure_logging(verbose, quiet)
    ctx.obj = Context(show_dir=show_dir, json=json_output, verbose=verbose, quiet=quiet, log=handler)


# --- commands ---------------------------------------------------------------------------------
# Each command: parse -> open (open_show) -> call podcast.* -> render (a _*_text function) -> exit code.


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Argument(help="Where to create the show (default: the -C folder).")] = None,
    title: Annotated[str, typer.Option(help="The show's title.")] = "My Podcast",
    base_url: InitBaseUrl = None,
) -> None:
    """Scaffold a show folder: podcast.toml, placeholder artwork, episodes/ and feed/.

    Example: podcast init my-show --title "Survivor Voices" --base-url https://media.example.org/survivor-voices
    """
    from podcast.show.scaffold import init_show

    obj = command_context(ctx)
    with reported_errors(obj):
        created = init_show(directory or obj.show_dir, title=title, base_url=base_url)
    emit(obj, {"created": [str(p) for p in created]}, init_text(created, base_url_given=base_url is not None))


@app.command()
def new(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Folder name: lowercase letters, digits and dashes.")],
    audio: NewAudio,
    title: Annotated[str | None, typer.Option(help="Episode title (default: from the slug).")] = None,
    number: Annotated[int | None, typer.Option(help="Episode number (default: the next one).", min=0)] = None,
    published: NewPublished = None,
    json_flag: JsonOption = False,
) -> None:
    """Create episodes/SLUG/ with the audio, an episode.toml and a fresh permanent GUID.

    Example: podcast new episode-3 --audio ~/Recordings/ep3.wav --title "Episode three" --published 2026-12-01T09:00:00Z
    """
    from podcast.show.model import find_show_root
    from podcast.show.redactions import folder_redactions
    from podcast.show.scaffold import new_episode

    obj = command_context(ctx, json_flag)
    with reported_errors(obj), signals_interrupt():  # an interrupted copy is removed, never left half-written
        root = find_show_root(obj.show_dir)
        when = parse_when(published, root)
        redactions = folder_redactions(root)
        folder = new_episode(root, slug, audio, title=title, number=number, published=when, redactions=redactions)
    emit(
        obj,
        {"slug": slug, "folder": str(folder)},
        f"created {folder}/episode.toml — edit the notes, then `podcast build {slug}`",
    )


@app.command()
def rename(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="The episode's folder name now.")],
    new: Annotated[str, typer.Argument(help="Its new folder name: lowercase letters, digits and dashes.")],
    target: TargetOption = None,
    json_flag: JsonOption = False,
) -> None:
    """Rename an episode's folder; its GUID stays, so apps still know it. Refused once published (its addresses are live).

    Example: podcast rename episdoe-3 episode-3
    """
    from podcast.publishing.state import read_state
    from podcast.show.scaffold import rename_episode

    obj = command_context(ctx, json_flag, slugs=[old])
    with reported_errors(obj):
        opened = open_show(obj, target=target)
        episode = opened.show.episode(old)  # a typo in OLD gets "did you mean"
        live = old in read_state(opened.target).episodes
        folder = rename_episode(opened.show.root, episode.slug, new, live=live, label=episode.named)
    emit(
        obj,
        {"old": old, "new": new, "folder": str(folder), "guid": episode.guid},
        f"renamed episodes/{old} to episodes/{new} (guid {episode.guid} kept) — next: `podcast build {new}`",
    )


@app.command()
def build(ctx: typer.Context, slugs: SlugsArgument = None, json_flag: JsonOption = False) -> None:
    """Render episodes into build/: assemble, normalise loudness, encode MP3, write tags. Skips what is up to date.

    Example: podcast build trailer
    """
    from podcast.build.batch import build_episodes
    from podcast.safeguarding.listen_back import read_listen_back

    obj = command_context(ctx, json_flag, slugs=slugs)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    with reported_errors(obj):
        opened = open_show(obj)
        episodes = opened.show.select(slugs)
    with reported_errors(obj), ProgressView(obj) as progress:  # reported_errors: Ctrl+C gives one line and 130
        # Two episodes at a time (PODCAST_JOBS); a failing episode does not stop the others.
        outcomes = build_episodes(opened.show, episodes, opened.settings, on_progress=progress.update)
    for outcome in outcomes:
        if outcome.error is not None:
            log.debug("error details for %s", outcome.slug, exc_info=outcome.error)
            typer.echo(f"error: {outcome.error}", err=True)
            failures.append(outcome.slug)
            last_code = outcome.error.exit_code
        elif outcome.built is not None:
            listing = read_listen_back(outcome.slug, outcome.built.mp3_path.parent)
            results.append({**outcome.built.to_dict(), "listen_back": listing.counts()})
    emit(obj, {"episodes": results, "failed": failures}, build_text(results, failures))
    if failures:
        raise typer.Exit(last_code)


@app.command()
def publish(
    ctx: typer.Context,
    slugs: SlugsArgument = None,
    target: TargetOption = None,
    base_url: BaseUrlOption = None,
    dry_run: PublishDryRun = False,
    accept_fewer_names: AcceptFewerOption = False,
    json_flag: JsonOption = False,
) -> None:
    """Build what is stale, upload media that changed, then write the feed (always last).

    Example: podcast publish --dry-run
    """
    from podcast.publishing.publish import publish as run_publish
    from podcast.show.model import utc_now
    from podcast.validate.runner import refuse_invalid_feed

    obj = command_context(ctx, json_flag, slugs=slugs)
    with reported_errors(obj), ProgressView(obj) as progress:
        opened = open_show(obj, target=target, base_url=base_url)
        now = utc_now()
        show = opened.show
        artwork = [(show.artwork_path, str(show.artwork_path.relative_to(show.root)))]
        report = run_publish(
            opened.show,
            opened.settings,
            opened.target,
            slugs=slugs,
            now=now,
            check_feed=lambda feed: refuse_invalid_feed(feed, artwork=artwork, now=now),
            dry_run=dry_run,
            accept_fewer_names=accept_fewer_names,
            on_build_progress=progress.update,
            on_upload_progress=progress.transfer,
        )
    if not dry_run and report.feed_changed:
        warn_if_feed_private(opened.settings)
    emit(obj, report.to_dict(), publish_text(report, dry_run))
    if dry_run and report.unchecked:
        typer.echo(f"error: {incomplete_dry_run_text(report)}", err=True)
        raise typer.Exit(EXIT_DATA)


def warn_if_feed_private(settings: Any) -> None:
    """After an S3 publish, fetch the feed as a listener's app does (no credentials); warn if it cannot.

    A bucket that is private (no bucket policy granting public read, no ACL) accepts every upload and
    then answers 403 to every app. Only S3 targets: a local folder is served by whatever the producer
    deploys it with, later.
    """
    from podcast.validate.probes import fetch_feed

    if not settings.target.startswith("s3://"):
        return
    _, problem = fetch_feed(settings.feed_url, timeout=10.0)
    if problem is not None:
        log.warning(
            "%s cannot be read without credentials (%s): podcast apps cannot subscribe — grant public read on "
            "the bucket or prefix with a bucket policy (s3:GetObject for everyone), or set [publish] acl = "
            '"public-read" where the store uses ACLs, or serve it through a CDN and set [publish] base_url to it',
            settings.feed_url,
            problem.message.rsplit("(", 1)[-1].rstrip(")"),
        )


@app.command()
def transcribe(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to transcribe.")],
    output: TranscribeOutput = Path("transcript.json"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing transcript file.")] = False,
    json_flag: JsonOption = False,
) -> None:
    """Transcribe an episode offline with Whisper (faster-whisper), one track per speaker when it has [[tracks]].

    Writes an editable transcript next to episode.toml and, if episode.toml names none yet,
    adds transcript = "..." so the next build publishes it. Correct names and mishearings in
    the file before publishing. Example: podcast transcribe episode-3 --output transcript.vtt
    """
    from podcast.build.transcripts import adopt_transcript, transcribe_episode
    from podcast.show.model import load_show

    obj = command_context(ctx, json_flag, slugs=[slug])
    with reported_errors(obj):
        # Only the show: transcribing needs no publish settings, so a bad base URL does not stop it.
        show = load_show(obj.show_dir)
        episode = show.episode(slug)
        path = episode.folder / output  # an absolute --output stays as it is
        if path.exists() and not force:
            raise PodcastError("already exists", path=path, fix="pass --force to replace it, or --output another file")
        with ProgressView(obj) as progress:
            result = transcribe_episode(show, episode, on_progress=lambda step, f: progress.update(slug, step, f))
        listed = adopt_transcript(show, episode, result, path)
    words = sum(len(cue.text.split()) for cue in result.cues)
    emit(
        obj,
        {
            "slug": slug,
            "file": str(path),
            "cues": len(result.cues),
            "words": words,
            "speakers": result.speakers,
            "listed": listed,
        },
        transcribe_text(path, len(result.cues), words, listed),
    )


@app.command()
def feed(
    ctx: typer.Context,
    output: FeedOutput = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Write the feed from the local builds without uploading anything (builds what is stale).

    Example: podcast feed --output - | head
    """
    from podcast.publishing.feed import write_feed
    from podcast.publishing.publish import write_feed_for
    from podcast.show.model import utc_now

    obj = command_context(ctx)
    with reported_errors(obj), ProgressView(obj) as progress:
        opened = open_show(obj, base_url=base_url)
        data = write_feed_for(opened.show, opened.settings, now=utc_now(), on_build_progress=progress.update)
        if output is not None and str(output) == "-":
            sys.stdout.buffer.write(data)
            return
        path = output or opened.show.build_dir / "feed.xml"
        write_feed(path, data)
    emit(obj, {"feed": str(path), "bytes": len(data)}, f"wrote {path} ({len(data):,} bytes)")


@app.command()
def validate(
    ctx: typer.Context,
    feed_file: ValidateFeedFile = None,
    previous_file: ValidatePreviousFile = None,
    online: ValidateOnline = False,
    base_url: BaseUrlOption = None,
    target: TargetOption = None,
    json_flag: JsonOption = False,
) -> None:
    """Check the show, its episodes and its feed against Apple, Spotify and Podcasting 2.0 (PSP-1) rules.

    Also checks GUID stability against the target's last published feed.xml, and with
    --online the published URLs themselves. Exit status 1 when any error is found.

    Example: podcast validate --online --json
    """
    from podcast.show.model import utc_now
    from podcast.validate.probes import check_online
    from podcast.validate.runner import validate_feed_bytes
    from podcast.validate.show import validate_show

    obj = command_context(ctx, json_flag)
    with reported_errors(obj):
        if feed_file is not None:
            data = feed_file.read_bytes()
            previous = previous_file.read_bytes() if previous_file is not None else None
            findings = validate_feed_bytes(
                data, source=str(feed_file), now=utc_now(), previous=previous, previous_source=str(previous_file)
            )
            if online:
                findings += check_online(data, source=str(feed_file))
        else:
            # validate_show opens the show itself: it reads everything and changes nothing.
            # With --previous (the old host's feed after `podcast import`), that is the history to keep.
            previous_feed = (previous_file.read_bytes(), str(previous_file)) if previous_file is not None else None
            findings = validate_show(
                obj.show_dir, online=online, base_url=base_url, target=target, previous_feed=previous_feed
            )
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    emit(
        obj,
        {"valid": not errors, "errors": errors, "warnings": warnings, "findings": [f.to_dict() for f in findings]},
        validate_text(findings, errors, warnings),
    )
    if errors:
        if not obj.json:
            typer.echo(f"error: validation failed with {errors} error(s) — fix them as listed above", err=True)
        raise typer.Exit(EXIT_DATA)


@app.command()
def loudness(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Audio files to measure.", show_default=False)],
    json_flag: JsonOption = False,
) -> None:
    """Measure integrated loudness (LUFS), loudness range (LU) and true peak (dBTP), per ITU-R BS.1770.

    Example: podcast loudness episodes/trailer/master.flac build/trailer/trailer.mp3
    """
    from podcast.audio.loudness import measure_loudness

    obj = command_context(ctx, json_flag)
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    code = 0
    for path in files:
        try:
            with reported_errors():  # one line on stderr per bad file; --json lists it under "failed"
                stats = measure_loudness(path)
        except typer.Exit as exc:
            code = code or exc.exit_code
            failed.append(str(path))
            continue
        rows.append({"file": str(path), **stats})
    emit(obj, {"files": rows, "failed": failed}, loudness_text(rows))
    if code:
        raise typer.Exit(code)


@app.command()
def status(ctx: typer.Context, target: TargetOption = None, json_flag: JsonOption = False) -> None:
    """Show each episode: built, stale, published, embargoed or withdrawn.

    Example: podcast status
    """
    from podcast.publishing.status import show_status
    from podcast.show.model import utc_now

    obj = command_context(ctx, json_flag)
    with reported_errors(obj):
        opened = open_show(obj, target=target)
        rows = show_status(opened.show, opened.settings, opened.target, now=utc_now())
    emit(obj, {"episodes": rows}, status_text(rows))


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).", min=0, max=65535)] = 8000,
    host: ServeHost = "127.0.0.1",
    target: TargetOption = None,
) -> None:
    """Serve the local publishing folder over HTTP (HEAD and Range) so a podcast app can subscribe.

    The feed is served with its base URL rewritten to this server's address, so episodes
    download from here. Example: podcast serve --port 8000, then subscribe to http://127.0.0.1:8000/feed.xml
    """
    from podcast.publishing.local import LocalFolderTarget
    from podcast.publishing.serve import make_server

    obj = command_context(ctx)
    with reported_errors(obj):
        opened = open_show(obj, target=target)
        folder = opened.target
        if not isinstance(folder, LocalFolderTarget):
            raise PodcastError("`podcast serve` only serves a local folder target", fix="pass --target feed")
        server = make_server(folder.root, host=host, port=port, published_base_url=opened.settings.base_url)
    address = f"http://{host}:{server.server_address[1]}"
    typer.echo(f"serving {folder.root} at {address}/feed.xml — press Ctrl+C to stop", err=True)
    if (folder.root / "index.html").is_file():
        typer.echo(f"website: {address}/", err=True)
    sys.stderr.flush()
    # Stop cleanly on Ctrl+C and on SIGTERM (service managers, `kill`), even where SIGINT is ignored (nohup).
    signal.signal(signal.SIGTERM, _stop_serving)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _stop_serving(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def bleeps(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to list.")],
    json_flag: JsonOption = False,
) -> None:
    """List every bleep or mute in an episode (start, length, redaction list line; never the name) and the near misses.

    Builds the episode first if it is stale, so the list is the one that would be published.
    Example: podcast bleeps episode-3
    """
    from podcast.build.stages import build_episode
    from podcast.safeguarding.listen_back import read_listen_back

    obj = command_context(ctx, json_flag, slugs=[slug])
    with reported_errors(obj), ProgressView(obj) as progress:
        opened = open_show(obj)
        episode = opened.show.episode(slug)
        built = build_episode(
            opened.show, episode, opened.settings, on_progress=lambda step, f: progress.update(slug, step, f)
        )
        listing = read_listen_back(slug, built.mp3_path.parent)
    emit(obj, listing.to_dict(), bleeps_text(listing))


@app.command()
def review(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to share privately.")],
    expires: ReviewExpires = None,
    target: TargetOption = None,
    accept_fewer_names: AcceptFewerOption = False,
    json_flag: JsonOption = False,
) -> None:
    """Upload an episode privately and print expiring links, so a contributor can listen and read before release.

    Needs an S3 target; the copies are never public and nothing is added to the feed.
    Example: podcast review episode-3 --expires 3d
    """
    from podcast.publishing.review import parse_expires
    from podcast.publishing.review import review as run_review
    from podcast.show.model import utc_now

    obj = command_context(ctx, json_flag, slugs=[slug])
    with reported_errors(obj):
        opened = open_show(obj, target=target)
        seconds = parse_expires(expires or opened.show.manifest.safeguarding.review_expires)
        now = utc_now()
        report = run_review(
            opened.show,
            opened.settings,
            opened.target,
            slug,
            expires_s=seconds,
            now=now,
            accept_fewer_names=accept_fewer_names,
        )
    title = opened.show.episode(slug).manifest.title  # redacted, like everything the show holds
    emit(obj, report.to_dict(), review_text(report, title=title, now=now))


@app.command(name="import")
def import_(
    ctx: typer.Context,
    feed: ImportFeed,
    directory: ImportDir = None,
    dry_run: ImportDryRun = False,
    limit: ImportLimit = None,
    since: ImportSince = None,
    owner_email: ImportOwnerEmail = None,
    keep_people: ImportKeepPeople = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="The new public address (podcast.toml).")] = None,
    jobs: ImportJobs = 4,
    json_flag: JsonOption = False,
) -> None:
    """Bring an existing show in from its feed: podcast.toml and one episode folder per item, every GUID kept.

    Run it again to add only new episodes; nothing a producer edited is overwritten, and an
    interrupted import continues where it stopped. Example: podcast import https://feeds.example.org/show.xml my-show
    """
    from datetime import UTC, datetime

    from podcast.importing.run import ImportOptions, import_feed, parse_since
    from podcast.show.redactions import folder_redactions

    obj = command_context(ctx, json_flag)
    root = directory or obj.show_dir
    with reported_errors(obj), signals_interrupt(), ProgressView(obj) as progress:
        options = ImportOptions(
            dry_run=dry_run,
            limit=limit,
            since=parse_since(since),
            owner_email=owner_email,
            keep_people=keep_people,
            base_url=base_url,
            workers=jobs,
        )
        # `now` only dates an item whose date cannot be read; not utc_now, whose module (pydantic) a no-op skips
        now = datetime.now(UTC)
        report = import_feed(feed, root, folder_redactions(root), options, now=now, on_progress=progress.update)
    emit(obj, report.to_dict(), import_text(report))
    for failure in report.failed:
        typer.echo(f"error: {failure['error']}", err=True)
    if report.failed:
        raise typer.Exit(report.exit_code)


@app.command()
def takedown(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to withdraw.")],
    reason: TakedownReason,
    target: TargetOption = None,
    base_url: BaseUrlOption = None,
    json_flag: JsonOption = False,
) -> None:
    """Withdraw an episode now: feed without it, every copy deleted, marked withdrawn, logged.

    Example: podcast takedown episode-3 --reason "Contributor withdrew consent"
    """
    from podcast.publishing.takedown import takedown as run_takedown
    from podcast.show.model import utc_now

    obj = command_context(ctx, json_flag, slugs=[slug])
    with reported_errors(obj):
        # Never waits on the redaction list: a missing or unreadable one withholds the reason instead.
        opened = open_show(obj, target=target, base_url=base_url, without_unreadable_list=True)
        report = run_takedown(opened.show, opened.settings, opened.target, slug, reason=reason, now=utc_now())
    emit(obj, report.to_dict(), takedown_text(report))


if __name__ == "__main__":
    app()
