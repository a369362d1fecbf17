"""Fixtures and helpers for `podcast import` tests: tiny real audio once per session, an old host per test.

A pytest plugin (tests/conftest.py pytest_plugins), so `old_site` and `old_audio` are fixtures everywhere."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_audio
from old_host import OldHost, audio_fixtures, old_host


@pytest.fixture(scope="session")
def old_audio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return audio_fixtures(make_audio, tmp_path_factory.mktemp("old-host-audio"))


@pytest.fixture
def old_site(old_audio: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[OldHost]:
    """The old host on 127.0.0.1; retries wait 10 ms instead of half a second (the policy is the same)."""
    monkeypatch.setattr("podcast.importing.fetch.BACKOFF_S", 0.01)
    with old_host(old_audio) as state:
        yield state


def episode_manifests(show: Path) -> dict[str, dict]:
    """slug -> episode.toml as data, for every visible episode folder."""
    if not (show / "episodes").is_dir():
        return {}
    return {
        path.parent.name: tomllib.loads(path.read_text(encoding="utf-8"))
        for path in sorted((show / "episodes").glob("*/episode.toml"))
        if not path.parent.name.startswith(".")
    }


def hidden_leftovers(show: Path) -> list[str]:
    return sorted(p.name for p in (show / "episodes").iterdir() if p.name.startswith("."))
