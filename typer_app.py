"""The `podcast` command line: parse options, call the library, render the result, exit.

Errors become messages in exactly one place, :func:`reported_errors`: a PodcastError
prints one ``error: <file>: <what> — <how to fix>`` line on stderr and exits with its
code (1 data, 3 ffmpeg, 4 storage); Click keeps exit code 2 for usage errors.
Tracebacks never show local variables, which could hold credentials.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from podcast import __version__
from podcast.errors import EXIT_DATA, PodcastError

if TYPE_CHECKING:
    from podcast.publishing.publish import PublishReport
    from podcast.publishing.review import ReviewReport
    from podcast.publishing.takedown import TakedownReport
    from podcast.publishing.target import Target
    from podcast.show.model import Show
    from podcast.show.settings import PublishSettings
    from podcast.validate.rules import Finding

app = typer.Typer(
    name="podcast",
    help="Publish the Survivor Voices podcast: normalise, tag, upload and list episodes in the feed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
log = logging.getLogger("podcast")


@dataclass(frozen=True)
class Context:
    """What the global options decide, handed to every command through ``ctx.obj``."""

    show_dir: Path
    json: bool
    verbose: bool
    quiet: bool


# --- output -----------------------------------------------------------------------------------


class _StderrFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _configure_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter())
    root = logging.getLogger("podcast")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    root.propagate = False


@contextlib.contextmanager
def reported_errors() -> Iterator[None]:
    """The one place a PodcastError becomes a message and an exit code."""
    try:
        yield
    except PodcastError as exc:
        log.debug("error details", exc_info=True)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted — nothing half-written was kept; run the command again", err=True)
        raise typer.Exit(130) from None


def _state(ctx: typer.Context, json_flag: bool = False) -> Context:
    obj: Context = ctx.obj
    if json_flag and not obj.json:
        obj = Context(obj.show_dir, True, obj.verbose, obj.quiet)
    return obj


def emit(obj: Context, data: Any, text: str) -> None:
    """Print ``data`` as JSON with --json, else the human ``text`` (unless --quiet)."""
    if obj.json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    elif text and not obj.quiet:
        typer.echo(text)


@dataclass(frozen=True)
class Opened:
    """A command's show and publish settings; its target opens on first use, so commands
    that never touch it (build, feed) never build an S3 client."""

    show: Show
    settings: PublishSettings

    @functools.cached_property
    def target(self) -> Target:
        from podcast.publishing.target import open_target

        return open_target(self.settings.target, self.show.root, self.settings)


def open_show(obj: Context, *, target: str | None = None, base_url: str | None = None) -> Opened:
    """Load the -C show and resolve its settings (--target/--base-url beat env, which beats podcast.toml)."""
    from podcast.show.model import load_show
    from podcast.show.settings import resolve_settings

    show = load_show(obj.show_dir)
    return Opened(show, resolve_settings(show, target=target, base_url=base_url))


def _TransferColumn() -> Any:  # noqa: N802 - builds a rich column class lazily (rich loads only on a terminal)
    """A rich column showing 'size speed' (e.g. '18.4 MB 6.1 MB/s') for uploads and nothing for build steps."""
    from rich.filesize import decimal
    from rich.progress import ProgressColumn
    from rich.text import Text

    class TransferColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            if not task.fields.get("bytes"):
                return Text("")
            speed = f"{decimal(int(task.speed))}/s" if task.speed else "?/s"
            return Text(f"{decimal(int(task.total or 0))} {speed}")

    return TransferColumn()


class ProgressView:
    """Progress bars on stderr when it is a terminal; silent otherwise (CI logs, pipes, --json)."""

    def __init__(self, obj: Context):
        self.enabled = sys.stderr.isatty() and not obj.quiet and not obj.json
        self._progress = None
        self._tasks: dict[str, Any] = {}
        self._transfer_lock = threading.Lock()

    def __enter__(self) -> ProgressView:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(), _TransferColumn(),
                console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def transfer(self, key: str, sent: int, total: int) -> None:
        """An upload moved ``sent`` more bytes of ``total`` (called from transfer threads)."""
        if self._progress is None:
            return
        with self._transfer_lock:  # parts report from several threads at once
            if key not in self._tasks:
                self._tasks[key] = self._progress.add_task(f"upload {key}", total=total, bytes=True)
        self._progress.advance(self._tasks[key], sent)

    def update(self, name: str, step: str, fraction: float) -> None:
        if self._progress is None:
            return
        label = f"{name}: {step}"
        if label not in self._tasks:
            self._tasks[label] = self._progress.add_task(label, total=1.0)
        self._progress.update(self._tasks[label], completed=fraction)


JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
SlugsArgument = Annotated[Optional[list[str]], typer.Argument(help="Episode slugs (default: every episode).", show_default=False)]
TargetOption = Annotated[Optional[str], typer.Option("--target", help="Folder or s3://bucket/prefix (overrides podcast.toml and PODCAST_TARGET).")]
BaseUrlOption = Annotated[Optional[str], typer.Option("--base-url", help="Public URL that serves the target (overrides podcast.toml and PODCAST_BASE_URL).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"podcast {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    show_dir: Annotated[Path, typer.Option("-C", "--show", help="The show folder (holding podcast.toml).", file_okay=False)] = Path("."),
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Explain each step, including ffmpeg commands.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only print errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """Publish the Survivor Voices podcast.

    Example: podcast -C ~/shows/survivor-voices publish
    """
    _configure_logging(verbose, quiet)
    ctx.obj = Context(show_dir=show_dir, json=json_output, verbose=verbose, quiet=quiet)


# --- commands ---------------------------------------------------------------------------------
# Each command: parse -> open (open_show) -> call podcast.* -> render (a _*_text function) -> exit code.


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Optional[Path], typer.Argument(help="Where to create the show (default: the -C folder).")] = None,
    title: Annotated[str, typer.Option(help="The show's title.")] = "My Podcast",
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Public URL that will serve the feed; the show's permanent podcast:guid is derived from it.")] = None,
) -> None:
    """Scaffold a show folder: podcast.toml, placeholder artwork, episodes/ and feed/.

    Example: podcast init my-show --title "Survivor Voices" --base-url https://media.example.org/survivor-voices
    """
    from podcast.show.scaffold import init_show

    obj = _state(ctx)
    with reported_errors():
        created = init_show(directory or obj.show_dir, title=title, base_url=base_url)
    emit(obj, {"created": [str(p) for p in created]}, _init_text(created))


def _init_text(created: list[Path]) -> str:
    return "\n".join(f"created {p}" for p in created) + "\nnext: edit podcast.toml, then `podcast new SLUG --audio FILE`"


@app.command()
def new(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Folder name: lowercase letters, digits and dashes.")],
    audio: Annotated[Path, typer.Option("--audio", help="The master audio file (copied into the episode folder).", exists=True, dir_okay=False, readable=True)],
    title: Annotated[Optional[str], typer.Option(help="Episode title (default: from the slug).")] = None,
    number: Annotated[Optional[int], typer.Option(help="Episode number (default: the next one).", min=0)] = None,
    published: Annotated[Optional[str], typer.Option(help="Release time, ISO 8601 with zone, e.g. 2026-12-01T09:00:00Z (default: now). A future time embargoes the episode.")] = None,
    json_flag: JsonOption = False,
) -> None:
    """Create episodes/SLUG/ with the audio, an episode.toml and a fresh permanent GUID.

    Example: podcast new episode-3 --audio ~/Recordings/ep3.wav --title "Episode three" --published 2026-12-01T09:00:00Z
    """
    from podcast.show.scaffold import new_episode
    from podcast.show.model import find_show_root

    obj = _state(ctx, json_flag)
    with reported_errors():
        when = _parse_when(published)
        folder = new_episode(find_show_root(obj.show_dir), slug, audio, title=title, number=number, published=when)
    emit(obj, {"slug": slug, "folder": str(folder)}, f"created {folder}/episode.toml — edit the notes, then `podcast build {slug}`")


def _parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PodcastError(f"--published '{value}' is not a date and time", fix="write it like 2026-12-01T09:00:00Z") from None
    if when.tzinfo is None:
        raise PodcastError(f"--published '{value}' has no time zone", fix="add Z for UTC or an offset such as +01:00")
    return when


@app.command()
def build(ctx: typer.Context, slugs: SlugsArgument = None, json_flag: JsonOption = False) -> None:
    """Render episodes into build/: assemble, normalise loudness, encode MP3, write tags. Skips what is up to date.

    Example: podcast build trailer
    """
    from podcast.build.batch import build_episodes

    obj = _state(ctx, json_flag)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    with reported_errors():
        opened = open_show(obj)
        episodes = opened.show.select(slugs)
    with ProgressView(obj) as progress:
        # Two episodes at a time (PODCAST_JOBS); a failing episode does not stop the others.
        outcomes = build_episodes(opened.show, episodes, opened.settings, on_progress=progress.update)
    for outcome in outcomes:
        if outcome.error is not None:
            log.debug("error details for %s", outcome.slug, exc_info=outcome.error)
            typer.echo(f"error: {outcome.error}", err=True)
            failures.append(outcome.slug)
            last_code = outcome.error.exit_code
        elif outcome.built is not None:
            results.append(outcome.built.to_dict())
    emit(obj, {"episodes": results, "failed": failures}, _build_text(results, failures))
    if failures:
        raise typer.Exit(last_code)


def _build_text(results: list[dict[str, Any]], failures: list[str]) -> str:
    lines = [_describe_build(r) for r in results]
    if failures:
        lines.append(f"{len(failures)} episode(s) failed: {', '.join(failures)}")
    return "\n".join(lines)


def _describe_build(result: dict[str, Any]) -> str:
    loud = result["loudness"]
    before, after = loud["before"], loud["after"]
    if result["audio_rebuilt"]:
        action = "built"
    elif result["tags_rewritten"]:
        action = "retagged (audio up to date)"
    else:
        action = "up to date, no audio work"
    return (
        f"{result['slug']}: {action} — {before['integrated_lufs']:.1f} LUFS -> {after['integrated_lufs']:.1f} LUFS, "
        f"true peak {before['true_peak_dbtp']:.1f} -> {after['true_peak_dbtp']:.1f} dBTP, "
        f"range {before['range_lu']:.1f} -> {after['range_lu']:.1f} LU, "
        f"{result['duration_s']:.1f} s, {result['size_bytes'] / 1e6:.2f} MB"
    )


@app.command()
def publish(
    ctx: typer.Context,
    slugs: SlugsArgument = None,
    target: TargetOption = None,
    base_url: BaseUrlOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; build, upload and delete nothing.")] = False,
    json_flag: JsonOption = False,
) -> None:
    """Build what is stale, upload media that changed, then write the feed (always last).

    Example: podcast publish --dry-run
    """
    from podcast.publishing.publish import publish as run_publish
    from podcast.show.model import utc_now

    obj = _state(ctx, json_flag)
    with reported_errors(), ProgressView(obj) as progress:
        opened = open_show(obj, target=target, base_url=base_url)
        report = run_publish(
            opened.show, opened.settings, opened.target, slugs=slugs, now=utc_now(), dry_run=dry_run,
            on_build_progress=progress.update, on_upload_progress=progress.transfer,
        )  # fmt: skip
    emit(obj, report.to_dict(), _publish_text(report, dry_run))


def _publish_text(report: PublishReport, dry_run: bool) -> str:
    verb = "would upload" if dry_run else "uploaded"
    lines = [f"{b['slug']}: {b['action']}" for b in report.built]
    lines += [f"{verb} {u['key']} ({u['bytes']:,} bytes)" for u in report.uploaded]
    lines += [f"{'would delete' if dry_run else 'deleted'} {key}" for key in report.deleted]
    lines += [f"{e['slug']}: embargoed until {e['until']} — not in the feed, nothing uploaded" for e in report.embargoed]
    lines += [f"{slug}: withdrawn — kept out of the feed" for slug in report.withdrawn]
    feed_state = ("would update" if dry_run else "updated") if report.feed_changed else "unchanged"
    if report.cdn_invalidation:
        lines.append(f"CloudFront invalidation {report.cdn_invalidation} requested for the feed")
    lines.append(
        f"feed {feed_state}: {report.feed_url} — {len(report.episodes)} episode(s), "
        f"{len(report.uploaded)} object(s) {verb} ({report.uploaded_bytes:,} bytes), {report.unchanged} unchanged"
    )
    return "\n".join(lines)


@app.command()
def transcribe(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to transcribe.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write, relative to the episode folder (.json keeps word timings; .vtt, .srt, .txt, .html also work).")] = Path("transcript.json"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing transcript file.")] = False,
    json_flag: JsonOption = False,
) -> None:
    """Transcribe an episode offline with Whisper (faster-whisper), one track per speaker when it has [[tracks]].

    Writes an editable transcript next to episode.toml and, if episode.toml names none yet,
    adds transcript = "..." so the next build publishes it. Correct names and mishearings in
    the file before publishing. Example: podcast transcribe episode-3 --output transcript.vtt
    """
    from podcast.show.model import load_show
    from podcast.build.transcripts import adopt_transcript, transcribe_episode

    obj = _state(ctx, json_flag)
    with reported_errors():
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
    emit(obj, {"slug": slug, "file": str(path), "cues": len(result.cues), "words": words, "speakers": result.speakers,
               "listed": listed}, _transcribe_text(path, len(result.cues), words, listed))  # fmt: skip


def _transcribe_text(path: Path, cues: int, words: int, listed: bool) -> str:
    note = f"added transcript = \"{path.name}\" to episode.toml" if listed else "episode.toml already names a transcript: point it at this file to publish it"
    return f"wrote {path} ({cues} cues, {words} words) — {note}; check it before publishing"


@app.command()
def feed(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write the feed ('-' for stdout; default build/feed.xml).")] = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Write the feed from the local builds without uploading anything (builds what is stale).

    Example: podcast feed --output - | head
    """
    from podcast.publishing.feed import write_feed
    from podcast.publishing.publish import write_feed_for
    from podcast.show.model import utc_now

    obj = _state(ctx)
    with reported_errors(), ProgressView(obj) as progress:
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
    feed_file: Annotated[Optional[Path], typer.Option("--feed", help="Check this feed file instead of the one the show would publish.", exists=True, dir_okay=False)] = None,
    previous_file: Annotated[Optional[Path], typer.Option("--previous", help="With --feed: the last published feed, to check GUID stability against.", exists=True, dir_okay=False)] = None,
    online: Annotated[bool, typer.Option("--online", help="Also fetch the published feed and every URL it names, as a directory does (HEAD, Range, type, length).")] = False,
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

    obj = _state(ctx, json_flag)
    with reported_errors():
        if previous_file is not None and feed_file is None:
            raise PodcastError("--previous only works with --feed", fix="without --feed, the target's feed.xml is the previous feed")
        if feed_file is not None:
            data = feed_file.read_bytes()
            previous = previous_file.read_bytes() if previous_file is not None else None
            findings = validate_feed_bytes(data, source=str(feed_file), now=utc_now(), previous=previous,
                                           previous_source=str(previous_file))  # fmt: skip
            if online:
                findings += check_online(data, source=str(feed_file))
        else:
            # validate_show opens the show itself: it reads everything and changes nothing.
            findings = validate_show(obj.show_dir, online=online, base_url=base_url, target=target)
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    emit(obj, {"valid": not errors, "errors": errors, "warnings": warnings,
               "findings": [f.to_dict() for f in findings]}, _validate_text(findings, errors, warnings))  # fmt: skip
    if errors:
        if not obj.json:
            typer.echo(f"error: validation failed with {errors} error(s) — fix them as listed above", err=True)
        raise typer.Exit(EXIT_DATA)


