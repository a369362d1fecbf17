"""Edits to the producer's files (podcast.show.edits): comments kept, broken files named with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from podcast.errors import EpisodeInvalid, ShowInvalid
from podcast.show.edits import set_episode_field, set_show_guid

SHOW = """# my notes about the show
[show]
title = "Demo"   # keep this comment

[audio]
loudness_lufs = -16.0
"""


def test_the_guid_is_written_once_with_every_comment_kept(tmp_path: Path) -> None:
    path = tmp_path / "podcast.toml"
    path.write_text(SHOW)
    assert set_show_guid(path, "d0a278d3-5aea-54c2-818d-db9b9d81fa3e", feed_url="https://example.org/feed.xml")
    text = path.read_text()
    assert "# my notes about the show" in text and "# keep this comment" in text
    assert 'guid = "d0a278d3-5aea-54c2-818d-db9b9d81fa3e"' in text.split("[audio]")[0]
    assert not set_show_guid(path, "another", feed_url="https://example.org/other.xml")  # set once in a show's life
    assert "another" not in path.read_text()


def test_an_episode_field_is_set_before_the_chapters(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text('title = "One"  # why\n\n[[chapters]]\nstart = "00:00"\ntitle = "Intro"\n')
    assert set_episode_field(path, "transcript", "transcript.json", doing="record the transcript", then="run again")
    text = path.read_text()
    assert text.index('transcript = "transcript.json"') < text.index("[[chapters]]") and "# why" in text
    assert not set_episode_field(path, "transcript", "transcript.json", doing="record it", then="run again")


@pytest.mark.parametrize(
    ("name", "edit", "error", "wording"),
    [
        ("podcast.toml", lambda p: set_show_guid(p, "x", feed_url="u"), ShowInvalid, "cannot write the show's guid"),
        (
            "episode.toml",
            lambda p: set_episode_field(p, "k", "v", doing="record the transcript", then="transcribe again"),
            EpisodeInvalid,
            "cannot record the transcript",
        ),
    ],
)
def test_a_broken_file_is_named_with_the_fix_and_left_alone(tmp_path: Path, name, edit, error, wording) -> None:
    path = tmp_path / name
    path.write_text('[show\ntitle = "unclosed\n')
    with pytest.raises(error) as raised:
        edit(path)
    assert wording in str(raised.value) and raised.value.path == str(path)
    assert raised.value.fix and "valid TOML" in raised.value.fix
    assert path.read_text() == '[show\ntitle = "unclosed\n'
