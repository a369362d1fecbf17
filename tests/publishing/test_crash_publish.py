"""Crash safety and concurrency of `podcast publish` to the local-folder target.

SIGKILL at random moments: right after each kill (before anything repairs it) the live
feed.xml must name only complete objects with the lengths it states, and the re-run must
complete. Two publishes at once: both finish, or one says the other is running; no
episode is lost and the state stays consistent.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path

import pytest
from reliability import BASE_URL, assert_feed_complete, kill_after, make_small_show, podcast_argv, run_podcast


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PODCAST_")}


def _publish(show: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_podcast("-C", show, *args, "publish", env=_env())


def _edit_notes(show: Path, slug: str, text: str) -> None:
    toml = show / "episodes" / slug / "episode.toml"
    content = toml.read_text(encoding="utf-8")
    toml.write_text(content.replace('description = """', f'description = """{text} '), encoding="utf-8")


def assert_state_consistent(show: Path, episodes: int) -> None:
    """The feed names every live episode; state.json agrees with the feed and with what is on disk."""
    target = show / "feed"
    live = assert_feed_complete(target, BASE_URL)
    assert live is not None and live.items == episodes, f"the feed lists {live and live.items} of {episodes} episodes"
    state = json.loads((target / ".podcast" / "state.json").read_text(encoding="utf-8"))
    assert set(state["episodes"]) == {p.name for p in (show / "episodes").iterdir()}
    for key, facts in state["objects"].items():
        assert (target / key).stat().st_size == facts["size"], key
    assert set(live.objects) <= set(state["objects"])
    media = {str(p.relative_to(target)) for p in (target / "media").iterdir()}
    assert media == {key for key in state["objects"] if key.startswith("media/")}, "stray or missing media files"


def _sigkill_trials(tmp_path: Path, trials: int, seed: int) -> None:
    rng = random.Random(seed)
    show = make_small_show(tmp_path / "show", episodes=2, seconds=20)
    first = _publish(show)
    assert first.returncode == 0, first.stderr
    killed = 0
    for trial in range(trials):
        slug = rng.choice(["ep-one", "ep-two"])
        _edit_notes(show, slug, f"Edit {trial}.")
        # Time a whole publish of one change, then kill a second change at a random moment within it.
        if trial == 0:
            started = time.monotonic()
            assert _publish(show).returncode == 0
            duration = time.monotonic() - started
            _edit_notes(show, slug, f"Edit {trial}b.")
        process = subprocess.Popen(
            podcast_argv("-C", show, "publish"),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        killed += kill_after(process, rng.uniform(0.1, duration * 1.1))
        # The moment after the kill: listeners fetching the feed now must get a working feed.
        live = assert_feed_complete(show / "feed", BASE_URL)
        assert live is not None and live.items == 2
        again = _publish(show)
        assert again.returncode == 0, f"trial {trial}: the re-run failed\n{again.stderr}"
        assert_state_consistent(show, episodes=2)
    assert killed >= trials // 2, f"only {killed} of {trials} publishes were killed before finishing"
    assert not list((show / "feed").rglob("*.tmp")), "temporary files from killed publishes were left in the target"
    report = json.loads(_publish(show, "--json").stdout)
    assert report["uploaded"] == [] and report["feed_changed"] is False and report["deleted"] == []


def test_publish_survives_sigkill(tmp_path: Path) -> None:
    _sigkill_trials(tmp_path, trials=5, seed=9)


@pytest.mark.slow
def test_publish_survives_sigkill_many(tmp_path: Path) -> None:
    _sigkill_trials(tmp_path, trials=30, seed=2026)


def _start(show: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        podcast_argv("-C", show, "publish", *args),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("slugs", [((), ()), (("ep-one",), ("ep-two",))], ids=["both-all", "one-each"])
def test_two_publishes_at_once(tmp_path: Path, slugs: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    """Two processes publish to the same target at the same time (all episodes, or one episode each)."""
    show = make_small_show(tmp_path / "show", episodes=2, seconds=5)
    assert run_podcast("-C", show, "build", env=_env()).returncode == 0  # so both spend their time publishing
    for round_ in range(2):
        _edit_notes(show, "ep-one", f"Round {round_}.")
        _edit_notes(show, "ep-two", f"Round {round_}.")
        first, second = _start(show, *slugs[0]), _start(show, *slugs[1])
        outcomes = []
        for process, own in ((first, slugs[0]), (second, slugs[1])):
            out, err = process.communicate(timeout=300)
            assert "Traceback" not in err, err
            if process.returncode != 0:
                lines = [line for line in err.splitlines() if line.strip() and not line.startswith("warning:")]
                assert process.returncode == 4 and len(lines) == 1, err
                assert "someone else" in lines[0] and "run `podcast publish` again" in lines[0], err
                outcomes.append(("refused", own))
            else:
                outcomes.append(("ok", own))
        assert any(result == "ok" for result, _ in outcomes)
        for result, own in outcomes:  # the producer does what the message says: runs it again
            if result == "refused":
                retry = run_podcast("-C", show, "publish", *own, env=_env())
                assert retry.returncode == 0, retry.stderr
        assert_feed_complete(show / "feed", BASE_URL)
        assert_state_consistent(show, episodes=2)
    report = json.loads(_publish(show, "--json").stdout)
    assert report["uploaded"] == [] and report["feed_changed"] is False


def test_publish_waits_for_a_build_of_the_same_episode(tmp_path: Path) -> None:
    """`podcast build` and `podcast publish` at once share build/ safely (a per-episode lock)."""
    show = make_small_show(tmp_path / "show", episodes=1, seconds=30)
    build = subprocess.Popen(
        podcast_argv("-C", show, "build"), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(0.3)
    published = _publish(show)
    out, err = build.communicate(timeout=300)
    assert build.returncode == 0, err
    assert published.returncode == 0, published.stderr
    assert_state_consistent(show, episodes=1)
    record = json.loads((show / "build" / "ep-one" / "build.json").read_text(encoding="utf-8"))
    assert (show / "build" / "ep-one" / "ep-one.mp3").stat().st_size == record["size_bytes"]


def test_publishing_one_episode_keeps_the_others(tmp_path: Path) -> None:
    """Regression: `podcast publish ep-two` deleted ep-one's published MP3 while the feed still named it."""
    show = make_small_show(tmp_path / "show", episodes=2, seconds=3)
    assert _publish(show).returncode == 0
    _edit_notes(show, "ep-one", "Changed, not yet republished.")
    _edit_notes(show, "ep-two", "Changed and republished.")
    result = run_podcast("-C", show, "publish", "ep-two", env=_env())
    assert result.returncode == 0, result.stderr
    assert_state_consistent(show, episodes=2)