def _validate_text(findings: list[Finding], errors: int, warnings: int) -> str:
    lines = [f.render() for f in findings]
    lines.append(f"{errors} error(s), {warnings} warning(s)" + ("" if errors else " — the feed is valid"))
    return "\n".join(lines)


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

    obj = _state(ctx, json_flag)
    rows: list[dict[str, Any]] = []
    code = 0
    for path in files:
        try:
            with reported_errors():
                stats = measure_loudness(path)
        except typer.Exit as exc:
            code = code or exc.exit_code
            continue
        rows.append({"file": str(path), **stats})
    emit(obj, {"files": rows}, _loudness_text(rows))
    if code:
        raise typer.Exit(code)


def _loudness_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{r['file']}: {r['integrated_lufs']:.1f} LUFS, range {r['range_lu']:.1f} LU, true peak {r['true_peak_dbtp']:.1f} dBTP"
        for r in rows
    )


@app.command()
def status(ctx: typer.Context, target: TargetOption = None, json_flag: JsonOption = False) -> None:
    """Show each episode: built, stale, published, embargoed or withdrawn.

    Example: podcast status
    """
    from podcast.show.model import utc_now
    from podcast.publishing.status import show_status

    obj = _state(ctx, json_flag)
    with reported_errors():
        opened = open_show(obj, target=target)
        rows = show_status(opened.show, opened.settings, opened.target, now=utc_now())
    emit(obj, {"episodes": rows}, _status_text(rows))


