"""`podcast review --expires` (issue 19 item 8): a unit is required, the deadline reads like a date, and the
message to the contributor is ready to send."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from podcast.publishing.review import parse_expires
from podcast.timecode import until_text


@pytest.mark.parametrize("bare", ["2", "90", " 3 "])
def test_a_bare_number_is_refused_with_the_units_to_choose_from(demo_show, cli, bare):
    with pytest.raises(Exception, match="has no unit"):
        parse_expires(bare)
    result = cli("-C", demo_show, "review", "trailer", "--expires", bare)
    assert result.exit_code == 1, result.stdout
    number = bare.strip()
    assert f"has no unit — write {number}d for days, {number}h for hours" in result.stderr


def test_a_bare_number_in_podcast_toml_is_refused(demo_show, cli):
    toml = demo_show / "podcast.toml"
    toml.write_text(toml.read_text() + '\n[safeguarding]\nreview_expires = "2"\n')
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1 and "review_expires" in result.stderr and '"7d"' in result.stderr


def test_the_deadline_in_words():
    now = datetime(2026, 11, 29, 19, 29, tzinfo=UTC)
    assert until_text(datetime(2026, 12, 2, 19, 29, tzinfo=UTC), now) == "until Wed 2 Dec 19:29 UTC (in 3 days)"
    assert parse_expires("3d") == 3 * 86400


def test_review_prints_the_deadline_and_a_message_to_send(cli, make_s3_show, clock):
    show = make_s3_show()
    clock("2026-11-29T19:29:00Z")
    result = cli("-C", show.root, "review", "trailer", "--expires", "3d")
    assert result.exit_code == 0, result.stderr
    assert "links work until Wed 2 Dec 19:29 UTC (in 3 days)" in result.stdout
    head, message = result.stdout.split("ready to send (copy everything below this line):\n", 1)
    page = re.findall(r"http\S+", head)
    assert len(page) == 1 and "/index.html?" in page[0]  # one link printed: the review page
    assert message.startswith('Hello, here is a private preview of "Welcome to Survivor Voices"')
    assert re.findall(r"http\S+", message) == page  # and the message carries that one link
    assert "The link works until Wed 2 Dec 19:29 UTC (in 3 days)" in message
    data = json.loads(cli("-C", show.root, "--json", "review", "trailer", "--expires", "2h").stdout)
    assert data["expires_at"].startswith("2026-11-29T21:29")
