"""Publishing to S3, against a real S3 server (moto's server mode) on 127.0.0.1.

What is checked is what listeners and the store actually see: stored objects and their
headers, anonymous HTTP GET/HEAD/Range, a real podcast client (gPodder) subscribing and
downloading, and the failure messages a producer gets.
"""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from s3_fixtures import DUMMY_KEY_ID, DUMMY_SECRET, anonymous, run_gpo

from podcast.build.keys import sha256_file
from podcast.errors import StateConflict, StorageError
from podcast.publishing.local import LocalFolderTarget
from podcast.publishing.s3.client import S3Location, make_client
from podcast.publishing.s3.store import S3Target

PREFIX = "survivor-voices"


def publish_json(cli: Any, show: Path, *args: str) -> dict[str, Any]:
    result = cli("-C", show, "--json", "publish", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def keys(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    return {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def enclosure_urls(feed: bytes) -> list[tuple[str, int]]:
    root = ET.fromstring(feed)
    return [(e.get("url", ""), int(e.get("length", "0"))) for e in root.iter("enclosure")]


def no_secrets(*texts: str) -> None:
    for text in texts:
        assert DUMMY_SECRET not in text and DUMMY_KEY_ID not in text


# --- what gets stored ---------------------------------------------------------------------------


def test_publish_stores_objects_with_layout_types_and_cache(cli, make_s3_show, s3):
    show = make_s3_show()
    report = publish_json(cli, show.root)
    stored = keys(s3, show.bucket)
    media = [k for k in stored if k.startswith(f"{PREFIX}/media/")]
    art = [k for k in stored if k.startswith(f"{PREFIX}/artwork/")]
    chapters = [k for k in stored if k.startswith(f"{PREFIX}/chapters/")]
    assert len(media) == 1 and media[0].endswith(".mp3") and len(art) == 1 and len(chapters) == 1
    site = {f"{PREFIX}/{key}" for key in report["pages_uploaded"]}  # the website (tests/site/)
    assert set(stored) == {*media, *art, *chapters, *site, f"{PREFIX}/feed.xml", f"{PREFIX}/.podcast/state.json"}
    assert report["target"] == show.target and report["uploaded_bytes"] == sum(u["bytes"] for u in report["uploaded"])
    # Media first, then chapters, then artwork; the feed last (the report lists uploads in order).
    assert [u["key"].split("/")[0] for u in report["uploaded"]] == ["media", "chapters", "artwork"]

    head = s3.head_object(Bucket=show.bucket, Key=media[0])
    assert head["ContentType"] == "audio/mpeg"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    local = show.root / "build" / "trailer"
    mp3 = next(local.glob("*.mp3"))
    assert head["ContentLength"] == mp3.stat().st_size
    assert head["Metadata"]["sha256"] == sha256_file(mp3) and sha256_file(mp3)[:12] in media[0]
    assert s3.head_object(Bucket=show.bucket, Key=art[0])["ContentType"] == "image/jpeg"
    chapter_head = s3.head_object(Bucket=show.bucket, Key=chapters[0])
    assert chapter_head["ContentType"] == "application/json" and chapter_head["CacheControl"] == head["CacheControl"]
    feed = s3.head_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml")
    assert feed["ContentType"] == "application/rss+xml" and feed["CacheControl"] == "public, max-age=300"
    state = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/.podcast/state.json")
    assert state["CacheControl"] == "no-store"
    assert set(json.loads(state["Body"].read())["objects"]) == {
        k.removeprefix(f"{PREFIX}/") for k in [*media, *art, *chapters, *site]
    }
    body = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml")["Body"].read()
    assert enclosure_urls(body) == [(f"{show.base_url}/{media[0].removeprefix(PREFIX + '/')}", mp3.stat().st_size)]


def test_anonymous_get_head_range_and_private_state(cli, make_s3_show):
    show = make_s3_show()
    publish_json(cli, show.root)
    status, headers, feed = anonymous(f"{show.base_url}/feed.xml")
    assert status == 200 and headers["content-type"] == "application/rss+xml"
    url, length = enclosure_urls(feed)[0]

    status, headers, body = anonymous(url)
    assert status == 200 and len(body) == length and headers["content-type"] == "audio/mpeg"
    assert body == next((show.root / "build" / "trailer").glob("*.mp3")).read_bytes()
    status, headers, empty = anonymous(url, method="HEAD")
    assert status == 200 and int(headers["content-length"]) == length and empty == b""
    status, headers, part = anonymous(url, headers={"Range": "bytes=100-199"})
    assert status == 206 and part == body[100:200]
    assert headers["content-range"] == f"bytes 100-199/{length}"

    # The state record is uploaded without the public ACL: anonymous readers are refused.
    status, _, _ = anonymous(f"{show.base_url}/.podcast/state.json")
    assert status == 403


def test_bucket_policy_grants_public_read_without_acls(cli, make_s3_show, s3):
    """With no [publish] acl, objects are private until a bucket policy opens the prefix (the AWS default now)."""
    show = make_s3_show(acl=None)
    publish_json(cli, show.root)
    assert anonymous(f"{show.base_url}/feed.xml")[0] == 403
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [
                    f"arn:aws:s3:::{show.bucket}/{PREFIX}/feed.xml",
                    f"arn:aws:s3:::{show.bucket}/{PREFIX}/media/*",
                    f"arn:aws:s3:::{show.bucket}/{PREFIX}/artwork/*",
                ],
            }
        ],
    }
    s3.put_bucket_policy(Bucket=show.bucket, Policy=json.dumps(policy))
    status, _, feed = anonymous(f"{show.base_url}/feed.xml")
    assert status == 200
    # GET, not HEAD: moto checks a policy for HEAD against "s3:HeadObject" (AWS uses s3:GetObject).
    assert anonymous(enclosure_urls(feed)[0][0], headers={"Range": "bytes=0-0"})[0] == 206
    assert anonymous(f"{show.base_url}/.podcast/state.json")[0] == 403


