"""The transcript cache: built transcripts are rendered again when the redaction list changes.

Regression: the cache key once hashed each list entry's repr, which hides the term and
the replacement (``Entry(line=2)``), so changing a replacement on the same line of the
list left the built transcripts "up to date" and still publishing the old replacement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from safeguarding_helpers import copy_built_demo, write_redactions

SRT = "1\n00:00:01,000 --> 00:00:03,000\nJordan Example says hello.\n"


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    """The demo show with its audio already built, so a build only redoes transcripts and tags."""
    return copy_built_demo(built_demo, tmp_path)


def test_a_new_replacement_on_the_same_list_line_rerenders_the_transcripts(show, tmp_path, monkeypatch, cli):
    redactions = write_redactions(tmp_path, monkeypatch, "Ana\nJordan Example => Sam\n")
    folder = show / "episodes" / "trailer"
    (folder / "transcript.srt").write_text(SRT, encoding="utf-8")
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'transcript = "transcript.srt"\nguid ='))
    # The demo trailer is music: the name cannot be placed on it, so a producer signs the passage off.
    toml.write_text(toml.read_text() + '\n[[safeguarding.signoff]]\nat = "00:00:00"\nline = 2\nby = "test"\n')
    built = show / "build" / "trailer"

    result = cli("-C", show, "build", "trailer")
    assert result.exit_code == 0, result.stderr
    first = {path.name: path.read_text(encoding="utf-8") for path in built.glob("transcript.*")}
    assert {".vtt", ".srt", ".json", ".html", ".txt"} <= {Path(name).suffix for name in first}
    assert all("Sam says hello." in text and "Jordan" not in text for text in first.values())

    redactions.write_text("Ana\nJordan Example => Kim\n", encoding="utf-8")  # same line, new replacement
    result = cli("-C", show, "build", "trailer")
    assert result.exit_code == 0, result.stderr
    again = {path.name: path.read_text(encoding="utf-8") for path in built.glob("transcript.*")}
    assert again.keys() == first.keys()
    for name, text in again.items():
        assert "Kim says hello." in text, name
        assert "Sam" not in text and "Jordan" not in text, name
