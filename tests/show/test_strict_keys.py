"""Safety keys are strict: a misspelt or misplaced ``content_warning``, ``published``, ``withdrawn`` or
``[safeguarding]`` key is an error naming the key it was probably meant to be; any other unknown key stays
a warning, now with the same "did you mean …?" suggestion when there is one.

A misspelt safety key that is only warned about is silently lost: the episode goes out without its
content warning, a withdrawn episode comes back, the show publishes without its redaction list.
"""

from __future__ import annotations

import logging
import shutil

import pytest
from conftest import REPO
from test_manifest import DESIGN_EPISODE_TOML, DESIGN_PODCAST_TOML, write

from podcast.errors import EpisodeInvalid, ShowInvalid
from podcast.show.reading import load_episode_manifest, load_show_manifest

FIX_START = "did you mean"


def _episode(tmp_path, text: str):
    return load_episode_manifest(write(tmp_path / "episode.toml", text))


def _show(tmp_path, text: str):
    return load_show_manifest(write(tmp_path / "podcast.toml", text))


def _without(text: str, key: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(f"{key} =")) + "\n"


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        ('content_waring = "Discusses abuse."', "content_warning"),
        ('content_warnings = "Discusses abuse."', "content_warning"),
        ('contentwarning = "Discusses abuse."', "content_warning"),
        ('Content-Warning = "Discusses abuse."', "content_warning"),
        ("withdrawm = true", "withdrawn"),
        ("withdraw = true", "withdrawn"),
        ("publshed = 2026-11-20T09:00:00Z", "published"),
    ],
)
def test_misspelt_episode_safety_key_is_an_error(tmp_path, line, wanted):
    key = line.split(" =")[0]
    base = _without(_without(DESIGN_EPISODE_TOML, "content_warning"), "published")
    text = base.replace('title = "Jess\'s story"', f'title = "Jess\'s story"\n{line}')
    if wanted != "published":
        text = text.replace("number = 1", "number = 1\npublished = 2026-11-20T09:00:00Z")
    path = tmp_path / "episode.toml"
    with pytest.raises(EpisodeInvalid) as raised:
        _episode(tmp_path, text)
    message = str(raised.value)
    assert message.startswith(f"{path}: unknown key '{key}' — {FIX_START} '{wanted}'?"), message
    assert "\n" not in message


def test_safety_key_below_a_table_is_an_error(tmp_path):
    """TOML puts a key written after [[chapters]] into that chapter: the warning would be lost there."""
    text = _without(DESIGN_EPISODE_TOML, "content_warning") + 'content_warning = "Discusses abuse."\n'
    with pytest.raises(EpisodeInvalid) as raised:
        _episode(tmp_path, text)
    assert "unknown key 'chapters[1].content_warning' — did you mean 'content_warning'?" in str(raised.value)


@pytest.mark.parametrize(
    ("section", "wanted"),
    [
        ('[safeguarding]\nredaction = "/private/list.txt"\n', "safeguarding.redactions"),
        ("[safeguarding]\nrequire_redaction = true\n", "safeguarding.require_redactions"),
        ("[safeguarding]\nrequire-redactions = true\n", "safeguarding.require_redactions"),
        ('[safeguarding]\naudit-log = "audit.log"\n', "safeguarding.audit_log"),
        ('[safeguarding]\nreveiw_expires = "1d"\n', "safeguarding.review_expires"),
        ("[safegaurding]\nrequire_redactions = true\n", "safeguarding"),
        ("[safeguard]\nrequire_redactions = true\n", "safeguarding"),
    ],
)
def test_misspelt_safeguarding_key_is_an_error(tmp_path, section, wanted):
    with pytest.raises(ShowInvalid) as raised:
        _show(tmp_path, DESIGN_PODCAST_TOML + "\n" + section)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'podcast.toml'}: unknown key '"), message
    assert f"— {FIX_START} '{wanted}'?" in message and "\n" not in message


def test_safeguarding_key_in_the_wrong_section_is_an_error(tmp_path):
    text = DESIGN_PODCAST_TOML.replace('region = "eu-west-2"', 'region = "eu-west-2"\nrequire_redactions = true')
    with pytest.raises(ShowInvalid) as raised:
        _show(tmp_path, text)
    assert "unknown key 'publish.require_redactions' — did you mean 'safeguarding.require_redactions'?" in str(
        raised.value
    )


def test_correct_safety_keys_load_without_a_word(tmp_path, caplog):
    section = '[safeguarding]\nredactions = "/private/list.txt"\nrequire_redactions = true\naudio = "mute"\n'
    with caplog.at_level(logging.WARNING, logger="podcast"):
        show = _show(tmp_path, DESIGN_PODCAST_TOML + "\n" + section)
        episode = _episode(
            tmp_path, DESIGN_EPISODE_TOML.replace("explicit = false", "explicit = false\nwithdrawn = true")
        )
    assert caplog.records == []
    assert show.safeguarding.require_redactions is True and episode.withdrawn is True


@pytest.mark.parametrize(
    ("line", "key", "suggestion"),
    [
        ('titel = "Typo"', "titel", "title"),
        ('descripton = "Typo"', "descripton", "description"),
        ('colour = "blue"', "colour", None),
    ],
)
def test_other_unknown_episode_keys_warn_with_a_suggestion(tmp_path, caplog, line, key, suggestion):
    text = DESIGN_EPISODE_TOML.replace("explicit = false", f"explicit = false\n{line}")
    with caplog.at_level(logging.WARNING, logger="podcast"):
        _episode(tmp_path, text)
    [record] = caplog.records
    message = record.getMessage()
    assert f"unknown key '{key}' is ignored" in message
    if suggestion:
        assert message.endswith(f"— did you mean '{suggestion}'?"), message
    else:
        assert "did you mean" not in message and message.endswith("(a typo?)"), message


def test_other_unknown_show_keys_warn_with_a_suggestion(tmp_path, caplog):
    text = DESIGN_PODCAST_TOML.replace('author = "Example Charity"', 'autor = "Example Charity"\nauthor = "x"')
    text = text.replace("[audio]", "[audio]\nloudnes_lufs = -16.0\n")
    with caplog.at_level(logging.WARNING, logger="podcast"):
        _show(tmp_path, text)
    messages = sorted(record.getMessage() for record in caplog.records)
    assert len(messages) == 2, messages
    assert messages[0].endswith("unknown key 'audio.loudnes_lufs' is ignored — did you mean 'audio.loudness_lufs'?")
    assert messages[1].endswith("unknown key 'show.autor' is ignored — did you mean 'show.author'?")


def test_misspelt_content_warning_stops_the_command(cli, tmp_path, tone):
    """End to end: exit 1, one error line naming the file, the key and the fix; nothing published."""
    root = tmp_path / "show"
    write(root / "podcast.toml", (REPO / "podcast.toml").read_text(encoding="utf-8"))
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    folder = root / "episodes" / "ep-one"
    folder.mkdir(parents=True)
    shutil.copy2(tone, folder / "master.wav")
    write(
        folder / "episode.toml",
        'title = "Times"\nnumber = 1\npublished = 2026-01-05T09:00:00Z\naudio = "master.wav"\n'
        'description = "Notes."\ncontent_waring = "Discusses abuse."\nguid = "4c7f0d52-2222-4aaa-8bbb-000000000009"\n',
    )
    result = cli("-C", root, "publish")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"error: {folder / 'episode.toml'}: unknown key 'content_waring' — did you mean 'content_warning'?"
    ), lines[0]
    assert "Traceback" not in result.stderr
    assert not (root / "feed").exists() and not (root / "build").exists()
