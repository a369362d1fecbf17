"""Shared fixtures: real ffmpeg on generated audio, throwaway copies of the demo show, the CLI.

No mocks: audio goes through the real ffmpeg, feeds through real parsers and clients.
A missing tool fails the test (it is never skipped): CI installs everything in .ci/run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podcast.audio.runner import ffmpeg_exe

REPO = Path(__file__).resolve().parent.parent
# moto S3 server; the old podcast host (import); the reach show and hubs; the website (tests/site/)
pytest_plugins = ["s3_fixtures", "import_helpers", "reach_fixtures", "site_fixtures"]
HERMETIC_PREFIXES = ("PODCAST_", "AWS_")
SESSION_SETTINGS = {"PODCAST_REDACTION_KEY_FILE"}  # set for the whole session by redaction_key below


@pytest.fixture(scope="session", autouse=True)
def hermetic_env() -> Iterator[None]:
    """No test sees the producer's ``PODCAST_*`` or ``AWS_*`` settings, nor their AWS profile files.

    Run from a producer's shell, ``PODCAST_TARGET=s3://live-bucket/show pytest`` would otherwise
    publish test episodes into the live show. Session-scoped and autouse, so it runs before every
    other fixture (session ones that publish included); subprocesses inherit the cleaned
    ``os.environ``. A test sets what it needs with ``monkeypatch.setenv``, undone after it.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith(HERMETIC_PREFIXES)]:
            patch.delenv(name)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)  # never ~/.aws/config or ~/.aws/credentials
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # nor an instance role
        yield


@pytest.fixture(autouse=True)
def _no_settings_leak() -> Iterator[None]:
    """Fail the test that leaves a ``PODCAST_*`` setting behind (set it with monkeypatch instead)."""
    yield
    leaked = sorted(name for name in os.environ if name.startswith("PODCAST_") and name not in SESSION_SETTINGS)
    assert not leaked, f"this test left {leaked} set: use monkeypatch.setenv"


def make_audio(
    path: Path,
    *,
    source: str = "sine=frequency=440:duration=3",
    filters: str = "volume=-20dB",
    rate: int = 44100,
    channels: int = 1,
    codec_args: tuple[str, ...] = (),
) -> Path:
    """Render a lavfi source with real ffmpeg (e.g. a tone at a chosen level) into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    argv = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
    if filters:
        argv += ["-af", filters]
    argv += ["-ar", str(rate), "-ac", str(channels), *codec_args, str(path)]
    subprocess.run(argv, check=True)
    return path


@pytest.fixture(scope="session")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s, 440 Hz tone well below target loudness (about -38 LUFS)."""
    return make_audio(tmp_path_factory.mktemp("audio") / "tone.wav")


@pytest.fixture
def demo_show(tmp_path: Path) -> Path:
    """A private copy of the repository's demo show (podcast.toml, artwork, episodes/) to change freely."""
    show = tmp_path / "show"
    show.mkdir()
    shutil.copy2(REPO / "podcast.toml", show / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", show / "artwork.jpg")
    shutil.copytree(REPO / "episodes", show / "episodes")
    return show


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run the real Typer app in-process: ``cli("-C", show, "build")`` -> click Result (stdout/stderr split)."""
    from typer_app import app

    runner = CliRunner()

    def invoke(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return invoke


@pytest.fixture(autouse=True, scope="session")
def redaction_key(hermetic_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The fingerprint key of the redaction list (see podcast.show.redactions.machine_key) in a temp folder,
    so tests never write into the real ~/.config."""
    path = tmp_path_factory.mktemp("config") / "redaction-key"
    patch = pytest.MonkeyPatch()
    patch.setenv("PODCAST_REDACTION_KEY_FILE", str(path))
    yield path
    patch.undo()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | datetime], datetime]:
    """A fake clock for in-process commands: ``clock("2026-12-01T09:00:01Z")`` is "now" until set again.

    The product has no clock override (a stray one would release embargoed episodes early), so the
    fake replaces ``podcast.show.model.utc_now``, which every command looks up when it runs. Only
    in-process runs (the ``cli`` fixture, CliRunner) see it; a subprocess has the real clock.
    """

    def set_now(when: str | datetime) -> datetime:
        moment = when if isinstance(when, datetime) else datetime.fromisoformat(when.replace("Z", "+00:00"))
        assert moment.tzinfo is not None, "a fake time needs its time zone, as release times do"
        monkeypatch.setattr("podcast.show.model.utc_now", lambda: moment.astimezone(UTC))
        return moment

    return set_now


@pytest.fixture(scope="session")
def partytime() -> Callable[[Path], dict]:
    """Parse a feed file with the Podcast Index's `podcast-partytime` (npm) and return its JSON view."""
    import json

    script = REPO / "tests" / "clients" / "partytime.mjs"
    assert (REPO / "node_modules" / "podcast-partytime").is_dir(), "run scripts/setup.sh (npm ci) first"

    def parse(feed: Path) -> dict:
        result = subprocess.run(["node", str(script), str(feed)], capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return parse


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite the golden files under tests/data/ from the current output instead of comparing.",
    )
