"""Embargo with release times written in any zone: UTC, a positive offset, a negative offset, and a zone whose
offset changes (a daylight-saving change) between now and the release.

In every case the episode released an hour ago is published and the one released an hour from now has
nothing in the feed or the target. A release time compared as if its wall-clock reading were UTC (a
naive comparison) gets these wrong by hours: ``-05:00`` an hour ahead reads as four hours ago and would
be published early; ``+05:30`` an hour ago reads as four and a half hours ahead. Each case below checks
that it is one of those that tell, so the suite catches such a change.

The product has no clock override. The fixed-offset cases use the real clock (release times relative to
it); the daylight-saving cases need "now" next to a real change, so they set it with the ``clock``
fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from safeguarding_helpers import add_episode, copy_built_demo, feed_items

HOUR = timedelta(hours=1)
PLUS_0530 = timezone(timedelta(hours=5, minutes=30))
MINUS_0500 = timezone(timedelta(hours=-5))


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    return copy_built_demo(built_demo, tmp_path)


def _written(moment: datetime, zone: tzinfo) -> str:
    """The release time as a producer writes it in episode.toml: local time with its offset, whole seconds."""
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def _naive_reading(written: str) -> datetime:
    """What a naive comparison sees: the wall-clock reading taken as UTC."""
    return datetime.fromisoformat(written).replace(tzinfo=UTC)


def _publish_pair(cli, show: Path, tone: Path, now: datetime, zone: tzinfo) -> tuple[dict, dict[str, dict]]:
    """Add an episode released an hour ago and one released in an hour (both written in ``zone``), publish."""
    episodes = {}
    for slug, number, moment in (("released", 1, now - HOUR), ("held", 2, now + HOUR)):
        written = _written(moment, zone)
        folder = add_episode(show, slug, tone, number=number, title=f"Story {slug} {number}", published=written)
        manifest = tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))
        expected = datetime.fromisoformat(written)
        assert manifest["published"] == expected and manifest["published"].utcoffset() == expected.utcoffset()
        episodes[slug] = {"written": written, "guid": manifest["guid"], "title": f"Story {slug} {number}"}
    result = cli("-C", show, "--json", "publish")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), episodes


def _assert_released_and_held(show: Path, report: dict, episodes: dict[str, dict]) -> None:
    held, released = episodes["held"], episodes["released"]
    assert "held" in [entry["slug"] for entry in report["embargoed"]], report["embargoed"]
    assert "released" in report["episodes"] and "held" not in report["episodes"], report["episodes"]
    target = show / "feed"
    guids = set(feed_items(target / "feed.xml"))
    assert released["guid"] in guids and held["guid"] not in guids
    assert list((target / "media").glob("released-*.mp3")), "the released episode's audio is not online"
    for path in (p for p in target.rglob("*") if p.is_file()):
        assert "held" not in str(path.relative_to(target)), path
        data = path.read_bytes()
        for marker in (held["title"], held["guid"], "episodes/held"):
            assert marker.encode() not in data, (path, marker)


@pytest.mark.parametrize(
    ("zone", "naive_error"),
    [
        (UTC, None),  # the reference: wall clock and UTC agree
        (PLUS_0530, "held-early"),  # naive: the released one would read as 4.5 hours ahead
        (MINUS_0500, "released-early"),  # naive: the held one would read as 4 hours ago
    ],
    ids=["utc", "plus-0530", "minus-0500"],
)
def test_release_times_with_an_offset(show, cli, tone, zone, naive_error):
    now = datetime.now(UTC)
    report, episodes = _publish_pair(cli, show, tone, now, zone)
    _assert_released_and_held(show, report, episodes)
    # This case tells a naive comparison apart: its reading of one of the two times is on the wrong side of now.
    if naive_error == "released-early":
        assert _naive_reading(episodes["held"]["written"]) < now - 3 * HOUR
    elif naive_error == "held-early":
        assert _naive_reading(episodes["released"]["written"]) > now + 3 * HOUR


@pytest.mark.parametrize(
    ("zone", "now"),
    [
        # New York falls back at 06:00 UTC: now is 01:30 EDT (-04:00), the release 01:30 EST (-05:00), so
        # the two wall-clock readings are the same and only the offsets tell the hour between them.
        ("America/New_York", "2026-11-01T05:30:00Z"),
        # London springs forward at 01:00 UTC: now is 00:30 GMT (+00:00), the release 02:30 BST (+01:00).
        ("Europe/London", "2027-03-28T00:30:00Z"),
    ],
)
def test_release_just_after_a_daylight_saving_change(show, cli, tone, clock, zone, now):
    moment = clock(now)
    local = ZoneInfo(zone)
    assert (moment + HOUR).astimezone(local).utcoffset() != moment.astimezone(local).utcoffset(), "no change between"
    report, episodes = _publish_pair(cli, show, tone, moment, local)
    _assert_released_and_held(show, report, episodes)


def test_a_stray_clock_variable_releases_nothing(show, cli, tone, monkeypatch):
    """PODCAST_NOW was once a clock override; set now, it is ignored and the embargo holds."""
    release = _written(datetime.now(UTC) + HOUR, MINUS_0500)
    add_episode(show, "held", tone, number=2, title="Held story", published=release)
    monkeypatch.setenv("PODCAST_NOW", "2099-01-01T00:00:00Z")
    result = cli("-C", show, "--json", "status")
    assert result.exit_code == 0, result.stderr
    rows = {row["slug"]: row for row in json.loads(result.stdout)["episodes"]}
    assert rows["held"]["release"].startswith("embargoed until"), rows["held"]
