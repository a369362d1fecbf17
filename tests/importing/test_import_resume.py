"""An import killed at any moment (SIGKILL: no clean-up runs) and run again finishes the job.

Nothing half-made is visible in the show folder in between, and no episode is there twice after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO
from import_helpers import episode_manifests, hidden_leftovers
from old_host import OldHost, many_episodes_feed

from podcast.show.model import load_show

EPISODES = 8


def test_a_killed_import_finishes_on_the_next_run_without_duplicates(old_site: OldHost, tmp_path: Path, cli) -> None:
    old_site.feeds["long"] = many_episodes_feed(EPISODES)
    show = tmp_path / "show"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, str(REPO / "typer_app.py"), "import", old_site.feed_url("long"), str(show), "--jobs", "2"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if len(episode_manifests(show)) >= 2:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the import finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)

    before = episode_manifests(show)
    assert 2 <= len(before) < EPISODES
    for slug, data in before.items():  # whatever is visible is whole
        assert (show / "episodes" / slug / data["audio"]).read_bytes() == old_site.audio["quiet"]
    assert not (show / "podcast.toml").exists()  # written last, so never describing a half-made show

    result = cli("import", old_site.feed_url("long"), show)
    assert result.exit_code == 0, result.stderr
    assert f"{EPISODES - len(before)} imported, {len(before)} already there" in result.stdout
    after = episode_manifests(show)
    guids = sorted(data["guid"] for data in after.values())
    assert guids == sorted(f"long-show-episode-{n:04d}" for n in range(1, EPISODES + 1))
    assert hidden_leftovers(show) == []
    assert len(load_show(show).episodes) == EPISODES


def test_ctrl_c_stops_at_once_with_one_line_and_the_next_run_finishes(old_site: OldHost, tmp_path: Path, cli) -> None:
    old_site.feeds["long"] = many_episodes_feed(EPISODES)
    show = tmp_path / "show"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, str(REPO / "typer_app.py"), "import", old_site.feed_url("long"), str(show), "--jobs", "2"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and len(episode_manifests(show)) < 1:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)  # what a service manager or `kill` sends; the CLI treats it as Ctrl+C
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert stderr.startswith("error: interrupted") and len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert hidden_leftovers(show) == []
    result = cli("import", old_site.feed_url("long"), show)
    assert result.exit_code == 0, result.stderr
    assert len(episode_manifests(show)) == EPISODES
