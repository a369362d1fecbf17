"""Two producers publishing to the same S3 target at once never lose an episode.

The interleavings are forced deterministically: a thin wrapper around the real S3Target
runs producer A's whole publish at the worst moment of producer B's (the only fake here,
and it injects timing, not behaviour). One test also runs both in real threads.
"""

from __future__ import annotations

import json
import shutil
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from s3_fixtures import anonymous, make_episode

from podcast.errors import StateConflict
from podcast.publishing import lock as locking
from podcast.publishing.connect import open_target
from podcast.publishing.lock import LOCK_KEY, lock_record
from podcast.publishing.publish import publish
from podcast.show.model import load_show, utc_now
from podcast.show.settings import resolve_settings

PREFIX = "survivor-voices"


@pytest.fixture(scope="module")
def three_built(built_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo show plus two small episodes, built once for this module."""
    from typer.testing import CliRunner

    from typer_app import app

    root = tmp_path_factory.mktemp("three") / "show"
    shutil.copytree(built_demo, root)
    make_episode(root, "episode-a", number=1, frequency=300)
    make_episode(root, "episode-b", number=2, frequency=500)
    result = CliRunner().invoke(app, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def two_episode_show(make_s3_show, cli, three_built):
    """An S3 show with the trailer published and two more episodes built but not yet published."""
    show = make_s3_show(source=three_built)
    assert cli("-C", show.root, "publish", "trailer").exit_code == 0
    return show


def run_publish(root: Path, slugs: list[str], wrap: Any = None) -> Any:
    show = load_show(root)
    settings = resolve_settings(show)
    target = open_target(settings.target, show.root, settings)
    return publish(show, settings, wrap(target) if wrap else target, slugs=slugs, now=utc_now())


class BeforeLock:
    """Delegates to the real target, but runs ``hook`` once just before the first lock attempt."""

    def __init__(self, inner: Any, hook: Any):
        self.inner, self.hook = inner, hook

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put_if(self, key: str, data: bytes, **kwargs: Any) -> str:
        if key == LOCK_KEY and self.hook:
            hook, self.hook = self.hook, None
            hook()
        return self.inner.put_if(key, data, **kwargs)


def live_guids(s3: Any, bucket: str) -> list[str]:
    feed = s3.get_object(Bucket=bucket, Key=f"{PREFIX}/feed.xml")["Body"].read()
    root = ET.fromstring(feed)
    for url in [e.get("url") for e in root.iter("enclosure")]:
        assert anonymous(url, method="HEAD")[0] == 200, url
    return sorted(g.text or "" for g in root.iter("guid"))


ALL_THREE = sorted(
    [
        "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b",
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
    ]
)


def test_a_publish_in_the_middle_of_another_keeps_both_episodes(two_episode_show, s3):
    show = two_episode_show
    report = run_publish(
        show.root, ["episode-b"], wrap=lambda t: BeforeLock(t, lambda: run_publish(show.root, ["episode-a"]))
    )
    assert sorted(report.episodes) == ["episode-a", "episode-b", "trailer"]
    assert live_guids(s3, show.bucket) == ALL_THREE
    state = json.loads(s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/.podcast/state.json")["Body"].read())
    assert sorted(state["episodes"]) == ["episode-a", "episode-b", "trailer"]
    assert LOCK_KEY not in [
        o["Key"].removeprefix(f"{PREFIX}/") for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]
    ]


def test_an_episode_this_folder_lacks_is_never_dropped(two_episode_show, s3, tmp_path, cli):
    """B's show folder does not have A's new episode: B refuses rather than unpublish it."""
    show = two_episode_show
    other = tmp_path / "producer-b"
    shutil.copytree(show.root, other)
    shutil.rmtree(other / "episodes" / "episode-a")
    with pytest.raises(StateConflict, match="someone else published episode-a") as caught:
        run_publish(other, ["episode-b"], wrap=lambda t: BeforeLock(t, lambda: run_publish(show.root, ["episode-a"])))
    assert "git pull" in str(caught.value)
    live = live_guids(s3, show.bucket)
    assert "00000000-0000-4000-8000-000000000001" in live  # A's episode stays live
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]
    assert f"{PREFIX}/{LOCK_KEY}" not in keys  # B released the lock


def test_producers_in_real_threads(two_episode_show, s3):
    show = two_episode_show
    errors: list[BaseException] = []

    def go(slug: str) -> None:
        try:
            run_publish(show.root, [slug])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(slug,)) for slug in ("episode-a", "episode-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert live_guids(s3, show.bucket) == ALL_THREE


def test_a_held_lock_makes_the_other_producer_wait_then_give_up(make_s3_show, s3, cli, monkeypatch):
    show = make_s3_show()
    s3.put_object(
        Bucket=show.bucket, Key=f"{PREFIX}/{LOCK_KEY}", Body=lock_record(utc_now().timestamp(), "studio-pc:42")
    )
    monkeypatch.setattr(locking, "LOCK_WAIT_S", 0.0)
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 4
    assert f"someone else is publishing to {show.target} (studio-pc:42, since" in result.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]
    assert f"{PREFIX}/feed.xml" not in keys and f"{PREFIX}/.podcast/state.json" not in keys
    assert f"{PREFIX}/{LOCK_KEY}" in keys  # somebody else's lock is left alone


def test_a_stale_lock_is_taken_over(make_s3_show, s3, cli):
    show = make_s3_show()
    s3.put_object(Bucket=show.bucket, Key=f"{PREFIX}/{LOCK_KEY}", Body=lock_record(0.0, "crashed:1"))
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 0, result.stderr
    assert "taking over a publish lock left by crashed:1" in result.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]
    assert f"{PREFIX}/feed.xml" in keys and f"{PREFIX}/{LOCK_KEY}" not in keys


def test_lock_waits_for_release(tmp_path):
    """The waiting loop, on the local folder target with a fake clock: it retries until the lock is gone."""
    from podcast.publishing.local import LocalFolderTarget

    folder = LocalFolderTarget(tmp_path)
    folder.put_bytes(
        LOCK_KEY, lock_record(1000.0, "other:1"), content_type="application/json", cache_control="no-store"
    )
    now = [1000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 1003:
            folder.delete(LOCK_KEY)  # the other producer finishes

    with locking.publish_lock(folder, wait_s=10, clock=lambda: now[0], sleep=sleep):
        assert json.loads(folder.get_bytes(LOCK_KEY) or b"")["owner"] != "other:1"
    assert folder.get_bytes(LOCK_KEY) is None and now[0] == 1003


def _edit_notes(root: Path, slug: str, text: str) -> None:
    manifest = root / "episodes" / slug / "episode.toml"
    old = manifest.read_text(encoding="utf-8")
    assert 'description = "Test episode 1."' in old
    manifest.write_text(old.replace('description = "Test episode 1."', f'description = "{text}"'), encoding="utf-8")


def test_two_edits_of_one_episode_at_once_the_second_is_refused(two_episode_show, s3, tmp_path):
    """A and B both saw episode-a at one version; A publishes its edit while B uploads: B must not win silently."""
    show = two_episode_show
    assert run_publish(show.root, ["episode-a"]).episodes  # episode-a live, as both producers last saw it
    other = tmp_path / "producer-b"
    shutil.copytree(show.root, other)
    _edit_notes(show.root, "episode-a", "Edit by producer A.")
    _edit_notes(other, "episode-a", "Edit by producer B.")
    with pytest.raises(StateConflict, match="someone else published a different edit of episode 'episode-a'"):
        run_publish(other, ["episode-a"], wrap=lambda t: BeforeLock(t, lambda: run_publish(show.root, ["episode-a"])))
    feed = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml")["Body"].read()
    assert b"Edit by producer A." in feed and b"Edit by producer B." not in feed
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]
    assert f"{PREFIX}/{LOCK_KEY}" not in keys  # B released the lock
    live_guids(s3, show.bucket)  # every enclosure the live feed names answers


def test_the_same_edit_published_twice_at_once_is_no_conflict(two_episode_show, s3, tmp_path):
    show = two_episode_show
    other = tmp_path / "producer-b"
    shutil.copytree(show.root, other)
    report = run_publish(
        other, ["episode-a"], wrap=lambda t: BeforeLock(t, lambda: run_publish(show.root, ["episode-a"]))
    )
    assert "episode-a" in report.episodes