def test_republish_uploads_nothing(cli, make_s3_show, s3):
    show = make_s3_show()
    publish_json(cli, show.root)
    before = {k: o["LastModified"] for k, o in keys(s3, show.bucket).items()}
    again = publish_json(cli, show.root)
    assert again["uploaded"] == [] and again["uploaded_bytes"] == 0 and again["feed_changed"] is False
    assert again["unchanged"] == 3 and again["deleted"] == []
    assert {k: o["LastModified"] for k, o in keys(s3, show.bucket).items()} == before


def test_dry_run_writes_nothing(cli, make_s3_show, s3):
    show = make_s3_show()
    result = cli("-C", show.root, "publish", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would upload media/trailer-" in result.stdout and "feed would update" in result.stdout
    assert keys(s3, show.bucket) == {}
    report = publish_json(cli, show.root, "--dry-run")
    assert report["dry_run"] is True and report["uploaded_bytes"] > 0 and len(report["uploaded"]) == 3
    assert keys(s3, show.bucket) == {}


def test_changed_episode_replaces_media_and_deletes_the_old_object_after_the_feed(cli, make_s3_show, s3):
    show = make_s3_show()
    first = publish_json(cli, show.root)
    old_media = next(u["key"] for u in first["uploaded"] if u["key"].startswith("media/"))
    toml = show.root / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("Welcome to Survivor Voices", "Welcome to the show"))
    assert cli("-C", show.root, "build").exit_code == 0  # retag the MP3: new bytes, new key
    plan = cli("-C", show.root, "publish", "--dry-run")
    assert f"would delete {old_media}" in plan.stdout
    second = publish_json(cli, show.root)
    assert [u["key"].split("/")[0] for u in second["uploaded"]] == ["media"] and second["deleted"] == [old_media]
    stored = keys(s3, show.bucket)
    assert f"{PREFIX}/{old_media}" not in stored
    feed = s3.get_object(Bucket=show.bucket, Key=f"{PREFIX}/feed.xml")["Body"].read()
    assert all(anonymous(url, method="HEAD")[0] == 200 for url, _ in enclosure_urls(feed))


