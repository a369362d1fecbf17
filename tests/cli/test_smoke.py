"""End-to-end smoke test: the demo show builds and publishes to a local folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from podcast.audio.loudness import measure_loudness

REPO = Path(__file__).resolve().parents[2]


def test_build_and_publish_demo(demo_show, cli):
    result = cli("-C", demo_show, "--json", "build")
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)["episodes"][0]
    assert built["audio_rebuilt"] is True
    stats = measure_loudness(demo_show / built["mp3_path"])
    assert abs(stats["integrated_lufs"] - -16.0) <= 0.5
    assert stats["true_peak_dbtp"] <= -1.0

    again = json.loads(cli("-C", demo_show, "--json", "build").stdout)["episodes"][0]
    assert again["audio_rebuilt"] is False and again["tags_rewritten"] is False

    published = cli("-C", demo_show, "publish", "--json")
    assert published.exit_code == 0, published.stderr
    report = json.loads(published.stdout)
    assert report["feed_changed"] is True
    assert {u["key"].split("/")[0] for u in report["uploaded"]} == {"media", "artwork", "chapters"}
    # The repository's feed/feed.xml is what a fresh clone publishes (so its diffs can be reviewed):
    assert (demo_show / "feed" / "feed.xml").read_bytes() == (REPO / "feed" / "feed.xml").read_bytes(), (
        "feed/feed.xml is stale: run `rm -rf build && .venv/bin/podcast -q publish` and commit it"
    )

    republished = json.loads(cli("-C", demo_show, "publish", "--json").stdout)
    assert republished["uploaded"] == [] and republished["feed_changed"] is False


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "typer_app", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("init", "new", "build", "publish", "feed", "validate", "loudness", "status", "serve"):
        assert command in result.stdout


def test_partytime_reads_demo_feed(demo_show, cli, partytime):
    assert cli("-C", demo_show, "publish").exit_code == 0
    feed = partytime(demo_show / "feed" / "feed.xml")
    assert feed["title"] == "Survivor Voices"
    assert feed["guid"] == "d0a278d3-5aea-54c2-818d-db9b9d81fa3e"
    assert feed["locked"] is True
    item = feed["items"][0]
    assert item["guid"] == "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b"
    assert (
        item["enclosure"]["length"]
        == (demo_show / "feed" / item["enclosure"]["url"].split("/survivor-voices/")[1]).stat().st_size
    )
