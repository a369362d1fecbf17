"""Progress bars on stderr when it is a terminal; silent otherwise (CI logs, pipes, --json).

The library reports progress as data (callbacks with fractions and byte counts); only
this view draws it, with rich, loaded lazily so a pipe or CI log never imports it.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from podcast.console.session import Context


def transfer_column() -> Any:  # builds a rich column class lazily (rich loads only on a terminal)
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


LABEL_WIDTH = 24  # with a 20-column bar, percentage, time left and size/speed: one line fits 80 columns
UPLOAD_TASK = "upload"


class ProgressView:
    """Progress bars on stderr when it is a terminal; silent otherwise (CI logs, pipes, --json).

    Uploads share ONE bar for the whole publish (bytes sent of bytes planned, files counted in its
    label), not a bar per file: a show's 245-byte chapter files would otherwise scroll past by the dozen.
    """

    def __init__(self, obj: Context, *, console: Any = None):
        self.enabled = console is not None or (sys.stderr.isatty() and not obj.quiet and not obj.json)
        self._console = console
        self._progress: Any = None  # a rich Progress while drawing
        self._tasks: dict[str, Any] = {}
        self._files: set[str] = set()
        self._upload_total = 0
        self._transfer_lock = threading.Lock()

    def __enter__(self) -> ProgressView:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
            from rich.table import Column

            label = Column(width=LABEL_WIDTH, no_wrap=True, overflow="ellipsis")
            self._progress = Progress(
                TextColumn("{task.description}", table_column=label),
                BarColumn(bar_width=20),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                transfer_column(),
                console=self._console or Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def transfer(self, key: str, sent: int, total: int) -> None:
        """An upload of ``key`` moved ``sent`` more bytes of its ``total`` (called from transfer threads)."""
        if self._progress is None:
            return
        with self._transfer_lock:  # parts report from several threads at once
            if UPLOAD_TASK not in self._tasks:
                self._tasks[UPLOAD_TASK] = self._progress.add_task("upload", total=0, bytes=True)
            task = self._tasks[UPLOAD_TASK]
            if key not in self._files:
                self._files.add(key)
                self._upload_total += total
                self._progress.update(task, total=self._upload_total, description=f"upload {len(self._files)} file(s)")
        self._progress.advance(task, sent)

    def update(self, name: str, step: str, fraction: float) -> None:
        if self._progress is None:
            return
        label = f"{name}: {step}"
        if label not in self._tasks:
            self._tasks[label] = self._progress.add_task(label, total=1.0)
        self._progress.update(self._tasks[label], completed=fraction)
