"""`podcast rename OLD NEW` and "did you mean" for slugs and file names (issue 19 item 3)."""

from __future__ import annotations

import tomllib
from pathlib import Path


def test_rename_keeps_the_guid_and_refuses_a_published_episode(demo_show: Path, cli, tone: Path) -> None:
    assert (
        cli("-C", demo_show, "new", "episdoe-3", "--audio", tone, "--published", "2026-01-01T09:00:00Z").exit_code == 0
    )
    guid = tomllib.loads((demo_show / "episodes" / "episdoe-3" / "episode.toml").read_text())["guid"]
    result = cli("-C", demo_show, "rename", "episdoe-3", "episode-3")
    assert result.exit_code == 0, result.stderr
    assert f"guid {guid} kept" in result.stdout
    assert not (demo_show / "episodes" / "episdoe-3").exists()
    assert tomllib.loads((demo_show / "episodes" / "episode-3" / "episode.toml").read_text())["guid"] == guid

    bad = cli("-C", demo_show, "rename", "episode-3", "Episode 3")
    assert bad.exit_code == 1 and "is not a valid episode slug" in bad.stderr
    taken = cli("-C", demo_show, "rename", "episode-3", "trailer")
    assert taken.exit_code == 1 and "already exists" in taken.stderr

    assert cli("-C", demo_show, "publish", "trailer").exit_code == 0
    live = cli("-C", demo_show, "rename", "trailer", "welcome")
    assert live.exit_code == 1 and "episode 0 'Welcome to Survivor Voices' (trailer) is published" in live.stderr
    assert "addresses made from 'trailer'" in live.stderr  # why
    assert "edit the title in episode.toml" in live.stderr and "podcast takedown trailer" in live.stderr  # what to do
    assert (demo_show / "episodes" / "trailer").is_dir()


def test_a_slug_typo_gets_did_you_mean_never_create_it(demo_show: Path, cli) -> None:
    result = cli("-C", demo_show, "takedown", "trailr", "--reason", "test")
    assert result.exit_code == 1
    assert "no episode 'trailr'" in result.stderr and "did you mean 'trailer'?" in result.stderr
    assert "podcast new" not in result.stderr  # a takedown typo must not suggest creating an episode
    far = cli("-C", demo_show, "bleeps", "zzz")
    assert far.exit_code == 1 and "the episodes are trailer" in far.stderr


def test_a_file_name_typo_gets_did_you_mean(demo_show: Path, cli) -> None:
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace('audio = "master.flac"', 'audio = "mastr.flac"'))
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1 and "did you mean 'master.flac'?" in result.stderr


def test_an_audio_file_typo_on_the_command_line_gets_did_you_mean(demo_show: Path, cli, tone: Path, tmp_path) -> None:
    recording = tmp_path / "interview-final.wav"
    recording.write_bytes(tone.read_bytes())
    result = cli("-C", demo_show, "new", "second", "--audio", tmp_path / "interveiw-final.wav")
    assert result.exit_code == 2 and f"did you mean '{recording}'?" in result.stderr, result.stderr
    assert not (demo_show / "episodes" / "second").exists()


def test_chapters_are_counted_from_1_in_messages(demo_show: Path, cli) -> None:
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text() + '\n[[chapters]]\nstart = "soon"\ntitle = "Second"\n')
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1 and "field 'chapters[2].start'" in result.stderr  # the second [[chapters]]
    toml.write_text(toml.read_text().replace('start = "soon"', 'start = "00:00:05"\nlink = "x"'))
    warned = cli("-C", demo_show, "status")
    assert "unknown key 'chapters[2].link'" in warned.stderr and warned.stderr.count("chapters[2].link") == 1
