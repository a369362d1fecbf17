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


class ProgressView:
    """Progress bars on stderr when it is a terminal; silent otherwise (CI logs, pipes, --json)."""

    def __init__(self, obj: Context):
        self.enabled = sys.stderr.isatty() and not obj.quiet and not obj.json
        self._progress: Any = None  # a rich Progress while drawing
        self._tasks: dict[str, Any] = {}
        self._transfer_lock = threading.Lock()

    def __enter__(self) -> ProgressView:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                transfer_column(),
                console=Console(stderr=True),
                transient=True,
            )
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
