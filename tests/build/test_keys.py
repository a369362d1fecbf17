"""Every cache key that depends on the redaction list follows it, and build/ never holds the list."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from safeguarding_helpers import copy_built_demo, edit_episode, write_redactions

from podcast.build.stages import build_episode, is_up_to_date
from podcast.show.model import load_show
from podcast.show.redactions import parse_redactions
from podcast.show.settings import resolve_settings


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    root = copy_built_demo(built_demo, tmp_path)
    (root / "episodes" / "trailer" / "transcript.txt").write_text("Ana said hello to everyone.\n", encoding="utf-8")
    edit_episode(root, "trailer", transcript="transcript.txt")
    # The demo trailer is music: the name cannot be placed on it, so a producer signs the passage off.
    toml = root / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text() + '\n[[safeguarding.signoff]]\nat = "00:00:00"\nline = 1\nby = "test"\n')
    return root


def _build(root: Path):
    show = load_show(root)
    settings = resolve_settings(show)
    return show, settings, build_episode(show, show.episode("trailer"), settings)


def test_a_same_line_replacement_change_invalidates_the_transcripts_audio_and_tags(show, tmp_path, monkeypatch):
    write_redactions(tmp_path, monkeypatch, "Ana => Bea\n")
    _shown, _settings, first = _build(show)
    transcript = show / "build" / "trailer" / "transcript.txt"
    assert "Bea said hello" in transcript.read_text(encoding="utf-8")

    write_redactions(tmp_path, monkeypatch, "Ana => Cy\n")  # the same line, another replacement
    current = load_show(show)
    assert not is_up_to_date(current, current.episode("trailer"), resolve_settings(current))
    _shown, _settings, second = _build(show)
    assert "Cy said hello" in transcript.read_text(encoding="utf-8")
    assert second.audio_key != first.audio_key and second.tags_key != first.tags_key


def test_the_whole_name_option_invalidates_the_audio_key(show, tmp_path, monkeypatch):
    write_redactions(tmp_path, monkeypatch, "Ana Example\n")
    first = _build(show)[2]
    write_redactions(tmp_path, monkeypatch, "= Ana Example\n")
    current = load_show(show)
    assert not is_up_to_date(current, current.episode("trailer"), resolve_settings(current))
    assert _build(show)[2].audio_key != first.audio_key


def test_build_holds_no_listed_name_and_no_digest_that_guessing_could_confirm(show, tmp_path, monkeypatch):
    write_redactions(tmp_path, monkeypatch, "Ana => Bea\n")
    edit_episode(show, "trailer", title="Ana's story")
    _build(show)
    names = parse_redactions("Ana => Bea\n")
    unkeyed = hashlib.sha256(b"Ana\x00Bea\x01").hexdigest()  # what the fingerprint used to be
    for path in (show / "build").rglob("*"):
        if path.is_file() and path.suffix != ".mp3":
            text = path.read_bytes().decode("utf-8", "replace")
            assert names.find(text) == [], path
            assert unkeyed not in text and unkeyed[:16] not in text, path
    assert names.fingerprint() != unkeyed
