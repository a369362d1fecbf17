"""Faults mid-publish: 503s and cut connections from a proxy in front of the real S3 server.

Two promises are checked: retries ride out transient faults, and a publish that does
fail leaves the previous feed live and is completed by running publish again. The proxy
asserts the ordering invariant at the moment each feed goes live (see fault_proxy.py).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fault_proxy import FaultProxy, Request
from s3_fixtures import S3Show, anonymous, make_episode

from podcast.publishing.lock import LOCK_KEY

PREFIX = "survivor-voices"


def through(proxy: FaultProxy, show: S3Show) -> None:
    """Point the show's endpoint_url at the proxy; listeners (base_url) still go straight to the store."""
    toml = show.root / "podcast.toml"
    toml.write_text(toml.read_text().replace(f'endpoint_url = "{show.endpoint}"', f'endpoint_url = "{proxy.url}"'))


def feed_bytes(s3: Any, show: S3Show) -> bytes | None:
    try:
        return s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def assert_consistent(s3: Any, show: S3Show) -> list[str]:
    """The live feed's objects all exist complete; the state record matches what is stored. Returns guids."""
    feed = feed_bytes(s3, show)
    assert feed is not None
    root = ET.fromstring(feed)
    for enclosure in root.iter("enclosure"):
        status, headers, _ = anonymous(enclosure.get("url", ""), method="HEAD")
        assert status == 200 and int(headers["content-length"]) == int(enclosure.get("length", "0"))
    stored = {o["Key"].removeprefix(f"{PREFIX}/") for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]}
    state = json.loads(s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/.podcast/state.json")["Body"].read())
    assert stored == set(state["objects"]) | {"feed.xml", ".podcast/state.json"}, "leftover or missing objects"
    return sorted(g.text or "" for g in root.iter("guid"))


@pytest.fixture
def proxied(make_s3_show, moto_url):
    show = make_s3_show()
    with FaultProxy(moto_url, f"/{show.bucket}/{PREFIX}/feed.xml") as proxy:
        through(proxy, show)
        yield show, proxy


def every_third(request: Request) -> str | None:
    if request.number % 3:
        return None
    return ("503", "cut", "lost")[(request.number // 3) % 3]


def test_retries_ride_out_503s_and_cut_connections(proxied, cli, s3):
    show, proxy = proxied
    proxy.policy = every_third
    result = cli("-C", show.root, "--json", "publish")
    assert result.exit_code == 0, result.stderr
    assert {fault for fault, _, _ in proxy.faults} == {"503", "cut", "lost"}, proxy.faults
    assert proxy.violations == []
    assert assert_consistent(s3, show) == ["8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b"]
    again = json.loads(cli("-C", show.root, "--json", "publish").stdout)
    assert again["uploaded"] == [] and proxy.violations == []


def fail_at(stage: str) -> Any:
    """A persistent fault at one stage of publish: every attempt at it fails."""

    def policy(request: Request) -> str | None:
        if request.method != "PUT":
            return None
        if stage == "media" and "/media/trailer-" in request.path:  # after episode-3 went up
            return "cut"
        if stage == "feed" and request.path.endswith("/feed.xml"):
            return "503"
        if stage == "state" and request.path.endswith("/.podcast/state.json"):
            return "503"
        return None

    return policy


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["media", "feed", "state"])
def test_failed_publish_leaves_the_previous_feed_and_a_rerun_completes(stage, proxied, cli, s3, monkeypatch):
    show, proxy = proxied
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # give up fast: these faults never clear
    assert cli("-C", show.root, "publish").exit_code == 0
    before = feed_bytes(s3, show)
    old_media = next(o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"] if "/media/" in o["Key"])

    # Next release: a new episode and a retitled (so re-encoded) trailer.
    make_episode(show.root, "episode-3", number=3)
    toml = show.root / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("Welcome to Survivor Voices", "Welcome, again"))
    assert cli("-C", show.root, "build").exit_code == 0

    proxy.policy = fail_at(stage)
    failed = cli("-C", show.root, "publish")
    assert failed.exit_code == 4, failed.stdout
    assert failed.stderr.startswith("error: ") and "Traceback" not in failed.stderr
    assert "run `podcast publish` again" in failed.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]
    assert f"{PREFIX}/{LOCK_KEY}" not in keys  # released even though the publish failed
    if stage in ("media", "feed"):
        assert feed_bytes(s3, show) == before  # the previous release is still what listeners get
        assert f"{old_media}" in keys

    proxy.policy = lambda request: None
    rerun = cli("-C", show.root, "--json", "publish")
    assert rerun.exit_code == 0, rerun.stderr
    uploaded = [u["key"].split("/")[0] for u in json.loads(rerun.stdout)["uploaded"]]
    assert uploaded == (["media"] if stage == "media" else []), uploaded  # what made it up before is not sent again
    assert proxy.violations == []
    guids = assert_consistent(s3, show)
    assert guids == ["00000000-0000-4000-8000-000000000003", "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b"]
    assert old_media not in [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]


def test_multipart_upload_survives_cut_parts(moto_url, bucket, tmp_path, s3):
    from boto3.s3.transfer import TransferConfig

    from podcast.publishing.s3.client import S3Location, make_client
    from podcast.publishing.s3.store import S3Target

    big = tmp_path / "big.mp3"
    big.write_bytes(bytes(range(251)) * 46_000)  # about 11 MB: three parts

    def cut_some_parts(request: Request) -> str | None:
        return (
            ("cut", "lost", "503")[request.number % 3] if "partNumber" in request.query and request.number % 2 else None
        )

    with FaultProxy(moto_url, f"/{bucket}/show/feed.xml", cut_some_parts) as proxy:
        config = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20, max_concurrency=3)
        target = S3Target(
            S3Location(bucket, "show/"),
            make_client(endpoint_url=proxy.url, region="us-east-1"),
            endpoint=proxy.url,
            transfer_config=config,
        )
        target.put_file("media/big-1.mp3", big, content_type="audio/mpeg", cache_control="x")
        assert proxy.faults, "no part was faulted"
    assert s3.get_object(Bucket=bucket, Key="show/media/big-1.mp3")["Body"].read() == big.read_bytes()