def _status_text(rows: list[dict[str, Any]]) -> str:
    text = "\n".join(
        f"{r['slug']:<24} #{r['number']:<4} {r['published'][:16]:<17} {r['build']:<10} {r['release']}" for r in rows
    )
    return text or "no episodes yet — create one with `podcast new SLUG --audio FILE`"


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).", min=0, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 lets phones on your network subscribe.")] = "127.0.0.1",
    target: TargetOption = None,
) -> None:
    """Serve the local publishing folder over HTTP (HEAD and Range) so a podcast app can subscribe.

    The feed is served with its base URL rewritten to this server's address, so episodes
    download from here. Example: podcast serve --port 8000, then subscribe to http://127.0.0.1:8000/feed.xml
    """
    from podcast.publishing.serve import make_server
    from podcast.publishing.local import LocalFolderTarget

    obj = _state(ctx)
    with reported_errors():
        opened = open_show(obj, target=target)
        folder = opened.target
        if not isinstance(folder, LocalFolderTarget):
            raise PodcastError("`podcast serve` only serves a local folder target", fix="pass --target feed")
        server = make_server(folder.root, host=host, port=port, published_base_url=opened.settings.base_url)
    address = f"http://{host}:{server.server_address[1]}"
    typer.echo(f"serving {folder.root} at {address}/feed.xml — press Ctrl+C to stop", err=True)
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
def review(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to share privately.")],
    expires: Annotated[Optional[str], typer.Option("--expires", help="How long the links work: 7d, 12h, 30m (at most 7d; default [safeguarding] review_expires or 7d).")] = None,
    target: TargetOption = None,
    json_flag: JsonOption = False,
) -> None:
    """Upload an episode privately and print expiring links, so a contributor can listen and read before release.

    Needs an S3 target; the copies are never public and nothing is added to the feed.
    Example: podcast review episode-3 --expires 3d
    """
    from podcast.publishing.review import parse_expires, review as run_review
    from podcast.show.model import utc_now

    obj = _state(ctx, json_flag)
    with reported_errors():
        opened = open_show(obj, target=target)
        seconds = parse_expires(expires or opened.show.manifest.safeguarding.review_expires)
        report = run_review(opened.show, opened.settings, opened.target, slug, expires_s=seconds, now=utc_now())
    emit(obj, report.to_dict(), _review_text(report))


