"""README "Your own show in six steps" (issue 19 item 1) runs exactly as written.

The test reads the shell block from README.md itself, so an edit to the README that breaks the path
breaks this test. It runs the block with bash (``set -eu``, every step must succeed) in an empty
home folder, with `podcast` on PATH as the real command line, and the one thing a producer brings
along: a recording at ~/Recordings/episode-1.wav.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REPO, make_audio

from podcast.show.manifest import show_guid

SECTION = "## Your own show in six steps"


def readme_steps() -> str:
    """The first ```sh block of the six-step section, exactly as the README shows it."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert SECTION in readme, f"README.md has no '{SECTION}' section"
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the six-step section has no ```sh block"
    return match.group(1)


def test_the_six_steps_are_numbered_and_safeguarding_is_one_of_them() -> None:
    block = readme_steps()
    steps = re.findall(r"^# (\d)\. ", block, re.M)
    assert steps == ["1", "2", "3", "4", "5", "6"]
    second = block.split("# 2. ", 1)[1].split("# 3. ", 1)[0]
    assert "PODCAST_REDACTIONS" in second  # the redaction list is set up before the first episode
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.index(SECTION) > readme.index("## Quick start")
    assert readme.index(SECTION) < readme.index("## How it works")  # right after Quick start


def test_the_six_steps_run_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_audio(home / "Recordings" / "episode-1.wav", source="sine=frequency=330:duration=4")
    shim = tmp_path / "bin" / "podcast"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "typer_app.py"}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "HOME": str(home), "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-eu", "-c", readme_steps()], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout and "Traceback" not in result.stderr

    show = work / "my-show"
    data = tomllib.loads((show / "podcast.toml").read_text(encoding="utf-8"))
    assert data["show"]["guid"] == show_guid("https://media.example.net/my-show/feed.xml")
    feed = (show / "feed" / "feed.xml").read_text(encoding="utf-8")
    assert "<title>Our first episode</title>" in feed
    assert "https://media.example.net/my-show/media/episode-1-" in feed
    assert list((show / "feed" / "media").glob("episode-1-*.mp3"))
    assert (home / ".config" / "my-show" / "redactions.txt").is_file()  # outside the show folder
    assert not list(show.rglob("redactions.txt"))
