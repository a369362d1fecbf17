"""Publish never removes a live episode it did not mean to: only `podcast takedown` does that.

Two copies of one show (two producers' folders) publish to one shared local target. A copy
that lacks a live episode, or re-dates one into the future, is refused with one line naming
the episode, and the target is left byte for byte as it was. Two producers publishing
different edits of one episode at once: the second is refused instead of silently winning.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from reliability import BASE_URL, assert_feed_complete, make_small_show, podcast_argv, snapshot

from podcast.publishing.lock import LOCK_KEY, lock_record


@pytest.fixture(scope="module")
def published_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(show, target): a two-episode show published once to a target folder outside it."""
    from typer.testing import CliRunner

    from typer_app import app

    root = tmp_path_factory.mktemp("keeps-live")
    show, target = make_small_show(root / "show", episodes=2), root / "target"
    result = CliRunner().invoke(app, ["-C", str(show), "publish", "--target", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return show, target


@pytest.fixture
def producers(published_pair: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """(a copy of the show, a copy of its target), private to one test; builds stay cached."""
    show, target = published_pair
    shutil.copytree(show, tmp_path / "show")
    shutil.copytree(target, tmp_path / "target")
    return tmp_path / "show", tmp_path / "target"


def _live_slugs(target: Path) -> list[str]:
    return sorted(json.loads((target / ".podcast" / "state.json").read_text())["episodes"])


def _set_published(show: Path, slug: str, when: str) -> None:
    path = show / "episodes" / slug / "episode.toml"
    text = path.read_text(encoding="utf-8")
    assert "published = 2026-01-05T09:00:00Z" in text
    path.write_text(text.replace("published = 2026-01-05T09:00:00Z", f"published = {when}"), encoding="utf-8")


def _assert_refused(result, target: Path, before: dict[str, str], *needles: str) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(target) == before, "a refused publish changed the target"


@pytest.mark.parametrize("slugs", [(), ("ep-one",)], ids=["all", "one-slug"])
def test_a_folder_without_a_live_episode_is_refused(producers, cli, slugs) -> None:
    """A colleague published ep-two; this copy of the show does not have it: it stays live."""
    show, target = producers
    shutil.rmtree(show / "episodes" / "ep-two")
    before = snapshot(target)
    result = cli("-C", show, "publish", "--target", target, *slugs)
    _assert_refused(
        result, target, before, "episodes/ep-two", "episode 'ep-two' is live", "git pull", "podcast takedown ep-two"
    )
    assert _live_slugs(target) == ["ep-one", "ep-two"]


@pytest.mark.parametrize("slugs", [(), ("ep-one",)], ids=["all", "one-slug"])
def test_redating_a_live_episode_into_the_future_is_refused(producers, cli, slugs) -> None:
    show, target = producers
    _set_published(show, "ep-two", "2031-01-01T09:00:00Z")
    before = snapshot(target)
    result = cli("-C", show, "publish", "--target", target, *slugs)
    _assert_refused(
        result,
        target,
        before,
        "ep-two/episode.toml",
        "episode 2 'Episode two' (ep-two) is live, but its 'published' time is now in the future (2031-01-01T09:00:00+00:00)",
        "podcast takedown ep-two",
    )


def test_a_renamed_live_episode_folder_is_refused(producers, cli) -> None:
    show, target = producers
    (show / "episodes" / "ep-two").rename(show / "episodes" / "ep-2")
    before = snapshot(target)
    result = cli("-C", show, "publish", "--target", target)
    _assert_refused(result, target, before, "episodes/ep-2", "renamed to 'ep-2'", "rename the folder back")


def test_a_withdrawn_episode_still_leaves_and_a_dry_run_refuses_too(producers, cli) -> None:
    """``withdrawn = true`` is the deliberate way out (takedown writes it), so publish honours it."""
    show, target = producers
    manifest = show / "episodes" / "ep-two" / "episode.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "withdrawn = true\n", encoding="utf-8")
    result = cli("-C", show, "publish", "--target", target)
    assert result.exit_code == 0, result.stderr
    assert _live_slugs(target) == ["ep-one"]
    live = assert_feed_complete(target, BASE_URL)
    assert live is not None and live.items == 1

    shutil.rmtree(show / "episodes" / "ep-one")  # now the dry run must refuse, as the real one would
    result = cli("-C", show, "publish", "--target", target, "--dry-run")
    assert result.exit_code == 1 and "episode 'ep-one' is live" in result.stderr, result.stderr


def test_publishing_one_slug_leaves_the_other_as_it_is(producers, cli) -> None:
    show, target = producers
    record = json.loads((target / ".podcast" / "state.json").read_text())["episodes"]["ep-two"]
    notes = show / "episodes" / "ep-two" / "episode.toml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("Notes for", "Edited notes for"), encoding="utf-8")
    result = cli("-C", show, "publish", "--target", target, "ep-one")
    assert result.exit_code == 0, result.stderr
    assert json.loads((target / ".podcast" / "state.json").read_text())["episodes"]["ep-two"] == record
    assert (target / record["media_key"]).is_file()  # its media is neither rebuilt nor deleted


# --- two producers, two real processes, one episode, two edits ------------------------------------


def _wait_for(condition, what: str, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_two_producers_publishing_different_edits_at_once(producers, tmp_path: Path) -> None:
    """Both plan on the same state and wait on the lock; the second to write is refused, exit 4."""
    show, target = producers
    editions = {}
    for name in ("alpha", "beta"):
        folder = tmp_path / name
        shutil.copytree(show, folder)
        manifest = folder / "episodes" / "ep-one" / "episode.toml"
        text = manifest.read_text(encoding="utf-8").replace("Notes for episode one.", f"Edit {name} of the notes.")
        manifest.write_text(text, encoding="utf-8")
        editions[name] = folder
    # Hold the lock as a live publisher would (this test process), so both plan and upload first.
    lock = target / LOCK_KEY
    lock.write_bytes(lock_record(time.time(), f"{os.uname().nodename}:{os.getpid()}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODCAST_", "AWS_"))}
    logs = {name: tmp_path / f"{name}.log" for name in editions}
    processes = {}
    for name, folder in editions.items():
        with logs[name].open("w") as log:
            processes[name] = subprocess.Popen(
                podcast_argv("-v", "-C", folder, "publish", "--target", target),
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
                text=True,
            )
    try:
        for name in editions:
            _wait_for(lambda name=name: "waiting for" in logs[name].read_text(), f"{name} to wait for the lock")
    finally:
        lock.unlink()  # "the other publish" finishes: now the two race for real
    codes = {name: process.wait(timeout=300) for name, process in processes.items()}
    assert sorted(codes.values()) == [0, 4], {name: logs[name].read_text()[-2000:] for name in codes}
    winner = next(name for name, code in codes.items() if code == 0)
    loser = next(name for name, code in codes.items() if code == 4)
    errors = [line for line in logs[loser].read_text().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, logs[loser].read_text()
    assert "someone else published a different edit of episode 'ep-one' while this publish ran" in errors[0]
    assert "Traceback" not in logs[loser].read_text()
    feed = (target / "feed.xml").read_text(encoding="utf-8")
    assert f"Edit {winner} of the notes." in feed and f"Edit {loser}" not in feed
    assert assert_feed_complete(target, BASE_URL) is not None
    assert not lock.exists()