def _review_text(report: ReviewReport) -> str:
    lines = [f"{link['what']}: {link['url']}" for link in report.links]
    lines.append(f"links work until {report.expires_at}; they are private and not in the feed")
    return "\n".join(lines)


@app.command()
def takedown(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The episode to withdraw.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log (names on the redaction list are redacted).")],
    target: TargetOption = None,
    base_url: BaseUrlOption = None,
    json_flag: JsonOption = False,
) -> None:
    """Withdraw an episode now: feed without it, every copy deleted, marked withdrawn, logged.

    Example: podcast takedown episode-3 --reason "Contributor withdrew consent"
    """
    from podcast.show.model import utc_now
    from podcast.publishing.takedown import takedown as run_takedown

    obj = _state(ctx, json_flag)
    with reported_errors():
        opened = open_show(obj, target=target, base_url=base_url)
        report = run_takedown(opened.show, opened.settings, opened.target, slug, reason=reason, now=utc_now())
    emit(obj, report.to_dict(), _takedown_text(report))


def _takedown_text(report: TakedownReport) -> str:
    lines = [f"deleted {key}" for key in report.removed]
    lines.append(f"feed {'updated' if report.feed_updated else 'already without it'}: {report.feed_url}")
    if report.cdn_invalidation:
        lines.append(f"CDN invalidation {report.cdn_invalidation} requested")
    lines.append(f"{report.slug}: withdrawn = true in its episode.toml (commit it); logged in {report.audit_log}")
    return "\n".join(lines)


if __name__ == "__main__":
    app()
