"""Crash safety and concurrency of `podcast publish` to S3 (moto's real server on 127.0.0.1).

Real `podcast` processes publish to a real S3 API and are killed with real SIGKILLs. Right
after each kill (before anything repairs it) the live feed must name only complete objects
with the lengths it states; the re-run must complete and leave the bucket consistent with
the state record. Two processes publishing at once both finish or one reports the other,
and no episode is lost.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from reliability import kill_after, make_small_show, podcast_argv, run_podcast

PREFIX = "survivor-voices"
ITUNES_IMAGE = "{http://www.itunes.com/dtds/podcast-1.0.dtd}image"


@pytest.fixture(scope="module")
def small_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short episodes, built once for the module (copies reuse the build cache)."""
    show = make_small_show(tmp_path_factory.mktemp("s3crash") / "show", episodes=2, seconds=20)
    result = run_podcast("-C", show, "build", env=_clean_env())
    assert result.returncode == 0, result.stderr
    return show


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODCAST_", "AWS_"))}
    env.update(extra or {})
    return env


def _edit_notes(show: Path, slug: str, text: str) -> None:
    toml = show / "episodes" / slug / "episode.toml"
    content = toml.read_text(encoding="utf-8")
    toml.write_text(content.replace('description = """', f'description = """{text} '), encoding="utf-8")


def _key_of(url: str, base_url: str) -> str:
    assert url.startswith(base_url + "/"), url
    return f"{PREFIX}/{url.removeprefix(base_url + '/')}"


def assert_s3_feed_complete(s3: Any, bucket: str, base_url: str) -> int:
    """The live-feed invariant on S3: every object the feed names exists, whole, with the stated length."""
    try:
        feed = s3.get_object(Bucket=bucket, Key=f"{PREFIX}/feed.xml")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return 0
    root = etree.fromstring(feed)
    for enclosure in root.iter("enclosure"):
        head = s3.head_object(Bucket=bucket, Key=_key_of(enclosure.get("url", ""), base_url))
        assert head["ContentLength"] == int(enclosure.get("length", "-1")), enclosure.get("url")
    for image in root.iter(ITUNES_IMAGE):
        s3.head_object(Bucket=bucket, Key=_key_of(image.get("href", ""), base_url))
    return len(root.findall("channel/item"))


def assert_s3_consistent(s3: Any, bucket: str, base_url: str, episodes: int) -> None:
    """After a completed publish: every episode listed, and the bucket holds exactly what the state records."""
    assert assert_s3_feed_complete(s3, bucket, base_url) == episodes
    stored = {o["Key"].removeprefix(f"{PREFIX}/") for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    state = json.loads(s3.get_object(Bucket=bucket, Key=f"{PREFIX}/.podcast/state.json")["Body"].read())
    assert len(state["episodes"]) == episodes
    # A lock left by a killed publish may remain when the re-run had nothing to write (it is taken
    # over by the next publish that needs it); anything else the state does not record is a leak.
    assert stored - {".podcast/lock.json"} == set(state["objects"]) | {"feed.xml", ".podcast/state.json"}, (
        "leftover or missing objects"
    )


def _sigkill_trials(make_s3_show: Any, s3: Any, aws_env: dict[str, str], source: Path, trials: int, seed: int) -> None:
    rng = random.Random(seed)
    show = make_s3_show(source=source)
    env = _clean_env(aws_env)
    first = run_podcast("-C", show.root, "publish", env=env)
    assert first.returncode == 0, first.stderr
    duration = 0.0
    killed = 0
    for trial in range(trials):
        slug = rng.choice(["ep-one", "ep-two"])
        _edit_notes(show.root, slug, f"Edit {trial}.")
        if trial == 0:  # time one whole publish of a change, to spread the kills over it
            started = time.monotonic()
            assert run_podcast("-C", show.root, "publish", env=env).returncode == 0
            duration = time.monotonic() - started
            _edit_notes(show.root, slug, f"Edit {trial}b.")
        process = subprocess.Popen(
            podcast_argv("-C", show.root, "publish"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        killed += kill_after(process, rng.uniform(0.1, duration * 1.1))
        assert assert_s3_feed_complete(s3, show.bucket, show.base_url) == 2
        again = run_podcast("-C", show.root, "publish", env=env)
        assert again.returncode == 0, f"trial {trial}: the re-run failed\n{again.stderr}"
        assert_s3_consistent(s3, show.bucket, show.base_url, episodes=2)
    assert killed >= trials // 2, f"only {killed} of {trials} publishes were killed before finishing"
    report = json.loads(run_podcast("-C", show.root, "publish", "--json", env=env).stdout)
    assert report["uploaded"] == [] and report["feed_changed"] is False


def test_s3_publish_survives_sigkill(make_s3_show, s3, aws_env, small_built) -> None:  # type: ignore[no-untyped-def]
    _sigkill_trials(make_s3_show, s3, aws_env, small_built, trials=5, seed=9)


@pytest.mark.slow
def test_s3_publish_survives_sigkill_many(make_s3_show, s3, aws_env, small_built) -> None:  # type: ignore[no-untyped-def]
    _sigkill_trials(make_s3_show, s3, aws_env, small_built, trials=30, seed=2026)


def test_two_s3_publishes_at_once(make_s3_show, s3, aws_env, small_built) -> None:  # type: ignore[no-untyped-def]
    """Two processes publish different episodes to one bucket at the same time: none is lost."""
    show = make_s3_show(source=small_built)
    env = _clean_env(aws_env)
    for round_ in range(2):
        _edit_notes(show.root, "ep-one", f"Round {round_}.")
        _edit_notes(show.root, "ep-two", f"Round {round_}.")
        processes = [
            (
                subprocess.Popen(
                    podcast_argv("-C", show.root, "publish", slug),
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
                slug,
            )
            for slug in ("ep-one", "ep-two")
        ]
        for process, slug in processes:
            out, err = process.communicate(timeout=300)
            assert "Traceback" not in err, err
            if process.returncode != 0:  # the other one was publishing: it says so, and a re-run works
                lines = [line for line in err.splitlines() if line.strip() and not line.startswith("warning:")]
                assert process.returncode == 4 and len(lines) == 1 and "someone else" in lines[0], err
                retry = run_podcast("-C", show.root, "publish", slug, env=env)
                assert retry.returncode == 0, retry.stderr
        assert_s3_consistent(s3, show.bucket, show.base_url, episodes=2)
