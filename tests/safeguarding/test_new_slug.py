"""`podcast new` refuses a slug with a listed name before the folder exists (the slug becomes the
episode's public addresses; the publish check would refuse it only after a build)."""

from __future__ import annotations

from pathlib import Path

from safeguarding_helpers import write_redactions


def test_a_slug_with_a_listed_name_part_is_refused_at_once(demo_show: Path, cli, tone: Path, monkeypatch) -> None:
    write_redactions(demo_show.parent, monkeypatch, "Marigold Featherstone => Jess\n")
    refused = cli("-C", demo_show, "new", "marigolds-story", "--audio", tone, "--title", "A school story")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: the slug contains a name from the redaction list (line 1)")
    assert "e.g. 'episode-" in refused.stderr  # a slug to use instead
    assert "arigold" not in refused.stderr + refused.stdout
    assert not any(p.name.startswith((".marigolds", "marigolds")) for p in (demo_show / "episodes").iterdir())
    made = cli("-C", demo_show, "new", "school-story", "--audio", tone, "--title", "Marigold's school")
    assert made.exit_code == 0, made.stderr  # a name in the title is replaced when published, not refused
    assert (demo_show / "episodes" / "school-story" / "episode.toml").is_file()


def test_without_a_list_any_valid_slug_is_made(demo_show: Path, cli, tone: Path, monkeypatch) -> None:
    monkeypatch.delenv("PODCAST_REDACTIONS", raising=False)
    assert cli("-C", demo_show, "new", "marigolds-story", "--audio", tone).exit_code == 0
