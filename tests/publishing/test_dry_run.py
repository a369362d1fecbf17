"""`podcast publish --dry-run` is the real check: it builds what it must, gates it, and plans what publish does.

Issue 13 item 9: the dry run skipped episodes not built yet, so it missed a listed name in an
episode folder's name that the real publish then refused, and its plan differed from the publish.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safeguarding_helpers import add_episode, copy_built_demo, edit_episode, write_redactions

PLAN_FIELDS = ("uploaded", "uploaded_bytes", "deleted", "episodes", "unchanged", "feed_changed", "embargoed")


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    return copy_built_demo(built_demo, tmp_path)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def plan(report: dict) -> dict:
    return {name: report[name] for name in PLAN_FIELDS}


def test_dry_run_refuses_a_listed_name_in_an_unbuilt_episode_folder_like_the_publish(
    show, tmp_path, monkeypatch, cli, tone
):
    write_redactions(tmp_path, monkeypatch)
    add_episode(show, "ana-story", tone, number=1)  # never built: the dry run must build it to see its object name
    dry = cli("-C", show, "publish", "--dry-run")
    assert dry.exit_code == 1, dry.stdout
    dry_error = dry.stderr[dry.stderr.index("error: ") :]
    assert "publishing refused" in dry_error and "episode 1 'Episode 1' ([name withheld]-story), its audio" in dry_error
    assert not (show / "feed").exists() or files(show / "feed") == {}
    real = cli("-C", show, "publish")
    assert real.exit_code == 1
    assert real.stderr[real.stderr.index("error: ") :] == dry_error  # the same refusal, word for word


def test_dry_run_plan_is_what_the_publish_then_does(show, cli, tone):
    add_episode(show, "episode-1", tone, number=1)  # not built yet
    dry = cli("-C", show, "--json", "publish", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert not (show / "feed").exists() or files(show / "feed") == {}
    real = cli("-C", show, "--json", "publish")
    assert real.exit_code == 0, real.stderr
    planned, done = json.loads(dry.stdout), json.loads(real.stdout)
    assert planned["dry_run"] and not done["dry_run"]
    assert len(planned["uploaded"]) >= 4 and "episode-1" in planned["episodes"]
    assert plan(planned) == plan(done)

    # A change: new notes re-tag the trailer (a new media object, the old one deleted).
    edit_episode(show, "trailer", description="New notes for the trailer.")
    dry = json.loads(cli("-C", show, "--json", "publish", "--dry-run").stdout)
    online = files(show / "feed")
    assert dry["deleted"] and dry["uploaded"]
    assert files(show / "feed") == online  # still nothing written
    done = json.loads(cli("-C", show, "--json", "publish").stdout)
    assert plan(dry) == plan(done)


def test_dry_run_that_cannot_check_everything_says_so_and_fails(show, tmp_path, monkeypatch, cli, tone):
    add_episode(show, "episode-1", tone, number=1)
    write_redactions(tmp_path, monkeypatch, "Marigold Featherstone\n")
    assert cli("-C", show, "publish").exit_code == 0
    write_redactions(tmp_path, monkeypatch, "Marigold Featherstone\nLowbridge\n")  # a name added
    partial = cli("-C", show, "publish", "--dry-run", "episode-1")
    assert partial.exit_code == 1
    assert "the dry run could not check everything: trailer" in partial.stderr
    assert partial.stderr.count("error: ") == 1
    assert cli("-C", show, "publish", "--dry-run").exit_code == 0  # every episode rebuilt and checked
