"""The sound-alike matcher, the alignment of untimed transcripts, and sound-alikes replaced in the text.

The spellings are what Whisper tiny.en wrote for the corpus's made-up names (tests/names_corpus.py).
Real espeak-ng makes the phonemes.
"""

from __future__ import annotations

from podcast.build.transcripts import hide_soundalikes
from podcast.safeguarding.align import place_names
from podcast.safeguarding.censor import Mark, find_marks
from podcast.safeguarding.soundalike import scan
from podcast.show.redactions import parse_redactions
from podcast.transcripts.model import Cue, Transcript, Word

NAMES = parse_redactions(
    "Marigold Featherstone => Jess\nOkonkwo => Smith\nSiobhan Ferriter => Kate\nPhuong Tran => Lee\n"
)


def timed(text: str, start: float = 0.0, step: float = 0.4) -> list[tuple[float, float, str]]:
    return [(round(start + i * step, 2), round(start + (i + 1) * step, 2), w) for i, w in enumerate(text.split())]


def test_misheard_names_are_found_by_sound_with_their_list_line():
    words = timed("her friend Mary Gold Featherstone and Chivon came by")
    matches, _near = scan(words, NAMES)
    found = {(" ".join(w for _, _, w in words[m.first : m.last + 1]), m.line) for m in matches}
    assert {("Mary Gold", 1), ("Featherstone", 1)} <= found  # the first name as heard, and the surname
    assert ("Chivon", 3) in found  # a first name alone, as Whisper spelt it


def test_a_close_call_is_a_near_miss_not_a_match():
    matches, near = scan(timed("her teacher Mr. Akonko said so"), NAMES)  # as the issue heard it
    assert [(m.line, m.first, m.last) for m in near] == [(2, 3, 3)] and not matches
    assert 0.6 < near[0].score < 0.85


def test_an_ordinary_word_one_sound_away_is_a_near_miss():
    matches, near = scan(timed("we walked in the garden with Sam"), parse_redactions("Jordan"))
    assert matches == [] and [(m.first, m.line) for m in near] == [(4, 1)]


def test_ordinary_words_are_not_names():
    words = timed("we took the early train to the river and read letters near the bridge")
    matches, _near = scan(words, NAMES)
    assert matches == []  # "train" is not "Tran": names of four sounds or fewer match only exactly


def test_find_marks_joins_spelling_and_sound():
    words = timed("Okonkwo met Mary Gold today")
    hidden, _near = find_marks(words, NAMES)
    assert [(m.line, m.how) for m in hidden] == [(2, "text"), (1, "sound")]
    assert (hidden[1].start, hidden[1].end) == (0.8, 1.6)


def test_a_supplied_name_is_placed_between_the_heard_words_around_it():
    heard = timed("on Sunday Jess and her dog walked to the park", step=0.5)  # the name already replaced
    marks = place_names("On Sunday Marigold and her dog walked to the park.", heard, NAMES, duration_s=6)
    assert [(m.start, m.end, m.line, m.how) for m in marks] == [(1.0, 1.5, 1, "aligned")]


def test_a_supplied_name_without_anchors_nearby_is_unlocated():
    heard = timed("um", step=0.5)
    marks = place_names("Marigold said it was a long day and a longer night.", heard, NAMES, duration_s=60)
    assert [(m.line, m.how) for m in marks] == [(1, "unlocated")]


def test_a_sound_alike_is_replaced_in_the_transcript_where_it_was_heard():
    words = (Word(0, 400, "I"), Word(400, 800, "met"), Word(800, 1200, "Mary"), Word(1200, 1600, "Gold."))
    transcript = Transcript((Cue(0, 1600, "I met Mary Gold.", words=words),))
    hidden, _near = find_marks([(w.start_ms / 1000, w.end_ms / 1000, w.text) for w in words], NAMES)
    out = hide_soundalikes(transcript, hidden, NAMES)
    assert out.cues[0].text == "I met Jess."
    assert [(w.start_ms, w.end_ms, w.text) for w in out.cues[0].words][-1] == (800, 1600, "Jess.")


def test_a_sound_alike_keeps_its_possessive():
    words = (Word(0, 400, "Mary"), Word(400, 800, "Gold's"), Word(800, 1200, "drawings."))
    transcript = Transcript((Cue(0, 1200, "Mary Gold's drawings.", words=words),))
    hidden = [Mark(0.0, 0.8, 1, "sound", 0.9)]  # where the biased listening heard "Marigold's"
    assert hide_soundalikes(transcript, hidden, NAMES).cues[0].text == "Jess's drawings."