def test_aws_endpoint_url_env_is_honoured(cli, make_s3_show, monkeypatch, s3):
    show = make_s3_show(endpoint_in_toml=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", show.endpoint)
    report = publish_json(cli, show.root)
    assert len(report["uploaded"]) == 3 and f"{PREFIX}/feed.xml" in keys(s3, show.bucket)


# --- a real podcast client -------------------------------------------------------------------


@pytest.mark.slow
def test_gpodder_subscribes_and_downloads_byte_identical(cli, make_s3_show, tmp_path):
    show = make_s3_show()
    toml = show.root / "podcast.toml"
    toml.write_text(
        toml.read_text().replace(f'base_url = "{show.base_url}"', 'base_url = "https://media.example.org/sv"')
    )
    report = publish_json(cli, show.root, "--base-url", show.base_url)  # listeners fetch straight from the store
    assert report["feed_url"] == f"{show.base_url}/feed.xml"
    home, downloads = tmp_path / "gpodder", tmp_path / "downloads"
    home.mkdir()
    downloads.mkdir()
    feed_url = f"{show.base_url}/feed.xml"
    subscribed = run_gpo(home, downloads, "subscribe", feed_url)
    assert f"Successfully added {feed_url}" in subscribed.stdout, subscribed.stdout + subscribed.stderr
    fetched = run_gpo(home, downloads, "download")
    output = fetched.stdout + fetched.stderr
    assert "Traceback" not in output and "failed" not in output.lower(), output
    files = [p for p in downloads.rglob("*") if p.is_file()]
    assert len(files) == 1, output
    mp3 = next((show.root / "build" / "trailer").glob("*.mp3"))
    assert files[0].read_bytes() == mp3.read_bytes()
    database = sqlite3.connect(home / "Database")
    try:
        rows = database.execute("SELECT guid, state, file_size FROM episode").fetchall()
    finally:
        database.close()
    assert rows == [("8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b", 1, mp3.stat().st_size)]  # 1 = downloaded


# --- failures a producer can hit -------------------------------------------------------------


def test_missing_bucket_is_one_clear_line(cli, make_s3_show, s3):
    show = make_s3_show()
    s3.delete_bucket(Bucket=show.bucket)
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 4
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert f"bucket '{show.bucket}' does not exist" in result.stderr and "aws s3 mb" in result.stderr
    assert "Traceback" not in result.stderr
    no_secrets(result.stdout, result.stderr)


def test_access_denied_names_the_fix(cli, make_s3_show, s3):
    show = make_s3_show()
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{show.bucket}/*"}
        ],
    }
    s3.put_bucket_policy(Bucket=show.bucket, Policy=json.dumps(deny))
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 4, result.stdout
    assert "access denied (403)" in result.stderr and "s3:PutObject" in result.stderr
    assert f"check the bucket policy of '{show.bucket}'" in result.stderr  # issue 19: a 403 points to the policy
    no_secrets(result.stdout, result.stderr)


def test_verbose_failure_and_json_report_never_show_credentials(cli, make_s3_show, s3):
    show = make_s3_show()
    ok = cli("-C", show.root, "-v", "--json", "publish")
    assert ok.exit_code == 0
    no_secrets(ok.stdout, ok.stderr)
    s3.put_bucket_policy(
        Bucket=show.bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{show.bucket}/*",
                    }
                ],
            }
        ),
    )
    failed = cli("-C", show.root, "-v", "--json", "publish")
    assert failed.exit_code == 4 and "access denied" in failed.stderr
    no_secrets(failed.stdout, failed.stderr)


def test_status_reads_the_s3_state(cli, make_s3_show):
    show = make_s3_show()
    before = json.loads(cli("-C", show.root, "status", "--json").stdout)["episodes"]
    assert [row["release"] for row in before] == ["not published"]
    publish_json(cli, show.root)
    after = json.loads(cli("-C", show.root, "status", "--json").stdout)["episodes"]
    assert [row["release"] for row in after] == ["published"]


def test_unreachable_endpoint(cli, make_s3_show, monkeypatch):
    show = make_s3_show()
    toml = show.root / "podcast.toml"
    toml.write_text(
        toml.read_text().replace(f'endpoint_url = "{show.endpoint}"', 'endpoint_url = "http://127.0.0.1:9"')
    )
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = cli("-C", show.root, "--json", "publish")
    assert result.exit_code == 4 and json.loads(result.stdout)["error"]["exit_code"] == 4  # --json: the error too
    assert "cannot reach the store at http://127.0.0.1:9" in result.stderr and "endpoint_url" in result.stderr
    no_secrets(result.stderr)


def test_no_credentials(cli, make_s3_show, monkeypatch):
    show = make_s3_show()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 4 and "no usable AWS credentials" in result.stderr and "AWS_PROFILE" in result.stderr


def test_missing_profile_is_one_clear_line(cli, make_s3_show, monkeypatch):
    show = make_s3_show()
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 4 and "cannot set up the s3 client" in result.stderr and "AWS_PROFILE" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_target_and_settings(cli, make_s3_show):
    show = make_s3_show(extra='cloudfront_distribution_id = "not an id"\n')
    result = cli("-C", show.root, "publish")
    assert result.exit_code == 1 and "cloudfront_distribution_id" in result.stderr
    show = make_s3_show("other")
    result = cli("-C", show.root, "publish", "--target", "s3://X_bad")
    assert result.exit_code == 4 and "does not name a valid bucket" in result.stderr


# --- the Target directly: integrity, multipart, state, safeguarding hooks --------------------


@pytest.fixture
def target(moto_url: str, bucket: str) -> S3Target:
    return S3Target(
        S3Location(bucket, "show/"),
        make_client(endpoint_url=moto_url, region="us-east-1"),
        acl="public-read",
        endpoint=moto_url,
    )


def test_multipart_upload_in_parallel_parts_with_progress(moto_url, bucket, tmp_path, s3):
    from boto3.s3.transfer import TransferConfig

    big = tmp_path / "big.mp3"
    big.write_bytes(bytes(range(256)) * (11 * 1024 * 4))  # 11 MiB: three 5 MiB parts
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=3)
    target = S3Target(
        S3Location(bucket, "show/"),
        make_client(endpoint_url=moto_url, region="us-east-1"),
        endpoint=moto_url,
        checksums=True,
        transfer_config=config,
    )
    seen: list[int] = []
    target.put_file(
        "media/big-1.mp3",
        big,
        content_type="audio/mpeg",
        cache_control="x",
        sha256=sha256_file(big),
        on_progress=seen.append,
    )
    assert sum(seen) == big.stat().st_size and len(seen) >= 3
    head = s3.head_object(Bucket=bucket, Key="show/media/big-1.mp3")
    assert head["ETag"].endswith('-3"'), head["ETag"]  # three parts
    assert s3.get_object(Bucket=bucket, Key="show/media/big-1.mp3")["Body"].read() == big.read_bytes()
    assert target.exists("media/big-1.mp3", big.stat().st_size)
    assert not target.exists("media/big-1.mp3", 1)


def test_damaged_upload_is_deleted_and_reported(target, tmp_path, s3, bucket):
    """A store that keeps fewer bytes than were sent: the HEAD check catches it (a fake client injects the fault)."""
    real = target.client

    class ShortStore:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def head_object(self, **kwargs: Any) -> dict[str, Any]:
            return {**real.head_object(**kwargs), "ContentLength": 3}

    target.client = ShortStore()
    path = tmp_path / "a.mp3"
    path.write_bytes(b"x" * 1000)
    with pytest.raises(StorageError, match="damaged in transit") as caught:
        target.put_file("media/a.mp3", path, content_type="audio/mpeg", cache_control="x")
    assert caught.value.exit_code == 4
    assert keys(s3, bucket) == {}


def test_checksum_mismatch_is_caught(moto_url, bucket, tmp_path, s3):
    """With checksums on (AWS), a whole-object SHA-256 that differs from the local file fails the upload."""
    target = S3Target(
        S3Location(bucket, "show/"),
        make_client(endpoint_url=moto_url, region="us-east-1"),
        endpoint=moto_url,
        checksums=True,
    )
    path = tmp_path / "a.mp3"
    path.write_bytes(b"abc")
    good = sha256_file(path)
    target.put_file("media/a.mp3", path, content_type="audio/mpeg", cache_control="x", sha256=good)
    head = s3.head_object(Bucket=bucket, Key="show/media/a.mp3", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="  # sha256("abc"), sent by us
    with pytest.raises(StorageError, match="SHA-256 checksum does not match"):
        target.put_file("media/b.mp3", path, content_type="audio/mpeg", cache_control="x", sha256="0" * 64)
    assert "show/media/b.mp3" not in keys(s3, bucket)


@pytest.mark.parametrize("kind", ["s3", "folder"])
def test_conditional_writes(kind, target, tmp_path):
    store = target if kind == "s3" else LocalFolderTarget(tmp_path / "feed")

    def put(data, expected):
        return store.put_if(
            ".podcast/state.json",
            data,
            expected=expected,
            content_type="application/json",
            cache_control="no-store",
        )

    assert store.get_versioned(".podcast/state.json") == (None, None)
    first = put(b"one", None)
    with pytest.raises(StateConflict, match="someone else is publishing"):
        put(b"two", None)  # If-None-Match: * on an existing record
    second = put(b"two", first)
    with pytest.raises(StateConflict) as caught:
        put(b"three", first)  # If-Match on a stale ETag
    assert caught.value.exit_code == 4
    assert store.get_versioned(".podcast/state.json") == (b"two", second)


def test_private_upload_presigned_url_and_delete_all_versions(target, moto_url, bucket, s3, tmp_path):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    path = tmp_path / "review.mp3"
    path.write_bytes(b"draft" * 100)
    target.put_file("review/ep.mp3", path, content_type="audio/mpeg", cache_control="no-store", private=True)
    target.put_bytes(
        "review/ep.mp3", b"second version", content_type="audio/mpeg", cache_control="no-store", private=True
    )
    public_url = f"{moto_url}/{bucket}/show/review/ep.mp3"
    assert anonymous(public_url)[0] == 403
    status, _, body = anonymous(target.presigned_get_url("review/ep.mp3", expires_s=60))
    assert status == 200 and body == b"second version"
    assert target.delete_all_versions("review/ep.mp3") == 2
    assert s3.list_object_versions(Bucket=bucket, Prefix="show/review/").get("Versions", []) == []
    assert s3.list_object_versions(Bucket=bucket, Prefix="show/review/").get("DeleteMarkers", []) == []


def test_upload_progress_reaches_the_cli_callback(make_s3_show, moto_url):
    from podcast.publishing.connect import open_target
    from podcast.publishing.publish import publish
    from podcast.show.model import load_show, utc_now
    from podcast.show.settings import resolve_settings

    show = make_s3_show()
    loaded = load_show(show.root)
    settings = resolve_settings(loaded)
    sent: dict[str, list[int]] = {}
    report = publish(
        loaded,
        settings,
        open_target(settings.target, loaded.root, settings),
        slugs=None,
        now=utc_now(),
        on_upload_progress=lambda key, n, total: sent.setdefault(key, []).append(n),
    )
    assert {u["key"]: u["bytes"] for u in report.uploaded} == {k: sum(v) for k, v in sent.items()}


def test_progress_view_shows_bytes_per_second():
    from rich.console import Console
    from rich.progress import Progress

    from podcast.console.progress import transfer_column as _TransferColumn

    progress = Progress(_TransferColumn(), console=Console(file=None, force_terminal=False, width=80))
    task = progress.add_task("upload media/a.mp3", total=2_000_000, bytes=True)
    progress.advance(task, 1_000_000)
    text = str(_TransferColumn().render(progress.tasks[task]))
    assert text.startswith("2.0 MB ") and text.endswith("/s")
    build = progress.add_task("trailer: encode", total=1.0)
    assert str(_TransferColumn().render(progress.tasks[build])) == ""


def test_publish_warns_when_the_feed_cannot_be_read_anonymously(cli, make_s3_show):
    """Issue 19: a private bucket takes every upload, then answers 403 to every podcast app."""
    private = make_s3_show("private", acl=None)
    result = cli("-C", private.root, "publish")
    assert result.exit_code == 0, result.stderr
    assert f"warning: {private.base_url}/feed.xml cannot be read without credentials (HTTP 403)" in result.stderr
    assert "bucket policy" in result.stderr
    public = make_s3_show("public")
    result = cli("-C", public.root, "publish")
    assert result.exit_code == 0 and "cannot be read without credentials" not in result.stderr
