"""open_target: a target means what it says (a folder, or s3:// in any case; no other scheme), and an
S3 endpoint's user:password@ is refused where it comes in and redacted wherever botocore echoes it."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from podcast.errors import SettingsInvalid, StorageError
from podcast.publishing.connect import open_target
from podcast.publishing.local import LocalFolderTarget
from podcast.publishing.s3.client import S3Location, make_client
from podcast.publishing.s3.store import S3Target
from podcast.show.settings import PublishSettings

PASSWORD = "Sup3rSecretPw"


def _settings(target: str, endpoint_url: str | None = None) -> PublishSettings:
    return PublishSettings(target=target, base_url="https://media.example.org/x", endpoint_url=endpoint_url)


def _entries(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def test_s3_in_capitals_is_s3(tmp_path: Path, moto_url: str, s3: Any, bucket: str) -> None:
    target = open_target(f"S3://{bucket}/show", tmp_path, _settings("", moto_url))
    assert isinstance(target, S3Target) and target.describe() == f"s3://{bucket}/show"
    target.put_bytes("feed.xml", b"<rss/>", content_type="application/rss+xml", cache_control="no-cache")
    assert s3.get_object(Bucket=bucket, Key="show/feed.xml")["Body"].read() == b"<rss/>"
    assert _entries(tmp_path) == set()  # no folder named "S3:" in the show


@pytest.mark.parametrize(
    "target", ["file:///srv/x", "file:relative", "http://example.org/feed", "gs://bucket/p", "ftp://example.org"]
)
def test_other_schemes_are_refused_and_nothing_is_created(tmp_path: Path, target: str) -> None:
    with pytest.raises(SettingsInvalid) as refused:
        open_target(target, tmp_path)
    assert refused.value.exit_code == 1
    assert _entries(tmp_path) == set()


def test_local_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    show = tmp_path / "show"
    cases = {
        "feed": show / "feed",
        "../elsewhere": show / ".." / "elsewhere",
        str(tmp_path / "abs"): tmp_path / "abs",
        "~/podcast-feed": tmp_path / "home" / "podcast-feed",
        "./odd:name": show / "odd:name",
    }
    for written, expected in cases.items():
        target = open_target(written, show)
        assert isinstance(target, LocalFolderTarget) and target.root == expected, written


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_CLOUDFRONT"])
def test_endpoint_env_with_credentials_is_refused(
    tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, f"http://admin:{PASSWORD}@127.0.0.1:9")
    for attempt in (
        lambda: open_target("s3://bucket/p", tmp_path, _settings("s3://bucket/p")),
        lambda: make_client("cloudfront"),
    ):
        with pytest.raises(SettingsInvalid) as refused:
            attempt()
        message = str(refused.value)
        assert message.startswith(f"{variable} 'http://[redacted]@127.0.0.1:9' holds a user name or password")
        assert PASSWORD not in message and "AWS credential chain" in message


def test_endpoint_setting_with_credentials_is_refused(tmp_path: Path, aws_env: dict[str, str]) -> None:
    with pytest.raises(SettingsInvalid, match=r"^\[publish\] endpoint_url 'http://\[redacted\]@") as refused:
        open_target("s3://bucket/p", tmp_path, _settings("s3://bucket/p", f"http://admin:{PASSWORD}@127.0.0.1:9"))
    assert PASSWORD not in str(refused.value)


def test_an_endpoint_echoed_by_botocore_is_redacted(aws_env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    """Defence in depth: a target built around the refusal still never prints the password."""
    import boto3

    with socket.socket() as probe:  # a port nothing listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://admin:{PASSWORD}@127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=2),
    )
    target = S3Target(S3Location("bucket", "p/"), client, endpoint=endpoint)
    caplog.set_level(logging.DEBUG, logger="podcast")
    with pytest.raises(StorageError) as failed:
        target.put_bytes("feed.xml", b"<rss/>", content_type="application/rss+xml", cache_control="no-cache")
    assert f"http://[redacted]@127.0.0.1:{port}" in str(failed.value)
    assert (
        f'upload feed.xml failed: Could not connect to the endpoint URL: "http://[redacted]@127.0.0.1:{port}'
        in caplog.text
    )
    for text in (str(failed.value), caplog.text):
        assert PASSWORD not in text and "admin" not in text
