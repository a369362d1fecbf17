"""The keyword spotter, the third listener (podcast.safeguarding.spotting), on real synthesised speech.

Whisper tiny.en hears two of the corpus's names as ordinary words in both its listenings: piper's
"a dog called Hope" as "a dog call. Health", an espeak voice's "Dear Ximena" as "Dear, I'm her"
(BENCHMARKS.md). The spotter listens for the names' phones instead. Its places are hidden only where
neither Whisper listening heard a word clearly; where one did ("train" for "Tran"), they are near misses.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from names_corpus import LINE, REDACTIONS, names_corpus

from podcast.audio.decode import decode_samples
from podcast.errors import TranscriberUnavailable
from podcast.safeguarding.censor import Mark, add_spotted
from podcast.safeguarding.spotting import SAMPLE_RATE, Spotted, pronunciations, spot_names
from podcast.show.redactions import parse_redactions

NAMES = parse_redactions(REDACTIONS)


@pytest.fixture(scope="module")
def stories():
    return names_corpus(Path(tempfile.gettempdir()) / "podcast-names-corpus")


def _spotted(story) -> list[Spotted]:
    return spot_names(decode_samples([story.path], sample_rate=SAMPLE_RATE), pronunciations(NAMES))


def _span(story, key: str) -> tuple[float, float]:
    return next((s.start, s.end) for s in story.spans if s.line == LINE[key])


@pytest.mark.parametrize(("story_name", "key"), [("piper-train", "hope"), ("espeak-letter", "ximena")])
def test_the_spotter_hears_the_names_whisper_turns_into_words(stories, story_name, key):
    story = stories[story_name]
    start, end = _span(story, key)
    hits = [s for s in _spotted(story) if s.line == LINE[key] and s.start < end and start < s.end]
    assert hits, f"{key} not spotted in {story_name}"
    assert all(start - 0.2 <= s.start and s.end <= end + 0.2 for s in hits)  # the place, not the sentence


def test_pronunciations_hold_phones_and_list_lines_only():
    found = pronunciations(NAMES)
    assert {p.line for p in found} == set(LINE.values())  # every listed line, one-word names and parts
    hope = [p.phones for p in found if p.line == LINE["hope"]]
    assert ("HH", "OW", "P") in hope
    assert all(len(p.phones) >= 3 and all(ph.isupper() for ph in p.phones) for p in found)


def test_a_spotted_place_where_no_word_was_heard_clearly_is_hidden():
    spot = Spotted(8.37, 8.64, 11)
    marks, near = add_spotted([], [], [spot], clear=[(7.2, 7.8)])  # "call" heard clearly, before it
    assert [(m.start, m.end, m.line, m.how) for m in marks] == [(8.37, 8.64, 11, "spotted")]
    assert near == []


def test_a_spotted_place_over_a_clearly_heard_word_is_a_near_miss():
    marks, near = add_spotted([], [], [Spotted(3.5, 3.88, 7)], clear=[(3.52, 3.85)])  # "train" for "Tran"
    assert marks == []
    assert [(n.line, n.how) for n in near] == [(7, "spotted")]


def test_a_spotted_place_already_hidden_adds_nothing_and_clears_its_near_miss():
    hidden = [Mark(1.0, 1.6, 5, "sound", 0.9)]
    near_before = [Mark(6.0, 6.4, 9, "near", 0.7)]
    marks, near = add_spotted(hidden, near_before, [Spotted(1.1, 1.5, 5), Spotted(6.1, 6.3, 9)], clear=[])
    assert [(m.start, m.how) for m in marks] == [(1.0, "sound"), (6.1, "spotted")]
    assert near == []  # the near miss at 6.0 is now hidden


def test_without_pocketsphinx_the_pass_reports_the_missing_extra(monkeypatch):
    import numpy as np

    from podcast.safeguarding import spotting

    spotting._model_dictionary.cache_clear()
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # fault injection: the import fails
    with pytest.raises(TranscriberUnavailable, match="pocketsphinx"):
        spotting.pronunciations(NAMES)
    with pytest.raises(TranscriberUnavailable, match="transcribe extra"):
        spot_names(np.zeros(SAMPLE_RATE, dtype="float32"), [spotting.Pronunciation(1, ("HH", "OW", "P"))])
    spotting._model_dictionary.cache_clear()


def test_a_list_too_long_to_spot_is_said_and_the_spotter_skipped(stories, tmp_path, monkeypatch, caplog):
    """Each pronunciation costs decoding time and false places; past the cap the build warns (listen back)."""
    from names_measure import make_show, write_list

    from podcast.build.transcripts import spot_episode
    from podcast.safeguarding import spotting
    from podcast.show.model import load_show

    show_root = make_show(
        tmp_path / "show", {"piper-train": stories["piper-train"]}, supplied=False, redactions=write_list(tmp_path)
    )
    show = load_show(show_root)
    episode = show.episodes[0]
    assert [s.line for s in spot_episode(show, episode)].count(LINE["hope"]) >= 1  # under the cap: spotted
    monkeypatch.setattr(spotting, "MAX_PRONUNCIATIONS", 5)
    with caplog.at_level("WARNING"):
        assert spot_episode(show, episode) == []
    assert "more than the keyword spotter can listen for" in caplog.text and "listen back" in caplog.text
    assert not any(term in caplog.text for term in ("Hope", "Ximena", "Marigold"))