def test_dry_run_only_reads(proxied, cli, s3):
    """Every request a dry run makes is a GET or HEAD: no upload, no lock, no delete."""
    show, proxy = proxied
    assert cli("-C", show.root, "publish").exit_code == 0
    toml = show.root / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("Welcome to Survivor Voices", "Welcome, again"))
    assert cli("-C", show.root, "build").exit_code == 0
    proxy.requests.clear()
    plan = cli("-C", show.root, "publish", "--dry-run")
    assert plan.exit_code == 0 and "would upload media/trailer-" in plan.stdout and "would delete media/" in plan.stdout
    assert proxy.requests and {r.method for r in proxy.requests} <= {"GET", "HEAD"}, proxy.requests


def test_lost_answers_to_the_lock_and_state_writes(proxied, cli, s3):
    """The store acts on a conditional write but the answer never arrives; the retry then gets 412.
    Publish must recognise its own lock and its own state record instead of reporting a conflict."""
    show, proxy = proxied
    seen: set[str] = set()

    def lose_first_answer(request: Request) -> str | None:
        name = request.path.rsplit("/", 1)[-1]
        if request.method == "PUT" and name in ("lock.json", "state.json") and name not in seen:
            seen.add(name)
            return "lost"
        return None

    proxy.policy = lose_first_answer
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 0, result.stderr
    assert [f for f, _, _ in proxy.faults] == ["lost", "lost"]
    puts = [r.path.rsplit("/", 1)[-1] for r in proxy.requests if r.method == "PUT"]
    assert puts.count("lock.json") >= 2 and puts.count("state.json") >= 2  # the retries really happened
    assert proxy.violations == []
    assert_consistent(s3, show)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=show.bucket)["Contents"]]
    assert f"{PREFIX}/{LOCK_KEY}" not in keys
