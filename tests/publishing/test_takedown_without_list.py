"""`podcast takedown` never waits for the redaction list (issue 13 item 11).

An emergency withdrawal must run when the USB stick holding the list is unplugged: the
list path missing, a FIFO (a read would block for ever) or not a file. The takedown then
withholds the reason (which could hold a name) and says why in the audit log; the feed it
publishes is the live one minus the episode, so no unredacted show text goes out. Every
other command still refuses to run without the list.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO
from safeguarding_helpers import add_episode, copy_built_demo, edit_episode, feed_items, write_redactions

from podcast.publishing.takedown import REASON_WITHHELD
from podcast.safeguarding.audit import read_audit
from podcast.show.redactions import parse_redactions

LIST = "Marigold Featherstone => Jess\n"
NAMES = parse_redactions(LIST)


def run(show: Path, *args: str, env_list: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess with a deadline: a takedown that waits on a FIFO fails, not hangs."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PODCAST_REDACTIONS": str(env_list)}
    return subprocess.run(
        [sys.executable, "-c", "from typer_app import app; app()", "-C", str(show), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def published(built_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli, tone) -> Path:
    show = copy_built_demo(built_demo, tmp_path)
    edit_episode(show, "trailer", description="Marigold Featherstone tells her story.")
    add_episode(show, "episode-1", tone, number=1, title="Episode one")
    write_redactions(tmp_path, monkeypatch, LIST)
    assert cli("-C", show, "publish").exit_code == 0
    return show


def unusable(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / "unplugged" / "redactions.txt"
    path.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    return path  # "missing": nothing there


@pytest.mark.parametrize("kind", ["missing", "fifo", "directory"])
def test_takedown_runs_without_the_list_and_withholds_the_reason(published, tmp_path, kind):
    show = published
    feed_dir = show / "feed"
    guid = tomllib.loads((show / "episodes/episode-1/episode.toml").read_text())["guid"]
    before = set(feed_items(feed_dir / "feed.xml"))
    episode_files = sorted([*feed_dir.rglob("episode-1-*"), feed_dir / "episodes/episode-1.html"])  # and its page
    assert guid in before and episode_files
    gone = unusable(kind, tmp_path)

    # Every other command fails closed on the same list.
    refused = run(show, "publish", env_list=gone)
    assert refused.returncode == 1 and "redaction list" in refused.stderr

    result = run(show, "takedown", "episode-1", "--reason", "Marigold Featherstone withdrew consent", env_list=gone)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    after = feed_items(feed_dir / "feed.xml")
    assert set(after) == before - {guid}  # the episode is out, the others stay
    feed = (feed_dir / "feed.xml").read_text(encoding="utf-8")
    assert NAMES.find(feed) == [] and "Jess tells her story" in feed  # the live, redacted text, not the raw notes
    assert not any(path.exists() for path in episode_files)
    assert "withdrawn = true" in (show / "episodes/episode-1/episode.toml").read_text()

    line = read_audit(show / "safeguarding" / "audit.log")[-1]
    assert line["action"] == "takedown" and line["slug"] == "episode-1" and line["guid"] == guid
    assert line["reason"] == REASON_WITHHELD
    assert "redaction list" in line["reason_withheld_because"]
    assert line["objects_removed"] == sorted(p.relative_to(feed_dir).as_posix() for p in episode_files)
    for text in ((show / "safeguarding" / "audit.log").read_text(), result.stdout, result.stderr):
        assert NAMES.find(text) == []
    assert "the reason was not logged" in result.stdout


def test_takedown_without_any_list_on_a_target_published_with_one_withholds_too(published, cli, monkeypatch):
    monkeypatch.delenv("PODCAST_REDACTIONS")
    result = cli("-C", published, "takedown", "episode-1", "--reason", "Marigold Featherstone asked")
    assert result.exit_code == 0, result.stderr
    feed = (published / "feed" / "feed.xml").read_text(encoding="utf-8")
    assert NAMES.find(feed) == []  # not rebuilt from the unredacted notes
    line = read_audit(published / "safeguarding" / "audit.log")[-1]
    assert line["reason"] == REASON_WITHHELD and "no redaction list is configured" in line["reason_withheld_because"]


def test_takedown_with_the_list_still_logs_the_redacted_reason(published, cli):
    result = cli("-C", published, "takedown", "episode-1", "--reason", "Marigold Featherstone asked")
    assert result.exit_code == 0, result.stderr
    line = read_audit(published / "safeguarding" / "audit.log")[-1]
    assert line["reason"] == "Jess asked" and "reason_withheld_because" not in line
