"""Addresses with user:password@ at the CLI's edges: `init --base-url` refuses before writing, and
the one stderr formatter blanks any that a library puts into a log message."""

from __future__ import annotations

import logging
from pathlib import Path

from podcast.console.session import StderrFormatter

PASSWORD = "Sup3rSecretPw"


def test_init_refuses_a_base_url_with_credentials(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "fresh"
    result = cli("init", folder, "--title", "Fresh", "--base-url", f"https://u:{PASSWORD}@media.example.org/x")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: --base-url 'https://[redacted]@media.example.org/x' holds a user name or password"
    )
    assert PASSWORD not in result.stdout + result.stderr
    assert not (folder / "podcast.toml").exists()


def test_log_lines_redact_addresses() -> None:
    record = logging.LogRecord(
        "podcast.publishing.s3", logging.DEBUG, __file__, 1, "failed: %s", (f"http://admin:{PASSWORD}@h:9/x",), None
    )
    assert StderrFormatter().format(record) == "debug: failed: http://[redacted]@h:9/x"
