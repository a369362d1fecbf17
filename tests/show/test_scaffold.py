"""Scaffolds without traps (issue 19 item 2): `init --base-url`, `new`'s commented optional keys,
repeated `--audio`, validate's scaffold-leftover warnings, and publish stopping on validate errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from safeguarding_helpers import write_redactions

from podcast.show.manifest import show_guid
from podcast.show.model import load_show


@pytest.fixture
def private_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_redactions(tmp_path, monkeypatch, "Marigold Featherstone\n")


def test_init_hint_asks_for_the_base_url_only_when_it_was_not_given(tmp_path: Path, cli) -> None:
    plain = cli("init", tmp_path / "plain")
    assert plain.exit_code == 0
    assert "set [publish] base_url" in plain.stdout and "--base-url https://" in plain.stdout
    base = "https://podcasts.charity.org.uk/voices"
    real = cli("init", tmp_path / "real", "--base-url", base)
    assert real.exit_code == 0 and "base_url" not in real.stdout
    assert "[safeguarding] redactions" in real.stdout  # the list is the next step either way
    data = tomllib.loads((tmp_path / "real" / "podcast.toml").read_text())
    assert data["show"]["guid"] == show_guid(f"{base}/feed.xml")


def test_new_writes_optional_keys_commented_and_takes_several_audio_files(
    tmp_path: Path, cli, tone: Path, private_list: Path
) -> None:
    root = tmp_path / "show"
    assert cli("init", root, "--base-url", "https://podcasts.charity.org.uk/voices").exit_code == 0
    intro, outro = tmp_path / "intro.wav", tmp_path / "outro.wav"
    intro.write_bytes(tone.read_bytes())
    outro.write_bytes(tone.read_bytes())
    result = cli("-C", root, "new", "ep-1", "--audio", intro, "--audio", tone, "--audio", outro)
    assert result.exit_code == 0, result.stderr
    text = (root / "episodes" / "ep-1" / "episode.toml").read_text()
    for key in ("# content_warning = ", "# transcript = ", "# artwork = ", "# [[chapters]]", "# [[tracks]]"):
        assert key in text, key
    data = tomllib.loads(text)
    assert not {"content_warning", "transcript", "artwork", "chapters", "tracks"} & set(data)
    assert data["audio"] == ["intro.wav", "tone.wav", "outro.wav"]
    episode = load_show(root).episode("ep-1")
    assert [p.name for p in episode.audio_paths] == ["intro.wav", "tone.wav", "outro.wav"]
    assert all(p.read_bytes() == tone.read_bytes() for p in episode.audio_paths)

    same = cli("-C", root, "new", "ep-2", "--audio", tone, "--audio", tone)
    assert same.exit_code == 1 and "same name (tone.wav)" in same.stderr
    assert not (root / "episodes" / "ep-2").exists()


def test_validate_warns_on_each_scaffold_leftover(tmp_path: Path, cli, tone: Path, private_list: Path) -> None:
    root = tmp_path / "show"
    assert cli("init", root).exit_code == 0
    assert cli("-C", root, "new", "ep-1", "--audio", tone, "--title", "First steps").exit_code == 0
    result = cli("-C", root, "--json", "validate")
    assert result.exit_code == 0, result.stdout  # warnings, not errors
    found = {(f["rule"], f["where"]) for f in json.loads(result.stdout)["findings"]}
    assert {
        ("scaffold-artwork", "artwork.jpg"),
        ("scaffold-notes", "podcast.toml: [show] description"),
        ("scaffold-notes", "episodes/ep-1/episode.toml: description"),
        ("scaffold-address", "podcast.toml: [show] owner email"),
        ("scaffold-address", "podcast.toml: [show] support_notice"),
        ("scaffold-address", "podcast.toml: [publish] base_url"),
    } <= found

    # Replaced, each warning goes away.
    from PIL import Image

    Image.new("RGB", (1400, 1400), (200, 30, 60)).save(root / "artwork.jpg", "JPEG")
    toml = root / "podcast.toml"
    toml.write_text(
        toml.read_text()
        .replace("What the show is about, in a few sentences.", "Voices of recovery.")
        .replace("podcast@example.org", "podcast@charity.org.uk")
        .replace("https://example.org/support", "https://charity.org.uk/support")
        .replace("https://example.org/podcast", "https://charity.org.uk/podcast")
    )
    notes = root / "episodes" / "ep-1" / "episode.toml"
    notes.write_text(notes.read_text().replace("Show notes in Markdown.", "We meet the team."))
    result = cli("-C", root, "--json", "validate", "--base-url", "https://podcasts.charity.org.uk/voices")
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert not {r for r in rules if r.startswith("scaffold-")}, rules


def test_publish_stops_on_validate_errors(tmp_path: Path, cli, tone: Path, private_list: Path) -> None:
    # The classic scaffold trap: base_url changed by hand, the example guid left as it was.
    root = tmp_path / "show"
    assert cli("init", root).exit_code == 0
    toml = root / "podcast.toml"
    toml.write_text(toml.read_text().replace("https://media.example.org/podcast", "https://podcasts.charity.org.uk/v"))
    assert cli("-C", root, "new", "ep-1", "--audio", tone).exit_code == 0
    result = cli("-C", root, "publish")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "publishing stopped: the feed has 1 validation error(s)" in result.stderr
    assert "[podcast-guid-placeholder]" in result.stderr and "run `podcast validate` to see each error" in result.stderr
    assert not (root / "feed" / "feed.xml").exists() and not list((root / "feed").rglob("*.mp3"))
    assert cli("-C", root, "publish", "--dry-run").exit_code == 1
