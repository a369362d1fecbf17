"""Every command is documented: help text with an Example, and a mention in README.md
(as sqlite-utils' tests/test_docs.py does)."""

from __future__ import annotations

import re

import click
import pytest
import typer.main
from conftest import REPO

from typer_app import app

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
DESIGN_COMMANDS = ["build", "feed", "init", "loudness", "new", "publish", "serve", "status", "validate"]


def test_every_design_command_exists():
    assert set(DESIGN_COMMANDS) <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example(name, cli):
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert command.help, f"`podcast {name}` is missing its help"
    result = cli(name, "--help")
    assert result.exit_code == 0, result.stderr
    assert re.search(rf"Example:.*\bpodcast\b.*\b{name}\b", result.stdout, re.S), (
        f"`podcast {name} --help` has no example"
    )


@pytest.mark.parametrize("name", COMMANDS)
def test_command_options_have_help(name):
    command: click.Command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"`podcast {name}` option {param.opts} has no help text"


def test_top_level_help_lists_every_command(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), f"{name} missing from `podcast --help`"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme(name):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    global_options = r"(?:(?:-C|--show) \S+ |--json |-v |-q )*"
    assert re.search(rf"\bpodcast {global_options}{name}\b", readme), f"README.md has no `podcast {name}` example"


def test_readme_has_the_exit_code_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3", "4"):
        assert re.search(rf"^\|\s*`?{code}`?\s*\|", readme, re.M), f"README.md exit-code table has no row for {code}"


def test_the_loudness_picture_is_in_the_readme():
    """Issue 19: the README shows what the audio step did, with the picture the build draws."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]+\]\((docs/[^)]+\.svg)\)", readme)
    assert "docs/loudness-example.svg" in images
    svg = (REPO / "docs" / "loudness-example.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    for label in ("target -16 LUFS", "true-peak ceiling -1 dBTP", "limiter", "bleep"):
        assert label in svg, label
