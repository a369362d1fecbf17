"""A local target must never expose the show folder: not the folder itself, a parent of it, or its private folders."""

from __future__ import annotations

import pytest

from podcast.errors import ShowInvalid
from podcast.publishing.connect import open_target


@pytest.mark.parametrize("target", [".", "..", "episodes", "episodes/trailer/public", "build", "./build/site"])
def test_a_target_that_would_expose_the_show_is_refused(demo_show, target):
    with pytest.raises(ShowInvalid, match="so episode.toml files, masters and builds would be public"):
        open_target(target, demo_show)


@pytest.mark.parametrize("target", ["feed", "public/site"])
def test_a_folder_of_its_own_is_fine(demo_show, target):
    assert open_target(target, demo_show).root == demo_show / target


def test_an_absolute_target_outside_the_show_is_fine(demo_show, tmp_path):
    assert open_target(str(tmp_path / "elsewhere"), demo_show).root == tmp_path / "elsewhere"


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["publish"]])
def test_serve_and_publish_refuse_the_show_folder_as_target(demo_show, cli, command):
    result = cli("-C", demo_show, *command, "--target", ".")
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("error: the publishing target '.' is the show folder")
        and "Traceback" not in result.stderr
    )
    assert not (demo_show / "feed.xml").exists()
