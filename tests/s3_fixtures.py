"""S3 test fixtures: a real S3 server (moto's server mode) on 127.0.0.1, fresh buckets, an S3 show.

Loaded from conftest.py through ``pytest_plugins``. The server is started once per session;
each test gets its own bucket and dummy credentials (never real ones: the AWS config
files are pointed into tmp_path so a developer's profile cannot leak in).
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DUMMY_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
DUMMY_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_buckets = itertools.count()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """Base URL of a moto S3 (and CloudFront) server bound to loopback only."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Dummy credentials and a clean AWS environment (no profile, no endpoint, no metadata service)."""
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_CLOUDFRONT",
        "AWS_SESSION_TOKEN",
        "AWS_RETRY_MODE",
        "AWS_MAX_ATTEMPTS",
        "PODCAST_TARGET",
        "PODCAST_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ACCESS_KEY_ID": DUMMY_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config-none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials-none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3(moto_url: str, aws_env: dict[str, str]) -> Any:
    """A plain boto3 client on the moto server, for arranging and inspecting buckets."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=moto_url, region_name="us-east-1", config=Config(s3={"addressing_style": "path"})
    )


@pytest.fixture
def bucket(s3: Any, request: pytest.FixtureRequest) -> str:
    """A fresh, empty bucket for this test."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    name = f"t{next(_buckets)}-{slug}"
    s3.create_bucket(Bucket=name)
    return name


def anonymous(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """An unsigned HTTP request, the way a podcast app fetches: (status, headers, body)."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@dataclass(frozen=True)
class S3Show:
    """A show folder whose [publish] table points at a bucket on the moto server."""

    root: Path
    bucket: str
    prefix: str
    endpoint: str

    @property
    def base_url(self) -> str:
        return f"{self.endpoint}/{self.bucket}/{self.prefix}"

    @property
    def target(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def write_publish_table(show: Path, table: str) -> None:
    """Replace podcast.toml's [publish] table (it is the last table in the demo show)."""
    toml = show / "podcast.toml"
    text = toml.read_text()
    toml.write_text(text[: text.index("[publish]")] + table)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo show, built once per session (builds are cached by content, so copies reuse them)."""
    from conftest import REPO

    show = tmp_path_factory.mktemp("built") / "show"
    show.mkdir()
    shutil.copy2(REPO / "podcast.toml", show / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", show / "artwork.jpg")
    shutil.copytree(REPO / "episodes", show / "episodes")
    from typer.testing import CliRunner

    from typer_app import app

    result = CliRunner().invoke(app, ["-C", str(show), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return show


@pytest.fixture
def make_s3_show(built_demo: Path, tmp_path: Path, moto_url: str, bucket: str) -> Callable[..., S3Show]:
    """``make_s3_show(name="show", acl="public-read", extra="", source=None)``: a built show publishing to ``bucket``.

    ``source`` is a built show folder to copy (default: the demo show)."""

    def make(
        name: str = "show",
        *,
        acl: str | None = "public-read",
        extra: str = "",
        endpoint_in_toml: bool = True,
        prefix: str = "survivor-voices",
        source: Path | None = None,
    ) -> S3Show:
        root = tmp_path / name
        shutil.copytree(source or built_demo, root)
        lines = [
            "[publish]",
            f'target = "s3://{bucket}/{prefix}"',
            f'base_url = "{moto_url}/{bucket}/{prefix}"',
            'region = "us-east-1"',
        ]
        if endpoint_in_toml:
            lines.append(f'endpoint_url = "{moto_url}"')
        if acl:
            lines.append(f'acl = "{acl}"')
        write_publish_table(root, "\n".join(lines) + "\n" + extra)
        return S3Show(root=root, bucket=bucket, prefix=prefix, endpoint=moto_url)

    return make


def make_episode(show: Path, slug: str, *, number: int, seconds: int = 2, frequency: int = 330) -> None:
    """Add a small episode (a tone) with its own GUID to a show folder."""
    from conftest import make_audio

    folder = show / "episodes" / slug
    make_audio(folder / "master.wav", source=f"sine=frequency={frequency}:duration={seconds}")
    (folder / "episode.toml").write_text(
        f'title = "Episode {number}"\nnumber = {number}\npublished = 2026-11-01T09:00:00Z\naudio = "master.wav"\n'
        f'description = "Test episode {number}."\nguid = "00000000-0000-4000-8000-{number:012d}"\n'
    )


def gpo_available() -> str:
    path = shutil.which("gpo")
    assert path, "gPodder's `gpo` is missing: run scripts/setup.sh (apt-get install gpodder)"
    return path


def run_gpo(home: Path, downloads: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run gPodder's CLI isolated in ``home`` (database, settings) and ``downloads``."""
    env = {
        "GPODDER_HOME": str(home),
        "GPODDER_DOWNLOAD_DIR": str(downloads),
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    return subprocess.run([gpo_available(), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def distribution(moto_url: str, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """A CloudFront distribution on the moto server; boto3 finds it through AWS_ENDPOINT_URL_CLOUDFRONT."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)
    import boto3

    client = boto3.client("cloudfront", region_name="us-east-1")
    created = client.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {"Id": "s3", "DomainName": "media.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )
    return client, created["Distribution"]["Id"]
