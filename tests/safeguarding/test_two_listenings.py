"""How the two listenings combine (podcast.build.transcripts.combine_listenings), with real espeak-ng.

Biased toward the listed names, the model writes them over ordinary words: in an hour of espeak-ng
speech without a single name, "Wojtek" 112 times over "was", "we talked", "walked" (BENCHMARKS.md).
A place only the biased listening found is hidden when the plain listening could have heard the same
name there; otherwise it is listed as a near miss, never dropped.
"""

from __future__ import annotations

from podcast.build.transcripts import combine_listenings
from podcast.show.redactions import parse_redactions

NAMES = parse_redactions("Wojtek Szczepanik => Tom\nLowbridge => a town\n")
BIASED = [(1.0, 1.4, "and"), (1.4, 2.0, "Wojtek,"), (2.0, 2.3, "the")]


def _plain(*middle: tuple[float, float, str]) -> list[tuple[float, float, str]]:
    return [(1.0, 1.4, "and"), *middle, (2.0, 2.3, "the")]


def test_a_name_written_over_ordinary_words_is_a_near_miss_not_a_bleep():
    marks, near = combine_listenings(_plain((1.4, 1.7, "was"), (1.7, 2.0, "quiet")), BIASED, NAMES)
    assert marks == []
    assert [(n.line, n.how) for n in near] == [(1, "near")] and near[0].score < 0.52


def test_a_name_the_plain_listening_garbled_alike_is_hidden():
    marks, _near = combine_listenings(_plain((1.4, 2.0, "WatchExhepane")), BIASED, NAMES)
    assert [(m.line, m.start) for m in marks] == [(1, 1.4)]


def test_a_name_where_the_plain_listening_was_unsure_or_heard_nothing_is_hidden():
    plain = _plain((1.4, 1.7, "was"), (1.7, 2.0, "quiet"))
    marks, _near = combine_listenings(plain, BIASED, NAMES, unsure=[(1.7, 2.0)])
    assert [m.line for m in marks] == [1]
    marks, _near = combine_listenings(_plain(), BIASED, NAMES)  # a gap in the plain listening
    assert [m.line for m in marks] == [1]


def test_a_name_both_listenings_heard_is_hidden_whatever_the_plain_words():
    marks, _near = combine_listenings(_plain((1.4, 2.0, "Lowbridge")), [(1.4, 2.0, "Lowbridge")], NAMES)
    assert [m.line for m in marks] == [2]
