"""Where to publish: podcast.toml's [publish] table, overridden by env vars, overridden by options."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from podcast.errors import ShowInvalid
from podcast.show.manifest import URL_PATTERN
from podcast.show.model import Show


@dataclass(frozen=True)
class PublishSettings:
    target: str  # a folder (relative to the show) or s3://bucket/prefix
    base_url: str  # public URL that serves the target, no trailing slash
    endpoint_url: str | None = None
    region: str | None = None
    acl: str | None = None  # S3 canned ACL for public objects ("public-read"), None = bucket policy/CDN
    cloudfront_distribution_id: str | None = None  # invalidate the feed there after each publish

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"

    def url_for(self, key: str) -> str:
        return f"{self.base_url}/{key}"


def resolve_settings(show: Show, *, target: str | None = None, base_url: str | None = None) -> PublishSettings:
    """Options beat PODCAST_TARGET/PODCAST_BASE_URL, which beat podcast.toml."""
    publish = show.manifest.publish
    chosen_target = target or os.environ.get("PODCAST_TARGET") or publish.target
    chosen_base = base_url or os.environ.get("PODCAST_BASE_URL") or publish.base_url
    if not re.match(URL_PATTERN, chosen_base):
        raise ShowInvalid(
            f"base URL '{chosen_base}' is not a web address",
            path=show.root / "podcast.toml",
            fix="use the public address that serves the target, starting with https://",
        )
    return PublishSettings(
        target=chosen_target,
        base_url=chosen_base.rstrip("/"),
        endpoint_url=publish.endpoint_url,
        region=publish.region,
        acl=publish.acl,
        cloudfront_distribution_id=publish.cloudfront_distribution_id,
    )
