"""A command's session: global options, logging, the one error handler, output, opening the show.

Errors become messages in exactly one place, :func:`reported_errors`: a PodcastError
prints one ``error: <file>: <what> — <how to fix>`` line on stderr and exits with its
code (1 data, 3 ffmpeg, 4 storage); Click keeps exit code 2 for usage errors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from podcast.errors import PodcastError
from podcast.urls import redact_urls

if TYPE_CHECKING:
    from podcast.publishing.target import Target
    from podcast.show.model import Show
    from podcast.show.settings import PublishSettings

log = logging.getLogger("podcast")


_EPISODE_PATH = re.compile(r"episodes/([a-z0-9-]+)/")


class _StderrNow(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment: while progress bars are drawn, rich puts a proxy
    there that prints each line above the bars, instead of into the middle of one."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class OncePerRun(logging.Handler):
    """Prints each warning once per run on stderr, and keeps them for ``--json`` output.

    Loading the show twice in one command (publish checks, then builds) must not repeat a
    warning; a producer reads a repeated one as two problems.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stream = _StderrNow()
        self.stream.setFormatter(StderrFormatter())
        self.seen: set[str] = set()
        self.hints: set[str] = set()  # each how-to-fix printed once per run (see hint_once)
        self.warnings: list[str] = []
        self.focus: set[str] | None = None  # the slugs a command acts on; None = every episode

    def only_episodes(self, slugs: list[str] | None) -> None:
        """Keep quiet about episodes the command does not act on (``podcast build ep-2`` says nothing of ep-1)."""
        self.focus = set(slugs) if slugs else None

    def _elsewhere(self, text: str) -> bool:
        if self.focus is None:
            return False
        about = _EPISODE_PATH.search(text)
        return about is not None and about.group(1) not in self.focus

    def emit(self, record: logging.LogRecord) -> None:
        text = redact_urls(record.getMessage())
        if record.levelno == logging.WARNING and self._elsewhere(text):
            return
        if record.levelno >= logging.WARNING:
            if text in self.seen:
                return
            self.seen.add(text)
            if record.levelno == logging.WARNING:
                self.warnings.append(text)  # --json keeps every warning whole
            short = hint_once(text, self.hints)
            if short != text:
                record = logging.makeLogRecord({**record.__dict__, "msg": short, "args": None})
        self.stream.handle(record)


AS_ABOVE = "as above"


def hint_once(text: str, hints: set[str]) -> str:
    """``text`` with its hint (after the last " — ") replaced by "as above" when an earlier line gave it.

    Two episodes with the same problem get two lines (each names its file), but the how-to-fix is
    read once: a repeated hint reads as a second problem, and a long one buries the next line.

    >>> seen: set[str] = set()
    >>> hint_once("episodes/a/episode.toml: unknown key 'sesaon' — did you mean 'season'?", seen)
    "episodes/a/episode.toml: unknown key 'sesaon' — did you mean 'season'?"
    >>> hint_once("episodes/b/episode.toml: unknown key 'sesaon' — did you mean 'season'?", seen)
    "episodes/b/episode.toml: unknown key 'sesaon' — as above"
    >>> hint_once("a line without a hint", seen)
    'a line without a hint'
    """
    head, dash, hint = text.rpartition(" — ")
    if not dash or not hint.strip():
        return text
    if hint in hints:
        return f"{head} — {AS_ABOVE}"
    hints.add(hint)
    return text


@dataclass(frozen=True)
class Context:
    """What the global options decide, handed to every command through ``ctx.obj``."""

    show_dir: Path
    json: bool
    verbose: bool
    quiet: bool
    log: OncePerRun | None = None  # the run's warnings, for --json


class StderrFormatter(logging.Formatter):
    """``level: message``, with ``user:password@`` blanked from any address a library put in the message."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {redact_urls(record.getMessage())}"


def configure_logging(verbose: bool, quiet: bool) -> OncePerRun:
    handler = OncePerRun()
    root = logging.getLogger("podcast")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING)
    root.propagate = False
    return handler


@contextlib.contextmanager
def reported_errors(obj: Context | None = None) -> Iterator[None]:
    """The one place a PodcastError becomes a message and an exit code.

    With --json the error is also on stdout as JSON (``error``: message and exit code, with the
    run's ``warnings``), so a script reading stdout sees why there is no result.
    """
    try:
        yield
    except PodcastError as exc:
        log.debug("error details", exc_info=True)
        message = redact_urls(str(exc))
        typer.echo(f"error: {message}", err=True)
        if obj is not None and obj.json:
            warnings = list(obj.log.warnings) if obj.log is not None else []
            error = {"message": message, "exit_code": exc.exit_code}
            typer.echo(json.dumps({"error": error, "warnings": warnings}, indent=2, sort_keys=True))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted — nothing half-written was kept; run the command again", err=True)
        raise typer.Exit(130) from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM (`kill`, a shutdown) and SIGHUP (the terminal closed) stop the command
    like Ctrl+C does: as a KeyboardInterrupt, so its clean-up runs, instead of killing the process
    mid-write. Only the main thread can set signal handlers; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _interrupt) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def command_context(ctx: typer.Context, json_flag: bool = False, *, slugs: list[str] | None = None) -> Context:
    """The command's Context; ``slugs`` are the episodes it acts on (warnings about others stay quiet)."""
    obj: Context = ctx.obj
    if json_flag and not obj.json:
        obj = dataclasses.replace(obj, json=True)
    if obj.log is not None:
        obj.log.only_episodes(slugs)
    return obj


def emit(obj: Context, data: Any, text: str) -> None:
    """Print ``data`` as JSON with --json, else the human ``text`` (unless --quiet).

    With --json, the run's warnings are in the JSON too (``warnings``), as they are on stderr; where a
    command's own ``warnings`` is a count (validate), they are ``logged_warnings``.
    """
    if obj.json:
        if isinstance(data, dict) and obj.log is not None:
            key = "warnings" if "warnings" not in data else "logged_warnings"
            data = {**data, key: list(obj.log.warnings)}
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
        from podcast.publishing.connect import open_target

        return open_target(self.settings.target, self.show.root, self.settings)


def open_show(
    obj: Context, *, target: str | None = None, base_url: str | None = None, without_unreadable_list: bool = False
) -> Opened:
    """Load the -C show and resolve its settings (--target/--base-url beat env, which beats podcast.toml).

    ``without_unreadable_list`` is for takedown only (see :func:`podcast.show.model.load_show`).
    """
    from podcast.show.model import load_show
    from podcast.show.settings import resolve_settings

    show = load_show(obj.show_dir, without_unreadable_list=without_unreadable_list)
    return Opened(show, resolve_settings(show, target=target, base_url=base_url))


def parse_when(value: str | None, root: Path | None = None) -> datetime | None:
    """An ISO 8601 time from the command line; one without an offset is local time in the show's
    ``[show] timezone`` (read from ``root``), and refused when the show has none."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PodcastError(
            f"--published '{value}' is not a date and time", fix="write it like 2026-12-01T09:00:00Z"
        ) from None
    if when.tzinfo is None:
        zone = _show_timezone(root) if root is not None else None
        if zone is None:
            raise PodcastError(
                f"--published '{value}' has no time zone",
                fix='add Z for UTC or an offset such as +01:00, or set [show] timezone = "Europe/London" in podcast.toml',
            )
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo(zone))
    return when


def _show_timezone(root: Path) -> str | None:
    from podcast.show.manifest import SHOW_FILE
    from podcast.show.reading import load_show_manifest

    return load_show_manifest(root / SHOW_FILE).show.timezone
