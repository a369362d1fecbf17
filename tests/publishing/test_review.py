"""`podcast review`: private, expiring links. Without S3 it refuses clearly (a folder cannot keep a secret)."""

from __future__ import annotations

import pytest

from podcast.publishing.review import parse_expires


def test_review_on_a_local_target_is_a_clear_error(demo_show, cli):
    result = cli("-C", demo_show, "review", "trailer")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: review links need an S3 target, and this show publishes to ")
    assert "--target s3://" in result.stderr and "Traceback" not in result.stderr
    assert not (demo_show / "feed").exists() or not any((demo_show / "feed").rglob("review*"))


@pytest.mark.parametrize("bad", ["8d", "soon", "0", "-1h"])
def test_bad_lifetimes_are_refused(demo_show, cli, bad):
    result = cli("-C", demo_show, "review", "trailer", "--expires", bad)
    assert result.exit_code == 1 and f"--expires '{bad}'" in result.stderr


def test_lifetimes():
    assert parse_expires("30m") == 1800 and parse_expires("7d") == 604800 and parse_expires(" 2h ") == 7200
