"""Calm output and messages in JSON (issue 19 items 3 and 4): a warning once per run, none for a
withdrawn episode, and with --json the warnings and the error are in the JSON too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safeguarding_helpers import write_redactions

from podcast.console.session import OncePerRun


def test_a_warning_is_printed_once_per_run() -> None:
    import logging

    handler = OncePerRun()
    logger = logging.getLogger("podcast.test-once")
    logger.addHandler(handler)
    try:
        for _ in range(3):
            logger.warning("episodes/a/episode.toml: unknown key 'titel'")
        logger.warning("another")
    finally:
        logger.removeHandler(handler)
    assert handler.warnings == ["episodes/a/episode.toml: unknown key 'titel'", "another"]


def test_warnings_and_errors_are_in_the_json(demo_show: Path, cli) -> None:
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("explicit = false", "explicit = false\nsesaon = 2"))
    result = cli("-C", demo_show, "--json", "status")
    assert result.exit_code == 0, result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1 and "sesaon" in warnings[0] and "season" in warnings[0]
    assert result.stderr.count("sesaon") == 1
    checked = json.loads(cli("-C", demo_show, "--json", "validate").stdout)  # its own "warnings" is a count
    assert isinstance(checked["warnings"], int) and any("sesaon" in w for w in checked["logged_warnings"])

    toml.write_text(toml.read_text().replace('audio = "master.flac"', 'audio = "missing.flac"'))
    failed = cli("-C", demo_show, "status", "--json")
    assert failed.exit_code == 1
    data = json.loads(failed.stdout)
    assert data["error"]["exit_code"] == 1 and "missing.flac" in data["error"]["message"]
    assert failed.stderr.count("error: ") == 1 and len(data["warnings"]) == 1


def test_a_withdrawn_episode_stays_quiet(demo_show: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    write_redactions(demo_show.parent, monkeypatch, "Marigold Featherstone\n")
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace('title = "Welcome to Survivor Voices"', 'title = "Marigold\'s welcome"'))
    loud = cli("-C", demo_show, "status")
    assert "contains a name from the redaction list" in loud.stderr
    toml.write_text(toml.read_text().replace("explicit = false", "explicit = false\nwithdrawn = true"))
    quiet = cli("-C", demo_show, "status")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr


def test_warnings_only_for_the_episodes_a_command_acts_on(demo_show: Path, cli, tone: Path) -> None:
    assert cli("-C", demo_show, "new", "second", "--audio", tone).exit_code == 0
    toml = demo_show / "episodes" / "second" / "episode.toml"
    toml.write_text(toml.read_text().replace("explicit = false", "explicit = false\nsesaon = 2"))
    other = cli("-C", demo_show, "review", "trailer")  # refused on a local target, after loading the show
    assert other.exit_code == 1 and "sesaon" not in other.stderr
    this = cli("-C", demo_show, "review", "second")
    assert this.stderr.count("sesaon") == 1
    everything = cli("-C", demo_show, "status")
    assert everything.stderr.count("sesaon") == 1


def test_each_hint_is_printed_once_per_run(demo_show: Path, cli, tone: Path) -> None:
    """Two episodes with the same slip: two lines (each names its file), one how-to-fix; JSON keeps both whole."""
    assert cli("-C", demo_show, "new", "second", "--audio", tone).exit_code == 0
    for slug in ("trailer", "second"):
        toml = demo_show / "episodes" / slug / "episode.toml"
        toml.write_text(toml.read_text().replace("explicit = false", "explicit = false\nsesaon = 2"))
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "sesaon" in line]
    assert len(lines) == 2 and "/trailer/" in lines[0] + lines[1] and "/second/" in lines[0] + lines[1]
    assert result.stderr.count("did you mean 'season'?") == 1 and result.stderr.count("— as above") == 1
    as_json = cli("-C", demo_show, "--json", "status")
    warnings = [w for w in json.loads(as_json.stdout)["warnings"] if "sesaon" in w]
    assert len(warnings) == 2 and all(w.endswith("did you mean 'season'?") for w in warnings)


def test_validate_gives_a_rules_fix_once() -> None:
    from podcast.console.text import validate_text
    from podcast.validate.findings import Finding

    notes = [
        Finding("scaffold-notes", "warning", f"episodes/{slug}/episode.toml", "still has the example notes", "write")
        for slug in ("a", "b")
    ]
    other = Finding("scaffold-artwork", "warning", "artwork.jpg", "is the placeholder", "write")
    lines = validate_text([*notes, other], 0, 3).splitlines()
    assert lines[0].endswith("— write [scaffold-notes]") and lines[1].endswith("— as above [scaffold-notes]")
    assert lines[2].endswith("— write [scaffold-artwork]")  # another rule's fix is its own, even if it reads alike


def test_a_warning_during_progress_bars_is_printed_above_them_whole() -> None:
    """A build warning while the bars are drawn went into the middle of a bar and was cut off."""
    import io
    import logging

    from rich.console import Console

    from podcast.console.progress import ProgressView
    from podcast.console.session import Context, configure_logging

    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    root = logging.getLogger("podcast")
    saved = (root.handlers[:], root.level, root.propagate)
    configure_logging(verbose=False, quiet=False)
    try:
        with ProgressView(Context(Path("."), json=False, verbose=False, quiet=False), console=console) as view:
            view.update("trailer", "encode", 0.5)
            logging.getLogger("podcast.build").warning("trailer: the limiter worked hard — export it again")
            view.update("trailer", "encode", 1.0)
    finally:
        root.handlers[:], root.level, root.propagate = saved
    assert "warning: trailer: the limiter worked hard — export it again\n" in out.getvalue()
