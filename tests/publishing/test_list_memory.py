"""A target published with a redaction list remembers it; a terminal without the list cannot publish there.

Issue 13 item 8: a new terminal without PODCAST_REDACTIONS published the real names. The state
record now keeps the list's keyed fingerprint and its number of names; publish and review
refuse without a list, refuse a list with fewer names (unless told), and say when it changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safeguarding_helpers import copy_built_demo, edit_episode, write_redactions

from podcast.publishing.state import decode_state, encode_state
from podcast.show.redactions import parse_redactions

LIST = "Marigold Featherstone => Jess\nLowbridge => a town\n"
NAMES = parse_redactions(LIST)


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    root = copy_built_demo(built_demo, tmp_path)
    # A listed name in the notes: published redacted with the list, in the clear without it.
    edit_episode(root, "trailer", description="Marigold Featherstone grew up in Lowbridge.")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def state_of(show: Path) -> dict:
    return json.loads((show / "feed" / ".podcast" / "state.json").read_text(encoding="utf-8"))


def test_a_new_terminal_without_the_list_cannot_publish(show, tmp_path, monkeypatch, cli):
    listed = write_redactions(tmp_path, monkeypatch, LIST)
    first = cli("-C", show, "publish")
    assert first.exit_code == 0, first.stderr
    assert f"redaction list: {listed} (2 names)" in first.stdout
    recorded = state_of(show)["redactions"]
    key = bytes.fromhex(recorded["key"])  # the target's own key, not this machine's
    assert recorded == {"fingerprint": NAMES.fingerprint(key), "names": 2, "key": recorded["key"]}
    online = snapshot(show / "feed")
    assert all(not NAMES.find(data.decode("utf-8", "replace")) for data in online.values())

    monkeypatch.delenv("PODCAST_REDACTIONS")  # the new terminal
    for args in (["publish"], ["publish", "--dry-run"], ["--json", "publish"]):
        refused = cli("-C", show, *args)
        assert refused.exit_code == 1, (args, refused.stdout)
        assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: ")
        assert "was published with a redaction list (2 names), but no list is configured here" in refused.stderr
        assert "export PODCAST_REDACTIONS=" in refused.stderr and "Traceback" not in refused.stderr
        assert refused.stdout == "" if "--json" not in args else json.loads(refused.stdout)["error"]["exit_code"] == 1
    assert snapshot(show / "feed") == online  # nothing uploaded, nothing rewritten


def test_every_publish_says_which_list_it_used(show, tmp_path, monkeypatch, cli):
    listed = write_redactions(tmp_path, monkeypatch, LIST)
    report = json.loads(cli("-C", show, "--json", "publish", "--dry-run").stdout)
    assert report["redactions"] == {"path": str(listed), "names": 2, "previous_names": None, "changed": False}
    report = json.loads(cli("-C", show, "--json", "publish").stdout)
    assert report["redactions"]["names"] == 2 and report["redactions"]["path"] == str(listed)
    again = json.loads(cli("-C", show, "--json", "publish").stdout)
    assert again["redactions"] == {"path": str(listed), "names": 2, "previous_names": 2, "changed": False}
    for text in (json.dumps(report), json.dumps(again)):
        assert NAMES.find(text) == []


def test_no_list_anywhere_says_so(show, cli):
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    assert "redaction list: none configured" in result.stdout
    assert "redactions" not in state_of(show)  # nothing to remember


def test_a_list_with_more_names_is_used_with_a_notice(show, tmp_path, monkeypatch, cli):
    write_redactions(tmp_path, monkeypatch, LIST)
    assert cli("-C", show, "publish").exit_code == 0
    listed = write_redactions(tmp_path, monkeypatch, LIST + "Okonkwo => Smith\n")
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    assert "differs from the one" in result.stderr and "(2 names then, 3 now)" in result.stderr
    assert f"redaction list: {listed} (3 names) — changed since the last publish to this target (2 names then)" in (
        result.stdout
    )
    assert state_of(show)["redactions"]["names"] == 3  # the record follows the new list
    assert "changed since" not in cli("-C", show, "publish").stdout


def test_a_list_with_fewer_names_is_refused_unless_accepted(show, tmp_path, monkeypatch, cli):
    write_redactions(tmp_path, monkeypatch, LIST)
    assert cli("-C", show, "publish").exit_code == 0
    online = snapshot(show / "feed")
    write_redactions(tmp_path, monkeypatch, "Lowbridge => a town\n")  # a truncated copy
    refused = cli("-C", show, "publish")
    assert refused.exit_code == 1 and refused.stderr.count("error: ") == 1
    assert "has 1 name, fewer than the 2" in refused.stderr and "--accept-fewer-names" in refused.stderr
    assert snapshot(show / "feed") == online
    accepted = cli("-C", show, "publish", "--accept-fewer-names")
    assert accepted.exit_code == 0, accepted.stderr
    assert state_of(show)["redactions"]["names"] == 1


def test_old_state_records_stay_readable_and_a_damaged_record_still_counts():
    old = b'{"objects": {}, "episodes": {"a": {"guid": "g"}}}'
    assert decode_state(old).redactions is None
    assert b"redactions" not in encode_state(decode_state(old))
    damaged = decode_state(b'{"objects": {}, "episodes": {}, "redactions": "yes"}')
    assert damaged.redactions is not None  # a list was used: no list here is still refused


def test_review_refuses_without_the_list_and_says_which_it_used(cli, make_s3_show, tmp_path, monkeypatch):
    listed = write_redactions(tmp_path, monkeypatch, LIST)
    s3show = make_s3_show()
    assert cli("-C", s3show.root, "publish").exit_code == 0
    review = cli("-C", s3show.root, "--json", "review", "trailer", "--expires", "1h")
    assert review.exit_code == 0, review.stderr
    assert json.loads(review.stdout)["redactions"]["path"] == str(listed)
    text = cli("-C", s3show.root, "review", "trailer", "--expires", "1h")
    assert f"redaction list: {listed} (2 names)" in text.stdout
    monkeypatch.delenv("PODCAST_REDACTIONS")
    refused = cli("-C", s3show.root, "review", "trailer")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "this review would publish the names it hid" in refused.stderr


def test_another_producers_machine_with_the_same_list_is_the_same_list(show, tmp_path, monkeypatch, cli, caplog):
    """The record's fingerprint uses the target's key: a colleague's machine (another machine key) agrees."""
    write_redactions(tmp_path, monkeypatch, LIST)
    assert cli("-C", show, "publish").exit_code == 0
    recorded = state_of(show)["redactions"]
    monkeypatch.setenv("PODCAST_REDACTION_KEY_FILE", str(tmp_path / "colleague" / "redaction-key"))
    assert NAMES.fingerprint() != NAMES.fingerprint(bytes.fromhex(recorded["key"]))  # the machine keys differ
    edit_episode(show, "trailer", description="Marigold Featherstone grew up in Lowbridge. Updated notes.")
    again = cli("-C", show, "--json", "publish")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["redactions"]["changed"] is False
    assert "differs from the one" not in again.stderr
    assert state_of(show)["redactions"] == recorded  # same key, same fingerprint: nothing to rewrite
