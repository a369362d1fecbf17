"""`[show] timezone` (issue 19 item 9): local release times without an offset; without the setting, refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from podcast.show.model import load_show


def _set_published(show: Path, value: str) -> Path:
    toml = show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("published = 2026-11-20T09:00:00Z", f"published = {value}"))
    return toml


def _set_zone(show: Path, zone: str) -> None:
    toml = show / "podcast.toml"
    toml.write_text(toml.read_text().replace("[audio]", f'timezone = "{zone}"\n\n[audio]', 1))


def test_a_local_time_is_read_in_the_show_timezone(demo_show: Path) -> None:
    _set_published(demo_show, "2026-07-01T09:00:00")  # summer: London is UTC+1
    _set_zone(demo_show, "Europe/London")
    published = load_show(demo_show).episode("trailer").manifest.published
    assert published.astimezone(UTC) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    toml = demo_show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("2026-07-01T09:00:00", "2026-12-01T09:00:00"))  # winter: UTC+0
    assert load_show(demo_show).episode("trailer").manifest.published.astimezone(UTC).hour == 9


def test_without_the_setting_a_local_time_is_refused(demo_show: Path, cli) -> None:
    toml = _set_published(demo_show, "2026-11-20T09:00:00")
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1 and str(toml) in result.stderr
    assert "has no time zone" in result.stderr and 'timezone = "Europe/London"' in result.stderr


def test_a_time_without_seconds_and_an_unknown_zone_say_how_to_fix_them(demo_show: Path, cli) -> None:
    _set_zone(demo_show, "Europe/Londn")
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1 and "'Europe/Londn' is not a time zone name" in result.stderr
    _set_zone(demo_show, "Europe/London")
    text = (demo_show / "podcast.toml").read_text().replace('timezone = "Europe/Londn"\n', "")
    (demo_show / "podcast.toml").write_text(text)
    _set_published(demo_show, "2026-11-20T09:00")
    result = cli("-C", demo_show, "status")
    assert result.exit_code == 1 and "TOML times need seconds: write published = 2026-11-20T09:00:00" in result.stderr


def test_new_reads_a_local_published_time_in_the_show_timezone(demo_show: Path, cli, tone: Path, clock) -> None:
    clock("2026-11-25T12:00:00Z")
    result = cli("-C", demo_show, "new", "ep-1", "--audio", tone, "--published", "2026-12-01T09:00")
    assert result.exit_code == 1 and "has no time zone" in result.stderr
    _set_zone(demo_show, "America/New_York")
    assert cli("-C", demo_show, "new", "ep-1", "--audio", tone, "--published", "2026-12-01T09:00").exit_code == 0
    rows = json.loads(cli("-C", demo_show, "--json", "status").stdout)["episodes"]
    row = next(r for r in rows if r["slug"] == "ep-1")
    assert datetime.fromisoformat(row["published"]).astimezone(UTC) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