class _DiesOnFirstDelete:
    """The real local target, except that the process 'dies' at its first delete (fault injection only)."""

    def __init__(self, inner: object):
        self.inner, self.armed = inner, True

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def delete(self, key: str) -> None:
        if self.armed:
            self.armed = False
            raise SystemExit("killed while deleting")  # stands in for SIGKILL at exactly this instant
        self.inner.delete(key)  # type: ignore[attr-defined]


def test_killed_while_deleting_old_media_the_rerun_deletes_it(tmp_path: Path) -> None:
    """Regression: the state record dropped old media before it was deleted, so a publish killed
    in between left that audio online forever (nothing recorded it any more)."""
    from podcast.publishing.connect import open_target
    from podcast.publishing.publish import publish
    from podcast.show.model import load_show, utc_now
    from podcast.show.settings import resolve_settings

    show = make_small_show(tmp_path / "show", episodes=1, seconds=3)
    assert _publish(show).returncode == 0
    old_media = {p.name for p in (show / "feed" / "media").iterdir()}
    _edit_notes(show, "ep-one", "A correction.")
    loaded = load_show(show)
    settings = resolve_settings(loaded)
    with pytest.raises(SystemExit):
        publish(
            loaded,
            settings,
            _DiesOnFirstDelete(open_target(settings.target, loaded.root, settings)),
            slugs=None,
            now=utc_now(),
        )
    assert_feed_complete(show / "feed", BASE_URL)
    assert old_media <= {p.name for p in (show / "feed" / "media").iterdir()}
    again = _publish(show)
    assert again.returncode == 0, again.stderr
    assert_state_consistent(show, episodes=1)
    assert not old_media & {p.name for p in (show / "feed" / "media").iterdir()}, "the old audio stayed online"


@pytest.mark.parametrize(
    "garbage",
    [
        b'{"objects": {"media/x.mp3": {"si',
        b"[1, 2, 3]",
        b'{"objects": 5, "episodes": []}',
        b'{"objects": {}, "episodes": {"ep-one": "not a record"}}',
        b"\xff\xfe",
    ],
)
def test_corrupt_state_record_is_survived(tmp_path: Path, garbage: bytes) -> None:
    """A state.json that is cut off or of the wrong shape (hand-edited, half-synced) is a warning, not a traceback:
    the publish re-uploads what it needs and leaves a complete feed and a good state record."""
    show = make_small_show(tmp_path / "show", episodes=1, seconds=3)
    assert _publish(show).returncode == 0
    (show / "feed" / ".podcast" / "state.json").write_bytes(garbage)
    result = _publish(show)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "unreadable" in result.stderr
    assert_state_consistent(show, episodes=1)
