"""Where to publish: podcast.toml's [publish] table, overridden by env vars, overridden by options."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from podcast.errors import SettingsInvalid, ShowInvalid
from podcast.show.manifest import URL_PATTERN
from podcast.show.model import Show
from podcast.urls import URL_CREDENTIALS_FIX, check_target, has_credentials, redact_urls


@dataclass(frozen=True)
class PublishSettings:
    target: str  # a folder (relative to the show) or s3://bucket/prefix
    base_url: str  # public URL that serves the target, no trailing slash
    endpoint_url: str | None = None
    region: str | None = None
    acl: str | None = None  # S3 canned ACL for public objects ("public-read"), None = bucket policy/CDN
    cloudfront_distribution_id: str | None = None  # invalidate the feed there after each publish
    notify: tuple[tuple[str, str], ...] = ()  # ("websub" | "pubnotify", url): told when the feed changed
    notify_timeout_s: float = 10.0

    @property
    def private(self) -> bool:
        """A private target (``acl = "private"``) has nothing public: no app is ever told about it."""
        return self.acl == "private"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"

    def url_for(self, key: str) -> str:
        return f"{self.base_url}/{key}"


def _chosen(option: str | None, option_name: str, env: str, toml_value: str, toml_name: str) -> tuple[str, str]:
    """The value in effect and where it came from, for messages that say what to change."""
    if option:
        return option, option_name
    if os.environ.get(env):
        return os.environ[env], env
    return toml_value, toml_name


def resolve_settings(show: Show, *, target: str | None = None, base_url: str | None = None) -> PublishSettings:
    """Options beat PODCAST_TARGET/PODCAST_BASE_URL, which beat podcast.toml.

    Refused here, before anything is built or written: a target that is neither a folder nor
    ``s3://`` (``file:///srv/x`` is not a folder named ``file:``), and a base URL that is not a
    web address or holds a user name or password (it is written into the public feed and tags).
    """
    publish = show.manifest.publish
    toml = show.root / "podcast.toml"
    chosen_target, target_source = _chosen(target, "--target", "PODCAST_TARGET", publish.target, "[publish] target")
    chosen_base, base_source = _chosen(base_url, "--base-url", "PODCAST_BASE_URL", publish.base_url, "base_url")
    in_toml = base_source == "base_url"
    if has_credentials(chosen_base):
        raise SettingsInvalid(
            f"{base_source if not in_toml else 'base URL'} '{redact_urls(chosen_base)}' holds a user name or password",
            path=toml if in_toml else None,
            fix=URL_CREDENTIALS_FIX,
        )
    if not re.match(URL_PATTERN, chosen_base):
        raise ShowInvalid(
            f"base URL '{chosen_base}' is not a web address",
            path=toml,
            fix="use the public address that serves the target, starting with https://",
        )
    checked_target = check_target(
        chosen_target, source=target_source, path=toml if target_source == "[publish] target" else None
    )
    return PublishSettings(
        target=checked_target,
        base_url=chosen_base.rstrip("/"),
        endpoint_url=publish.endpoint_url,
        region=publish.region,
        acl=publish.acl,
        cloudfront_distribution_id=publish.cloudfront_distribution_id,
        notify=tuple(publish.notify_endpoints()),
        notify_timeout_s=publish.notify_timeout_s,
    )
