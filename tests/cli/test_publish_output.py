"""Publish output (issue 19 item 4): one upload bar within 80 columns, and a summary by episode title."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from podcast.console.progress import ProgressView
from podcast.console.session import Context


def test_one_upload_bar_for_many_small_files_within_80_columns() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    view = ProgressView(Context(Path("."), json=False, verbose=False, quiet=False), console=console)
    with view:
        view.update("a-rather-long-episode-slug-indeed", "normalising loudness", 0.5)
        for index in range(40):
            view.transfer(f"chapters/episode-{index}-0123456789ab.json", 245, 245)
        view.transfer("media/episode-1-0123456789ab.mp3", 1_000_000, 2_000_000)
        assert len(view._progress.tasks) == 2  # one build step, ONE upload bar
        upload = next(task for task in view._progress.tasks if task.description.startswith("upload"))
        assert upload.description == "upload 41 file(s)"
        assert upload.total == 40 * 245 + 2_000_000 and upload.completed == 40 * 245 + 1_000_000
        console.width = 80
        rendered = Console(file=io.StringIO(), width=80, color_system=None)
        rendered.print(view._progress.get_renderable())
        lines = rendered.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines and all(len(line) <= 80 for line in lines), lines
    assert sum("upload" in line for line in lines) == 1


def test_publish_summary_by_title(demo_show: Path, cli) -> None:
    first = cli("-C", demo_show, "publish")
    assert first.exit_code == 0, first.stderr
    assert "added: 'Welcome to Survivor Voices' (trailer, #0)" in first.stdout
    assert "uploaded media/" not in first.stdout  # per episode, not per object

    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace('title = "Welcome"', 'title = "Hello"'))  # the chapter's title
    second = cli("-C", demo_show, "--json", "publish")
    summary = json.loads(second.stdout)["summary"]
    assert summary == [
        {
            "slug": "trailer",
            "number": 0,
            "title": "Welcome to Survivor Voices",
            "change": "changed",
            "what": ["title, notes or details", "chapters"],
        }
    ]
    again = cli("-C", demo_show, "publish")
    assert "unchanged: 1 episode(s)" in again.stdout and "\nchanged:" not in again.stdout

    toml.write_text(toml.read_text().replace("explicit = false", "explicit = false\nwithdrawn = true"))
    removed = cli("-C", demo_show, "publish")
    assert removed.exit_code == 0, removed.stderr
    assert "removed: 'Welcome to Survivor Voices' (trailer, #0)" in removed.stdout


def test_held_episodes_are_listed_with_their_release_and_the_reason_once(demo_show: Path, cli, tone: Path) -> None:
    for slug, when in (("later", "2030-12-02T19:29:00Z"), ("much-later", "2031-01-02T09:00:00Z")):
        assert cli("-C", demo_show, "new", slug, "--audio", tone, "--published", when).exit_code == 0
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 0, result.stderr
    assert "later: embargoed until Mon 2 Dec 2030 19:29 UTC — not in the feed, nothing uploaded" in result.stdout
    assert "much-later: embargoed until Thu 2 Jan 2031 09:00 UTC — as above" in result.stdout
