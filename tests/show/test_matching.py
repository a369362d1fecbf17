"""Name matching beyond spelling: name parts, homoglyphs, percent-encoding, and the keyed fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safeguarding_helpers import copy_built_demo, write_redactions

from podcast.errors import RedactionListInvalid
from podcast.show.redactions import DEFAULT_REPLACEMENT, load_redactions, parse_redactions

KEY = bytes(range(32))
NAMES = parse_redactions("Marigold Featherstone => Jess\nAna de Souza\n")


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Marigold's story", "Jess's story"),
        ("MARIGOLD", "Jess"),
        ("the Featherstones", "the Jesss"),
        ("Featherstone' house", "Jess' house"),
        ("Marigold Featherstone spoke", "Jess spoke"),
        ("Souza said", f"{DEFAULT_REPLACEMENT} said"),
    ],
)
def test_each_word_of_a_listed_name_matches_on_its_own(text, redacted):
    assert NAMES.redact(text) == redacted


@pytest.mark.parametrize("text", ["Marigoldine", "Featherstonehaugh", "de la Cruz", "Dos Santos"])
def test_parts_are_whole_words_and_particles_never_match_alone(text):
    assert NAMES.find(text) == []


def test_a_replacement_with_as_many_words_replaces_word_for_word():
    names = parse_redactions("Marigold Featherstone => Jess Smith")
    assert names.redact("Marigold met Featherstone's aunt") == "Jess met Smith's aunt"


def test_a_line_starting_with_equals_matches_the_whole_name_only():
    names = parse_redactions("= May Example => Sam")
    assert names.redact("May Example may be an example") == "Sam may be an example"


def test_a_replacement_that_is_a_word_of_a_listed_name_is_refused():
    with pytest.raises(RedactionListInvalid, match="line 1: the replacement itself contains"):
        parse_redactions("Ana Example => Sam\nSam Other")


@pytest.mark.parametrize(
    "text",
    [
        "M\u0430rigold",  # Cyrillic a
        "Marig\u043eld",  # Cyrillic o
        "\u041c\u0430rigold's story",  # Cyrillic M and a
        "Featherst\u03bfne",  # Greek omicron
        "Ｍａｒｉｇｏｌｄ",  # fullwidth
    ],
)
def test_homoglyphs_in_the_text_match(text):
    assert NAMES.find(text), text


def test_homoglyphs_in_the_list_match_plain_text():
    names = parse_redactions("M\u0430rigold")  # the list itself holds a Cyrillic a
    assert names.redact("Marigold's story") == f"{DEFAULT_REPLACEMENT}'s story"


@pytest.mark.parametrize(
    "text",
    ["https://example.org/a%C3%B1a-story", "media/Zo%C3%AB%20Example.mp3", "https://x.org/?q=marigold%27s"],
)
def test_percent_encoded_names_are_decoded_before_matching(text):
    names = parse_redactions("Ana\n= Zoë Example\nMarigold")
    assert names.find(text), text


def test_an_invalid_percent_run_is_kept_as_written():
    names = parse_redactions("Ana")
    assert names.find("100%ffAna") == [] and names.find("100%ff Ana")


def test_longest_match_first_and_left_to_right_as_before():
    names = parse_redactions("Jordan => J\nJordan Example => Sam")
    assert names.redact("Jordan Example, Jordan and jordan-example's") == "Sam, J and Sam's"


# --- the keyed fingerprint ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Ana => Sam", "Ana => Bea"),  # a replacement changed on the same line
        ("Ana", "Ana => Sam"),
        ("Ana Example", "= Ana Example"),  # the whole-name option
        ("Ana", "Anna"),
    ],
)
def test_every_change_to_the_list_changes_the_fingerprint(before, after):
    assert parse_redactions(before).fingerprint(KEY) != parse_redactions(after).fingerprint(KEY)


def test_the_fingerprint_needs_the_key():
    names = parse_redactions("Ana")
    assert names.fingerprint(KEY) != names.fingerprint(bytes(32))
    assert names.fingerprint() == names.fingerprint()  # the machine key is stable across calls


def test_the_machine_key_is_private_and_stable(tmp_path, monkeypatch):
    key_file = tmp_path / "config" / "redaction-key"
    monkeypatch.setenv("PODCAST_REDACTION_KEY_FILE", str(key_file))
    first = parse_redactions("Ana").fingerprint()
    assert key_file.stat().st_mode & 0o077 == 0
    assert parse_redactions("Ana").fingerprint() == first


# --- refusing a list that protects nothing ----------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# every name was here\n# and here\n"])
def test_an_empty_or_comment_only_list_is_refused(tmp_path, text):
    show = tmp_path / "show"
    show.mkdir()
    path = tmp_path / "private" / "redactions.txt"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RedactionListInvalid, match="has no names") as error:
        load_redactions(show, str(path))
    assert "every name" not in str(error.value)


def test_an_empty_list_stops_the_cli(tmp_path, monkeypatch, demo_show, cli):
    write_redactions(tmp_path, monkeypatch, "# truncated\n")
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1
    assert "has no names" in result.stderr and "Traceback" not in result.stderr


# --- end to end: a first name alone, in a chapter title --------------------------------------


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    return copy_built_demo(built_demo, tmp_path)


def test_a_first_name_alone_is_redacted_in_the_feed_chapters_and_state_record(show, tmp_path, monkeypatch, cli):
    write_redactions(tmp_path, monkeypatch, "Marigold Featherstone => Jess\n")
    toml = show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('title = "Welcome"', 'title = "Marigold\'s story"'))
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    published = [p for p in (show / "feed").rglob("*") if p.is_file() and p.suffix != ".mp3"]
    assert any(p.parent.name == ".podcast" for p in published)  # the state record is among them
    for path in published:
        assert "marigold" not in path.read_bytes().decode("utf-8", "replace").lower(), path
    chapters = json.loads(next((show / "feed").glob("chapters/*.json")).read_text(encoding="utf-8"))
    assert chapters["chapters"][0]["title"] == "Jess's story"
