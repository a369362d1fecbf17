"""The website's fixtures (tests/site/): one show with a published site per session, served by `podcast serve`, and one browser.

The show is the built demo (a trailer) plus ``episode-1`` (a content warning, a WebVTT transcript,
chapters, 10 s of tone) and ``later`` (embargoed until 2030: it must have no page and no link).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from safeguarding_helpers import add_episode
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent

CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/setup.sh): Playwright's own download cannot reach CI
VTT = """WEBVTT

00:00:00.000 --> 00:00:03.000
<v Marigold Featherstone>Welcome to the garden.

00:00:03.000 --> 00:00:06.000
<v Marigold Featherstone>The roses came back this year.

00:00:06.000 --> 00:00:09.500
<v Marigold Featherstone>Thank you for listening.
"""


def make_site_show(root: Path, built_demo: Path) -> Path:
    """A copy of the built demo with a warned, transcribed, chaptered episode and an embargoed one."""
    from conftest import make_audio

    shutil.copytree(built_demo, root)
    audio = make_audio(root.parent / "garden.wav", source="sine=frequency=330:duration=10")
    folder = add_episode(
        root,
        "episode-1",
        audio,
        number=1,
        title="Marigold's garden",
        content_warning="Talks about a garden accident.",
        transcript="transcript.vtt",
    )
    (folder / "transcript.vtt").write_text(VTT, encoding="utf-8")
    with (folder / "episode.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[[chapters]]\nstart = "00:00:00"\ntitle = "Arrival"\n')
        toml.write('\n[[chapters]]\nstart = "00:00:05"\ntitle = "The roses"\n')
    add_episode(root, "later", audio, number=2, title="Not yet", published="2030-01-01T09:00:00Z")
    return root


def publish(root: Path, *args: str) -> Any:
    from typer_app import app

    result = CliRunner().invoke(app, ["-C", str(root), "publish", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture(scope="session")
def site_show(built_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site show, published once to its local folder (``feed/``). Read it; never change it."""
    root = make_site_show(tmp_path_factory.mktemp("site") / "show", built_demo)
    publish(root)
    return root


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def served(site_show: Path) -> Iterator[str]:
    """`podcast serve` (the real command, in its own process) on 127.0.0.1; yields its address."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "typer_app", "-C", str(site_show), "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{address}/index.html", timeout=2) as response:
                    assert response.status == 200
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                assert time.monotonic() < deadline, "podcast serve did not start"
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (a fresh context per test keeps them independent)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "chromium is missing: run scripts/setup.sh (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"]
        )
        yield chromium
        chromium.close()
