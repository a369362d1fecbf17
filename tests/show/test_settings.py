"""Publish settings and the addresses in manifests: no address may carry a user name or password
(it would be published or printed), and a target is a folder or s3://, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from podcast.errors import EpisodeInvalid, PodcastError, SettingsInvalid, ShowInvalid
from podcast.show.model import load_show
from podcast.show.reading import load_episode_manifest, load_show_manifest
from podcast.show.settings import resolve_settings

PASSWORD = "Sup3rSecretPw"


def _set(path: Path, dotted: str, value: object) -> None:
    data = tomlkit.parse(path.read_text(encoding="utf-8"))
    *tables, key = dotted.split(".")
    table = data
    for name in tables:
        table = table.setdefault(name, tomlkit.table())
    table[key] = value
    path.write_text(tomlkit.dumps(data), encoding="utf-8")


def _refused(load: object, path: Path, error: type[PodcastError]) -> str:
    with pytest.raises(error) as refused:
        load(path)  # type: ignore[operator]
    message = str(refused.value)
    assert PASSWORD not in message
    assert "AWS credential chain" in message and "never in podcast.toml" in message
    return message


@pytest.mark.parametrize(
    ("dotted", "value"),
    [
        ("publish.base_url", f"https://user:{PASSWORD}@media.example.org/survivor-voices"),
        ("publish.base_url", "https://user@media.example.org/survivor-voices"),  # a user name alone, too
        ("publish.endpoint_url", f"http://admin:{PASSWORD}@127.0.0.1:9000"),
        ("publish.new_feed_url", f"https://u:{PASSWORD}@new.example.org/feed.xml"),
        ("show.link", f"https://u:{PASSWORD}@example.org/survivor-voices"),
        ("show.funding.url", f"https://u:{PASSWORD}@example.org/donate"),
        ("show.license_url", f"https://u:{PASSWORD}@example.org/licence"),
        ("publish.target", f"s3://AKIAFAKE:{PASSWORD}@bucket/prefix"),
    ],
)
def test_show_addresses_with_credentials_are_refused(demo_show: Path, dotted: str, value: str) -> None:
    path = demo_show / "podcast.toml"
    _set(path, dotted, value)
    message = _refused(load_show_manifest, path, ShowInvalid)
    assert f"'{dotted}' holds a user name or password" in message and str(path) in message


def test_episode_addresses_with_credentials_are_refused(demo_show: Path) -> None:
    path = next((demo_show / "episodes").glob("*/episode.toml"))
    data = tomlkit.parse(path.read_text(encoding="utf-8"))
    data["chapters"] = [
        {"start": "00:00:00", "title": "Intro"},
        {"start": "00:00:01", "title": "More", "url": f"https://ana:{PASSWORD}@example.org/more"},
    ]
    path.write_text(tomlkit.dumps(data), encoding="utf-8")
    message = _refused(load_episode_manifest, path, EpisodeInvalid)
    assert "'chapters[2].url' holds a user name or password" in message


def test_an_at_sign_in_a_path_is_not_a_credential(demo_show: Path) -> None:
    path = demo_show / "podcast.toml"
    _set(path, "show.link", "https://social.example.org/@survivorvoices")
    assert load_show_manifest(path).show.link.endswith("/@survivorvoices")


# --- resolve_settings: options and environment variables -------------------------------------------


@pytest.mark.parametrize("userinfo", [f"user:{PASSWORD}@", "user@", f":{PASSWORD}@"])
def test_base_url_option_with_credentials_is_refused(demo_show: Path, userinfo: str) -> None:
    show = load_show(demo_show)
    with pytest.raises(SettingsInvalid) as refused:
        resolve_settings(show, base_url=f"https://{userinfo}media.example.org/x")
    message = str(refused.value)
    assert message.startswith("--base-url 'https://[redacted]@media.example.org/x' holds a user name or password")
    assert PASSWORD not in message and "user@" not in message and "AWS credential chain" in message
    assert refused.value.exit_code == 1


def test_base_url_env_with_credentials_is_refused(demo_show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAST_BASE_URL", f"https://user:{PASSWORD}@media.example.org/x")
    with pytest.raises(SettingsInvalid, match=r"^PODCAST_BASE_URL 'https://\[redacted\]@media") as refused:
        resolve_settings(load_show(demo_show))
    assert PASSWORD not in str(refused.value)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("s3://shows/survivor-voices", "s3://shows/survivor-voices"),
        ("S3://shows/survivor-voices", "s3://shows/survivor-voices"),
        ("s3://shows", "s3://shows"),
        ("feed", "feed"),
        ("/srv/podcast", "/srv/podcast"),
        ("~/podcast-feed", "~/podcast-feed"),
        ("../elsewhere/feed", "../elsewhere/feed"),
        ("./odd:name", "./odd:name"),  # a folder with a colon in its name, written as a path
    ],
)
def test_targets_accepted(demo_show: Path, target: str, expected: str) -> None:
    assert resolve_settings(load_show(demo_show), target=target).target == expected


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (
            "file:///srv/x",
            "--target 'file:///srv/x' is a file: address, not a folder or s3:// bucket — write the folder as a path: /srv/x",
        ),
        ("FILE:///srv/x", "is a file: address"),
        ("file:feed", "is a file: address"),
        ("http://example.org/feed", "uses 'http:', which is not a publishing target"),
        ("https://example.org/feed", "uses 'https:'"),
        ("gs://bucket/prefix", "uses 'gs:'"),
        ("ftp://example.org/pub", "uses 'ftp:'"),
        ("s3:bucket/prefix", "is not an s3:// address — write it as s3://bucket/optional/prefix"),
        ("s3:/bucket/prefix", "is not an s3:// address"),
        ("feed:old", "start it with ./"),
        (f"s3://AKIAFAKE:{PASSWORD}@bucket/p", "'s3://[redacted]@bucket/p' holds a user name or password"),
        (f"https://u:{PASSWORD}@example.org/feed", "'https://[redacted]@example.org/feed' holds a user name"),
    ],
)
def test_targets_refused(demo_show: Path, target: str, says: str) -> None:
    with pytest.raises(SettingsInvalid) as refused:
        resolve_settings(load_show(demo_show), target=target)
    assert says in str(refused.value) and PASSWORD not in str(refused.value)
    assert refused.value.exit_code == 1


def test_target_sources_are_named(demo_show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODCAST_TARGET", "gs://bucket")
    with pytest.raises(SettingsInvalid, match=r"^PODCAST_TARGET 'gs://bucket'"):
        resolve_settings(load_show(demo_show))
    monkeypatch.delenv("PODCAST_TARGET")
    _set(demo_show / "podcast.toml", "publish.target", "file:///srv/x")
    with pytest.raises(SettingsInvalid) as refused:
        resolve_settings(load_show(demo_show))
    assert str(refused.value).startswith(f"{demo_show / 'podcast.toml'}: [publish] target 'file:///srv/x'")
