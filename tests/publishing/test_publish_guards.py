"""Guards a mutation probe found missing: each breaks if the property it names is broken.

* publish order on the local folder target: the feed is written after every object it names
  (media, transcripts, chapters, artwork), the state record after the feed, deletions last;
* the publish lock left by a dead publisher on this machine is taken over at once;
* a takedown that failed half-way is finished by running it again;
* Ctrl+C (SIGINT to the process group, as a terminal sends it) exits 130 with one line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from reliability import BASE_URL, assert_feed_complete, children_of, make_small_show, podcast_argv
from safeguarding_helpers import add_episode, copy_built_demo, edit_episode

from podcast.errors import StorageError
from podcast.publishing import lock as locking
from podcast.publishing.connect import open_target
from podcast.publishing.lock import LOCK_KEY, lock_record
from podcast.publishing.publish import publish
from podcast.publishing.takedown import takedown
from podcast.publishing.target import FEED_KEY, STATE_KEY
from podcast.safeguarding.audit import read_audit
from podcast.show.model import load_show, utc_now
from podcast.show.settings import resolve_settings


class Recording:
    """The real target, with every write and delete logged as ("begin"|"end"|"delete", key)."""

    def __init__(self, inner: Any):
        self.inner, self.log = inner, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _logged(self, key: str, write: Any) -> Any:
        self.log.append(("begin", key))
        result = write()
        self.log.append(("end", key))
        return result

    def put_file(self, key: str, path: Path, **kwargs: Any) -> None:
        self._logged(key, lambda: self.inner.put_file(key, path, **kwargs))

    def put_bytes(self, key: str, data: bytes, **kwargs: Any) -> None:
        self._logged(key, lambda: self.inner.put_bytes(key, data, **kwargs))

    def put_if(self, key: str, data: bytes, **kwargs: Any) -> str:
        return self._logged(key, lambda: self.inner.put_if(key, data, **kwargs))

    def delete(self, key: str) -> None:
        self.log.append(("delete", key))
        self.inner.delete(key)

    def index(self, event: str, key: str) -> int:
        return self.log.index((event, key))


def _publish(root: Path, wrap: Any = None) -> Any:
    show = load_show(root)
    settings = resolve_settings(show)
    target = open_target(settings.target, show.root, settings)
    return publish(show, settings, wrap(target) if wrap else target, slugs=None, now=utc_now())


def _named_by_feed(feed: bytes) -> set[str]:
    """Every object key the feed points at (enclosures, images, transcripts, chapters)."""
    root = etree.fromstring(feed)
    urls = {value for element in root.iter() for value in element.attrib.values() if value.startswith(BASE_URL + "/")}
    return {url.removeprefix(BASE_URL + "/") for url in urls} - {FEED_KEY}


SRT = "1\n00:00:00,500 --> 00:00:03,000\nWelcome to the show.\n"


def test_local_publish_writes_the_feed_after_everything_it_names(built_demo, tmp_path):
    root = copy_built_demo(built_demo, tmp_path)
    (root / "episodes" / "trailer" / "transcript.srt").write_text(SRT, encoding="utf-8")
    edit_episode(root, "trailer", transcript="transcript.srt")
    recorder: list[Recording] = []
    _publish(root, wrap=lambda t: recorder.append(Recording(t)) or recorder[-1])
    first = recorder[-1]
    feed = (root / "feed" / FEED_KEY).read_bytes()
    named = _named_by_feed(feed)
    assert any(k.startswith("media/") for k in named) and any(k.startswith("transcripts/") for k in named)
    assert any(k.startswith("chapters/") for k in named) and any(k.startswith("artwork/") for k in named)
    feed_begins = first.index("begin", FEED_KEY)
    for key in named:
        assert first.index("end", key) < feed_begins, f"the feed went out before {key} was complete"
    assert first.index("begin", STATE_KEY) > first.index("end", FEED_KEY)

    # A second publish with new notes: the new media before the feed, the old media deleted after it.
    edit_episode(root, "trailer", description="New notes for the trailer.")
    _publish(root, wrap=lambda t: recorder.append(Recording(t)) or recorder[-1])
    second = recorder[-1]
    deleted = [key for event, key in second.log if event == "delete" and key != LOCK_KEY]
    assert any(key.startswith("media/") for key in deleted), second.log
    for key in deleted:
        assert second.index("delete", key) > second.index("end", FEED_KEY)
        assert key not in _named_by_feed((root / "feed" / FEED_KEY).read_bytes())
    for event, key in second.log:
        if event == "end" and key.startswith("media/"):
            assert second.index("end", key) < second.index("begin", FEED_KEY)
    assert assert_feed_complete(root / "feed", BASE_URL) is not None


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_lock_left_by_a_dead_local_publisher_is_taken_over_at_once(tmp_path, cli, monkeypatch):
    show = make_small_show(tmp_path / "show")
    lock = show / "feed" / LOCK_KEY
    lock.parent.mkdir(parents=True)
    lock.write_bytes(lock_record(time.time(), f"{socket.gethostname()}:{_dead_pid()}"))
    monkeypatch.setattr(locking, "LOCK_WAIT_S", 0.0)  # no waiting: only a takeover lets this publish through
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    assert not lock.exists()
    assert assert_feed_complete(show / "feed", BASE_URL) is not None


def test_a_lock_held_by_a_live_local_publisher_is_not_taken_over(tmp_path, cli, monkeypatch):
    show = make_small_show(tmp_path / "show")
    lock = show / "feed" / LOCK_KEY
    lock.parent.mkdir(parents=True)
    held = lock_record(time.time(), f"{socket.gethostname()}:{os.getppid()}")  # alive: the process running pytest
    lock.write_bytes(held)
    monkeypatch.setattr(locking, "LOCK_WAIT_S", 0.0)
    result = cli("-C", show, "publish")
    assert result.exit_code == 4 and "someone else is publishing" in result.stderr, result.stderr
    assert lock.read_bytes() == held and not (show / "feed" / FEED_KEY).exists()


class FailingDelete:
    """The real target, but the first ``delete_all_versions`` fails as a dropped network would."""

    def __init__(self, inner: Any):
        self.inner, self.failed = inner, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def delete_all_versions(self, key: str) -> int:
        if not self.failed:
            self.failed = True
            raise StorageError(f"cannot delete '{key}' (connection reset)", path="feed", fix="run it again")
        return int(self.inner.delete_all_versions(key))


def test_a_takedown_that_failed_half_way_is_finished_by_running_it_again(built_demo, tmp_path, tone, cli):
    root = copy_built_demo(built_demo, tmp_path)
    add_episode(root, "episode-1", tone, number=1)
    (root / "episodes" / "episode-1" / "transcript.srt").write_text(SRT, encoding="utf-8")
    edit_episode(root, "episode-1", transcript="transcript.srt")
    assert cli("-C", root, "publish").exit_code == 0
    feed_dir = root / "feed"
    online = sorted(p.relative_to(feed_dir).as_posix() for p in feed_dir.rglob("episode-1-*"))
    assert len(online) >= 2  # media and transcripts

    show = load_show(root)
    settings = resolve_settings(show)
    with pytest.raises(StorageError, match="connection reset"):
        takedown(
            show,
            settings,
            FailingDelete(open_target(settings.target, show.root, settings)),
            "episode-1",
            reason="Contributor withdrew consent",
            now=utc_now(),
        )
    assert b"episode-1" not in (feed_dir / FEED_KEY).read_bytes()  # the feed already dropped it
    assert list(feed_dir.rglob("episode-1-*"))  # but files are still online
    assert not (feed_dir / LOCK_KEY).exists()  # and the lock was released

    again = cli("-C", root, "takedown", "episode-1", "--reason", "Contributor withdrew consent")
    assert again.exit_code == 0, again.stderr
    assert not list(feed_dir.rglob("episode-1-*")), "the re-run left files of the withdrawn episode online"
    state = (feed_dir / STATE_KEY).read_text(encoding="utf-8")
    assert "episode-1" not in state
    [entry] = read_audit(root / "safeguarding" / "audit.log")
    assert entry["slug"] == "episode-1" and entry["objects_removed"]
    assert assert_feed_complete(feed_dir, BASE_URL) is not None


@pytest.mark.parametrize("command", ["build", "publish"])
def test_ctrl_c_exits_130_with_one_line(tmp_path, command):
    """SIGINT to the whole process group while ffmpeg works, as Ctrl+C in a terminal does."""
    show = make_small_show(tmp_path / "show", seconds=240)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODCAST_", "AWS_"))}
    process = subprocess.Popen(
        podcast_argv("-C", show, command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not children_of(process.pid):  # ffmpeg is working
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "ffmpeg never started"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert process.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("error: interrupted"), stderr
    assert not (show / "feed" / FEED_KEY).exists()  # nothing half-published
    assert not list((show / "build").rglob("*.mp3")), "a half-built MP3 was kept"
