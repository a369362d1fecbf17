"""The redaction list: matching (case, accents, possessives, plurals), loading, and redacting every artefact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mutagen.id3 import ID3
from safeguarding_helpers import copy_built_demo, edit_episode, write_redactions

from podcast.errors import RedactionListInvalid
from podcast.show.redactions import DEFAULT_REPLACEMENT, fold, load_redactions, parse_redactions


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    """The demo show with its audio already built (see s3_fixtures.built_demo)."""
    return copy_built_demo(built_demo, tmp_path)


# As write_redactions() writes it: "=" keeps "Jordan" and "Example" from matching on their own.
NAMES = parse_redactions("Ana\n= Jordan Example => Sam\n")


@pytest.mark.parametrize(
    "text",
    [
        "Ana",
        "ANA",
        "ana",
        "Aña",
        "Ána",
        "Ana's",
        "Ana’s",
        "ANA'S",
        "Anas",
        "Anaʼs",
        "A\u200bna",
        "(Ana)",
        "Ana-Maria",
        "ana_story",
        "media/ana-story-0123456789ab.mp3",
        "Jordan Example",
        "JORDAN EXAMPLE",
        "Jordan\nExample",
        "jordan-example",
        "Jórdan  Exámple's",
        "ﬁ Ana",
    ],
)
def test_names_are_found_whatever_the_spelling(text):
    assert NAMES.find(text), text


@pytest.mark.parametrize("text", ["Banana", "analysts", "Anatomy", "Jordan", "Example", "Ann", "An a", "Ana2"])
def test_other_words_are_left_alone(text):
    assert NAMES.find(text) == []
    assert NAMES.redact(text) == text


def test_redact_keeps_endings_and_applies_replacements():
    assert NAMES.redact("ANA's story, and Aña’s.") == f"{DEFAULT_REPLACEMENT}'s story, and {DEFAULT_REPLACEMENT}’s."
    assert NAMES.redact("Jordan Example met the Anas") == f"Sam met the {DEFAULT_REPLACEMENT}s"
    # Longest entry wins: "Jordan Example" is one name, not "Jordan" + something.
    both = parse_redactions("Jordan\nJordan Example => Sam")
    assert both.redact("Jordan Example and Jordan") == f"Sam and {DEFAULT_REPLACEMENT}"


def test_redacting_transcript_formats_keeps_their_structure():
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Host>Ana’s mum called\n\n00:00:02.500 --> 00:00:04.000\nJordan\nExample too\n"
    redacted = NAMES.redact(vtt)
    assert NAMES.find(redacted) == []
    assert "00:00:01.000 --> 00:00:02.500" in redacted and "<v Host>" in redacted
    data = json.dumps({"segments": [{"startTime": 1.0, "endTime": 1.4, "body": "Aña"}]}, ensure_ascii=False)
    assert json.loads(NAMES.redact(data))["segments"][0]["body"] == DEFAULT_REPLACEMENT


@given(st.text(max_size=60))
def test_redacted_text_never_contains_a_name(text):
    assert NAMES.find(NAMES.redact(text)) == []


def test_fold_ignores_case_accents_and_invisible_characters():
    assert fold("ÀÉÎÕÜ Øresund ß") == "aeiou oresund ss"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("A\n", "line 1: the name is shorter"),
        ("Ana =>\n", "line 1: nothing after '=>'"),
        ("# c\n => Sam\n", "line 2: has no name"),
        ("Ana\nJordan Example => Ana B.\n", "line 2: the replacement itself"),
    ],
)
def test_bad_lists_are_refused_by_line_without_echoing_names(text, problem):
    with pytest.raises(RedactionListInvalid) as error:
        parse_redactions(text, source="list.txt")
    assert problem in str(error.value)
    assert "Jordan" not in str(error.value) and "Ana" not in str(error.value)


def test_repr_hides_the_terms():
    assert "Ana" not in repr(NAMES) and "Jordan" not in repr(NAMES.entries)


def test_list_inside_the_show_folder_is_refused(show, monkeypatch):
    inside = show / "redactions.txt"
    inside.write_text("Ana\n", encoding="utf-8")
    monkeypatch.setenv("PODCAST_REDACTIONS", str(inside))
    with pytest.raises(RedactionListInvalid, match="inside the show folder"):
        load_redactions(show, None)


def test_list_from_podcast_toml_with_home_expansion(show, tmp_path, monkeypatch):
    monkeypatch.delenv("PODCAST_REDACTIONS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "home" / ".config" / "sv" / "redactions.txt"
    path.parent.mkdir(parents=True)
    path.write_text("Ana\n", encoding="utf-8")
    toml = show / "podcast.toml"
    toml.write_text(toml.read_text() + '\n[safeguarding]\nredactions = "~/.config/sv/redactions.txt"\naudio = "mute"\n')
    from podcast.show.model import load_show

    loaded = load_show(show)
    assert loaded.manifest.safeguarding.audio == "mute"
    assert load_redactions(show, loaded.manifest.safeguarding.redactions).find("Ana")


def test_missing_list_stops_every_command_that_publishes(show, tmp_path, monkeypatch, cli):
    monkeypatch.setenv("PODCAST_REDACTIONS", str(tmp_path / "unmounted" / "redactions.txt"))
    result = cli("-C", show, "publish")
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("error: PODCAST_REDACTIONS: the redaction list") and "does not exist" in result.stderr
    )
    assert not (show / "feed" / "feed.xml").exists() or "media" not in {p.name for p in (show / "feed").iterdir()}


def _all_id3_text(path: Path) -> str:
    from podcast.safeguarding.gate import _frame_strings

    return "\n".join(text for frame in ID3(path).values() for _label, text in _frame_strings(frame))


def test_names_are_redacted_in_every_published_artefact(show, tmp_path, monkeypatch, cli):
    """Title, notes, content warning and chapter titles: feed, ID3 frames, and no name in stderr or logs."""
    write_redactions(tmp_path, monkeypatch)
    edit_episode(
        show,
        "trailer",
        title="Aña's story",
        content_warning="Jordan Example talks about ANA.",
        description="**Ana** and Jordan\nExample tell their story.",
    )
    toml = show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace('title = "Welcome"', 'title = "Ana arrives"'))
    result = cli("-C", show, "-v", "publish")
    assert result.exit_code == 0, result.stderr
    for secret in ("Ana", "Aña", "ANA", "Jordan"):
        assert secret not in result.stderr and secret not in result.stdout

    feed = (show / "feed" / "feed.xml").read_text(encoding="utf-8")
    assert NAMES.find(feed) == []
    assert f"<title>{DEFAULT_REPLACEMENT}'s story</title>" in feed
    assert "Sam talks about" in feed
    mp3 = next((show / "feed" / "media").glob("*.mp3"))
    tags = _all_id3_text(mp3)
    assert NAMES.find(tags) == []
    assert ID3(mp3)["TIT2"].text == [f"{DEFAULT_REPLACEMENT}'s story"]
    assert "Sam tell their story" in ID3(mp3).getall("COMM")[0].text[0]

    from podcast.show.model import load_show

    assert load_show(show).episode("trailer").manifest.chapters[0].title == f"{DEFAULT_REPLACEMENT} arrives"
    # The producer's file is never rewritten by redaction.
    assert "Aña's story" in toml.read_text(encoding="utf-8")


def test_bad_safeguarding_settings_get_their_own_hint(show, cli):
    toml = show / "podcast.toml"
    toml.write_text(toml.read_text() + '\n[safeguarding]\naudio = "beep"\n')
    result = cli("-C", show, "status")
    assert result.exit_code == 1
    assert "field 'safeguarding.audio'" in result.stderr and 'use audio = "bleep"' in result.stderr


def test_chapter_titles_from_a_chapters_file_are_redacted_everywhere(show, tmp_path, monkeypatch, cli):
    """Chapters JSON, ID3 CHAP frames and psc:chapter in the feed, when chapters come from a file."""
    write_redactions(tmp_path, monkeypatch)
    folder = show / "episodes" / "trailer"
    (folder / "chapters.txt").write_text("00:00 Welcome\n00:05 Aña's arrival\n00:10 Jordan Example\n", encoding="utf-8")
    toml = folder / "episode.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[: text.index("[[chapters]]")] + 'chapters = "chapters.txt"\n', encoding="utf-8")
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    feed_dir = show / "feed"
    chapters_json = next(feed_dir.glob("chapters/*.json")).read_text(encoding="utf-8")
    assert [c["title"] for c in json.loads(chapters_json)["chapters"]] == [
        "Welcome",
        f"{DEFAULT_REPLACEMENT}'s arrival",
        "Sam",
    ]
    feed = (feed_dir / "feed.xml").read_text(encoding="utf-8")
    assert (
        f'title="{DEFAULT_REPLACEMENT}\'s arrival"' in feed or f'title="{DEFAULT_REPLACEMENT}&apos;s arrival"' in feed
    )
    assert NAMES.find(feed) == [] and NAMES.find(_all_id3_text(next(feed_dir.glob("media/*.mp3")))) == []


ACCENTED = {"a": "aáàâäãåā", "n": "nñń", "A": "AÁÀÂÄÃÅĀ", "N": "NÑŃ"}


@given(
    st.lists(st.sampled_from(list(ACCENTED["a"] + ACCENTED["A"])), min_size=2, max_size=2),
    st.sampled_from(list(ACCENTED["n"] + ACCENTED["N"])),
    st.sampled_from(["", "'s", "’s", "s", "'"]),
    st.text(alphabet=" .,;:!?()\n-", min_size=1, max_size=3),
    st.text(alphabet=" .,;:!?()\n-", min_size=1, max_size=3),
)
def test_any_spelling_of_a_listed_name_between_any_punctuation_is_found(vowels, n, ending, before, after):
    variant = f"{vowels[0]}{n}{vowels[1]}{ending}"
    text = f"Told by{before}{variant}{after}today"
    assert NAMES.find(text), text
    assert NAMES.find(NAMES.redact(text)) == []


def test_require_redactions_refuses_to_work_without_a_list(show, monkeypatch, cli):
    monkeypatch.delenv("PODCAST_REDACTIONS", raising=False)
    toml = show / "podcast.toml"
    toml.write_text(toml.read_text() + "\n[safeguarding]\nrequire_redactions = true\n")
    result = cli("-C", show, "publish")
    assert result.exit_code == 1
    assert "no redaction list is configured, and [safeguarding] require_redactions is true" in result.stderr
    assert not (show / "feed").exists() or not list((show / "feed").rglob("*.mp3"))
