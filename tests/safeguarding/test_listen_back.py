"""The listen-back list (issue 13 item 4): every bleep with its time, length and list line, never the name.

Shown as a count by `podcast build` and `podcast publish`, in full by `podcast bleeps SLUG`
(text and --json), and carried by `podcast review` for the contributor.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from safeguarding_helpers import copy_built_demo, write_redactions

from podcast.safeguarding.censor import padded_regions, text_marks
from podcast.show.redactions import parse_redactions

LIST = "# private\nMarigold Featherstone => Jess\nLowbridge => a town\n"
NAMES = parse_redactions(LIST)
WORDS = [
    (0.5, 0.9, "Hello"),
    (1.0, 1.6, "Marigold"),
    (1.6, 2.4, "Featherstone's"),
    (2.5, 2.9, "home"),
    (3.0, 3.3, "in"),
    (3.3, 4.0, "Lowbridge."),
    (6.0, 6.5, "Marigold"),
    (6.5, 7.0, "Featherstone"),
    (7.1, 7.5, "smiled."),
]


def test_each_occurrence_keeps_its_list_line_and_the_audio_plan_is_padded():
    marks = text_marks(WORDS, NAMES)
    assert [(m.start, m.end, m.line) for m in marks] == [(1.0, 2.4, 2), (3.3, 4.0, 3), (6.0, 7.0, 2)]
    # The audio hides a little more than the words: the plan's regions are padded.
    assert padded_regions(marks) == [(0.95, 2.45), (3.25, 4.05), (5.95, 7.05)]


@pytest.fixture
def show(built_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_built_demo(built_demo, tmp_path)
    folder = root / "episodes" / "trailer"
    words = [{"start": s, "end": e, "word": w} for s, e, w in WORDS]
    (folder / "transcript.json").write_text(json.dumps({"words": words}), encoding="utf-8")
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'transcript = "transcript.json"\nguid ='))
    write_redactions(tmp_path, monkeypatch, LIST)
    return root


def no_names(*texts: str) -> None:
    for text in texts:
        assert NAMES.find(text) == [], text


def test_build_counts_and_bleeps_lists_every_place(show, cli):
    built = cli("-C", show, "build")
    assert built.exit_code == 0, built.stderr
    assert "listen back: 3 hidden, 0 near miss(es) (`podcast bleeps trailer`)" in built.stdout
    assert json.loads(cli("-C", show, "--json", "build").stdout)["episodes"][0]["listen_back"] == {
        "hidden": 3,
        "near_misses": 0,
    }

    listing = cli("-C", show, "--json", "bleeps", "trailer")
    assert listing.exit_code == 0, listing.stderr
    data = json.loads(listing.stdout)
    assert data["mode"] == "bleep" and data["near_misses"] == []
    assert [(m["start_s"], m["length_s"], m["line"]) for m in data["hidden"]] == [
        (1.0, 1.4, 2),  # where each name is spoken (the bleep itself is padded a little either side)
        (3.3, 0.7, 3),
        (6.0, 1.0, 2),
    ]
    text = cli("-C", show, "bleeps", "trailer").stdout
    assert text.splitlines() == [
        "trailer: 3 place(s) bleeped, 0 near miss(es) — listen at each time below",
        "  bleeped  00:00:01.000  1.40 s  redaction list line 2",
        "  bleeped  00:00:03.300  0.70 s  redaction list line 3",
        "  bleeped  00:00:06.000  1.00 s  redaction list line 2",
    ]
    no_names(built.stdout, built.stderr, listing.stdout, text, (show / "build" / "trailer" / "bleeps.json").read_text())


def test_near_misses_from_the_sound_alike_pass_are_listed(show, cli):
    # "Loughbridge" sounds close to a listed place but under the matcher's threshold: a near miss, not hidden.
    words = [{"start": s, "end": e, "word": w} for s, e, w in [*WORDS, (8.0, 8.6, "Loughbridge.")]]
    (show / "episodes" / "trailer" / "transcript.json").write_text(json.dumps({"words": words}), encoding="utf-8")
    data = json.loads(cli("-C", show, "--json", "bleeps", "trailer").stdout)
    assert data["near_misses"] == [{"start_s": 8.0, "length_s": 0.6, "line": 3, "score": 0.714, "how": "near"}]
    text = cli("-C", show, "bleeps", "trailer").stdout
    assert "near miss  00:00:08.000  0.60 s  redaction list line 3 (score 0.71) — not hidden: check it by ear" in text
    published = cli("-C", show, "publish")
    assert published.exit_code == 0, published.stderr
    assert "trailer: listen back: 3 hidden, 1 near miss(es)" in published.stdout


def test_an_episode_without_names_lists_none(built_demo, tmp_path, cli):
    root = copy_built_demo(built_demo, tmp_path)
    result = cli("-C", root, "bleeps", "trailer")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "trailer: 0 place(s) bleeped, 0 near miss(es)"
    assert cli("-C", root, "bleeps", "nope").exit_code == 1


def test_review_carries_the_list_for_the_contributor(cli, make_s3_show, tmp_path, monkeypatch):
    write_redactions(tmp_path, monkeypatch, LIST)
    s3show = make_s3_show()
    folder = s3show.root / "episodes" / "trailer"
    words = [{"start": s, "end": e, "word": w} for s, e, w in WORDS]
    (folder / "transcript.json").write_text(json.dumps({"words": words}), encoding="utf-8")
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'transcript = "transcript.json"\nguid ='))
    result = cli("-C", s3show.root, "--json", "review", "trailer", "--expires", "1h")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [m["line"] for m in report["listen_back"]["hidden"]] == [2, 3, 2]
    link = next(link for link in report["links"] if link["what"] == "listen-back")
    assert link["key"].endswith("/listen-back.txt")
    with urllib.request.urlopen(link["url"], timeout=30) as response:
        body = response.read().decode("utf-8")
    assert "trailer: 3 place(s) bleeped" in body and "redaction list line 3" in body
    no_names(body, result.stdout)
    text = cli("-C", s3show.root, "review", "trailer", "--expires", "1h").stdout
    assert (
        "listen back: 3 hidden, 0 near miss(es) — the list is on the review page" in text
        and "review page: http" in text
    )
