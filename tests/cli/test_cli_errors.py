"""The failure contract (DESIGN.md, issue #2 item 8), one test per case, through the real CLI.

Every case runs `podcast publish` into a fresh, empty target folder and checks the
whole contract: exactly one ``error:`` line on stderr naming the file at fault, the
documented exit code, no Python traceback anywhere, and nothing written to the target.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import REPO
from reliability import EPISODE_TOML as RELIABILITY_EPISODE_TOML

from podcast.audio.runner import ffmpeg_exe

# The reliability tests' episode, with this file's own GUID (tests below derive a second one from it).
EPISODE_TOML = RELIABILITY_EPISODE_TOML.format(guid="0b7b3f1e-1111-4aaa-8bbb-000000000001")


@pytest.fixture
def show(tmp_path: Path, tone: Path) -> Path:
    """A valid show with one short episode: each test breaks exactly one thing in it."""
    root = tmp_path / "show"
    root.mkdir()
    shutil.copy2(REPO / "podcast.toml", root / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    add_episode(root, "ep-one", EPISODE_TOML, tone)
    return root


def add_episode(root: Path, slug: str, toml: str, audio: Path | None) -> Path:
    folder = root / "episodes" / slug
    folder.mkdir(parents=True)
    (folder / "episode.toml").write_text(toml, encoding="utf-8")
    if audio is not None:
        shutil.copy2(audio, folder / "master.wav")
    return folder


def snapshot(folder: Path) -> dict[str, bytes] | None:
    """Every file under ``folder`` with its bytes (None when the folder does not exist)."""
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_contract(cli, show: Path, tmp_path: Path, *, exit_code: int, names: Path, args: tuple = ()) -> str:
    """Publish into a fresh target and check the whole failure contract; return the error line."""
    target = tmp_path / "target"
    target.mkdir(exist_ok=True)
    before = snapshot(target), snapshot(show / "feed")
    result = cli("-C", show, "publish", "--target", target, *args)
    lines = result.stderr.splitlines()
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    assert len(lines) == 1, f"expected exactly one line on stderr, got:\n{result.stderr}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert str(names) in line, f"the error does not name {names}: {line}"
    assert " — " in line, f"the error has no 'how to fix' part: {line}"
    assert "Traceback" not in result.stdout + result.stderr
    assert (snapshot(target), snapshot(show / "feed")) == before, "something was written to the target"
    return line


def test_missing_audio_file(cli, show, tmp_path):
    (show / "episodes/ep-one/master.wav").unlink()
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=show / "episodes/ep-one/episode.toml")
    assert "master.wav" in line and "not found" in line


@pytest.mark.parametrize(
    "content",
    [os.urandom(4096), b"This is the script for episode one, not a recording.\n" * 40],
    ids=["random-bytes", "text-file"],
)
def test_unreadable_audio(cli, show, tmp_path, content):
    audio = show / "episodes/ep-one/master.wav"
    audio.write_bytes(content)
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=audio)
    assert "audio" in line


def test_invalid_toml_in_podcast_toml(cli, show, tmp_path):
    manifest = show / "podcast.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('title = "Survivor Voices"', 'title = "Survivor Voices')
    )
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=manifest)
    assert "TOML" in line


def test_invalid_toml_in_episode_toml(cli, show, tmp_path):
    manifest = show / "episodes/ep-one/episode.toml"
    manifest.write_text(EPISODE_TOML.replace("number = 1", "number = = 1"), encoding="utf-8")
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=manifest)
    assert "TOML" in line and "line 2" in line


def test_missing_required_field(cli, show, tmp_path):
    manifest = show / "episodes/ep-one/episode.toml"
    manifest.write_text(EPISODE_TOML.replace('title = "Episode one"\n', ""), encoding="utf-8")
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=manifest)
    assert "'title'" in line and "missing" in line


def test_missing_required_show_field(cli, show, tmp_path):
    manifest = show / "podcast.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('language = "en-GB"\n', ""), encoding="utf-8")
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=manifest)
    assert "language" in line and "missing" in line


def test_wrong_type(cli, show, tmp_path):
    manifest = show / "episodes/ep-one/episode.toml"
    manifest.write_text(EPISODE_TOML.replace("number = 1", 'number = "3"'), encoding="utf-8")
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=manifest)
    assert "'number'" in line and "whole number" in line


def test_bad_slug(cli, show, tmp_path):
    bad = show / "episodes" / "Bad Slug"
    (show / "episodes/ep-one").rename(bad)
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=bad)
    assert "slug" in line


def test_duplicate_episode_number(cli, show, tmp_path, tone):
    second = add_episode(show, "ep-two", EPISODE_TOML.replace("000000000001", "000000000002"), tone)
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=second / "episode.toml")
    assert "number 1" in line and "ep-one" in line


def test_duplicate_guid(cli, show, tmp_path):
    copy = show / "episodes/ep-two"
    shutil.copytree(show / "episodes/ep-one", copy)  # the mistake the check exists for: copying a folder
    toml = copy / "episode.toml"
    toml.write_text(EPISODE_TOML.replace("number = 1", "number = 2"), encoding="utf-8")
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=toml)
    assert "guid" in line and "ep-one" in line


def test_show_artwork_missing(cli, show, tmp_path):
    (show / "artwork.jpg").unlink()
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=show / "podcast.toml")
    assert "artwork.jpg" in line


def test_episode_artwork_missing(cli, show, tmp_path):
    manifest = show / "episodes/ep-one/episode.toml"
    manifest.write_text(EPISODE_TOML + 'artwork = "cover.jpg"\n', encoding="utf-8")
    line = assert_contract(cli, show, tmp_path, exit_code=1, names=manifest)
    assert "cover.jpg" in line


def test_ffmpeg_not_found(cli, show, tmp_path, monkeypatch):
    monkeypatch.setenv("PODCAST_FFMPEG", "/nonexistent/ffmpeg")
    line = assert_contract(cli, show, tmp_path, exit_code=3, names="/nonexistent/ffmpeg")
    assert "PODCAST_FFMPEG" in line


def test_ffmpeg_broken(cli, show, tmp_path, monkeypatch):
    broken = tmp_path / "bin" / "ffmpeg"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'ffmpeg: cannot open shared object file' >&2\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PODCAST_FFMPEG", str(broken))
    line = assert_contract(cli, show, tmp_path, exit_code=3, names=broken)
    assert "install ffmpeg" in line


def test_ffmpeg_fails_on_the_work(cli, show, tmp_path, monkeypatch):
    """An ffmpeg that answers -version but crashes on real work is a tool failure, not bad audio."""
    real = ffmpeg_exe()
    crashing = tmp_path / "bin" / "ffmpeg"
    crashing.parent.mkdir()
    crashing.write_text(
        f'#!/bin/sh\nfor a in "$@"; do [ "$a" = "-version" ] && exec {real} "$@"; done\n'
        'echo "Segmentation fault" >&2\nexit 139\n'
    )
    crashing.chmod(crashing.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PODCAST_FFMPEG", str(crashing))
    line = assert_contract(cli, show, tmp_path, exit_code=3, names=show / "episodes/ep-one/master.wav")
    assert "ffmpeg failed" in line and "Segmentation fault" in line


def test_no_podcast_toml(cli, tmp_path):
    empty = tmp_path / "not-a-show"
    empty.mkdir()
    line = assert_contract(cli, empty, tmp_path, exit_code=1, names=empty)
    assert "podcast.toml" in line and "podcast init" in line


def test_a_good_show_publishes(cli, show, tmp_path):
    """The baseline every case above breaks: unbroken, the same show publishes into the target."""
    target = tmp_path / "target"
    result = cli("-C", show, "publish", "--target", target)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert (target / "feed.xml").is_file()
    assert len(list((target / "media").glob("ep-one-*.mp3"))) == 1


def test_bad_input_leaves_a_published_target_untouched(cli, show, tmp_path):
    """Nothing half-published: a broken new episode stops the publish before anything is uploaded."""
    target = tmp_path / "target"
    assert cli("-C", show, "publish", "--target", target).exit_code == 0
    published = snapshot(target)
    second = add_episode(
        show, "ep-two", EPISODE_TOML.replace("000000000001", "000000000002").replace("number = 1", "number = 2"), None
    )
    (second / "master.wav").write_bytes(os.urandom(4096))
    result = cli("-C", show, "publish", "--target", target)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {second / 'master.wav'}: ") and len(result.stderr.splitlines()) == 1
    assert snapshot(target) == published


def test_target_that_cannot_be_written_is_a_storage_error(cli, show, tmp_path):
    target = tmp_path / "target"
    target.write_text("a file where the publishing folder should be\n")
    result = cli("-C", show, "publish", "--target", target)
    assert result.exit_code == 4, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {target}: ") and " — " in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert target.read_text() == "a file where the publishing folder should be\n"
