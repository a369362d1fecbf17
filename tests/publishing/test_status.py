"""`podcast status`: not built / built / stale, published / embargoed / withdrawn, as text and JSON;
and an embargoed episode leaves no trace in the publishing target."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, make_audio
from typer.testing import CliRunner

EPISODES = {
    # slug: (number, published, extra keys)
    "live-one": (1, "2026-01-05T09:00:00Z", ""),
    "built-only": (2, "2026-01-12T09:00:00Z", ""),
    "fresh": (3, "2026-01-19T09:00:00Z", ""),
    "release-2031": (4, "2031-01-01T09:00:00Z", ""),
    "gone": (5, "2026-01-02T09:00:00Z", "withdrawn = true\n"),
}
EMBARGOED_TITLE = "Embargoed story"
EMBARGOED_GUID = "e3b0c442-4444-4aaa-8bbb-000000000004"


def run(*args: object, env: dict[str, str] | None = None):
    from typer_app import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False, env=env)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def show(tmp_path_factory, tone) -> Path:
    """Five episodes in every state: live-one published, built-only built, fresh untouched,
    release-2031 embargoed until 2031, gone withdrawn."""
    base = tmp_path_factory.mktemp("status")
    root = base / "show"
    root.mkdir()
    shutil.copy2(REPO / "podcast.toml", root / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    secret = make_audio(base / "release-2031.wav", source="sine=frequency=660:duration=2")
    for index, (slug, (number, published, extra)) in enumerate(EPISODES.items(), start=1):
        folder = root / "episodes" / slug
        folder.mkdir(parents=True)
        shutil.copy2(secret if slug == "release-2031" else tone, folder / "master.wav")
        title = EMBARGOED_TITLE if slug == "release-2031" else f"Episode {slug}"
        guid = EMBARGOED_GUID if slug == "release-2031" else f"e3b0c442-4444-4aaa-8bbb-00000000000{index}"
        (folder / "episode.toml").write_text(
            f'title = "{title}"\nnumber = {number}\npublished = {published}\naudio = "master.wav"\n'
            f'description = "Notes for {slug}."\nguid = "{guid}"\n{extra}',
            encoding="utf-8",
        )
    run("-C", root, "publish", "live-one")
    run("-C", root, "build", "built-only")
    return root


def status_rows(root: Path) -> dict[str, dict]:
    data = json.loads(run("-C", root, "status", "--json").stdout)
    return {row["slug"]: row for row in data["episodes"]}


def test_status_json_structure(show):
    data = json.loads(run("-C", show, "--json", "status").stdout)
    assert list(data) == ["episodes", "warnings"] and data["warnings"] == []
    rows = data["episodes"]
    assert [row["slug"] for row in rows] == sorted(EPISODES)
    for row in rows:
        assert set(row) == {
            "slug",
            "number",
            "title",
            "published",
            "duration_s",
            "build",
            "stale_because",
            "release",
            "release_in",
            "release_utc",
        }
        number, published, _ = EPISODES[row["slug"]]
        assert row["number"] == number
        assert row["published"] == published.replace("Z", "+00:00")
        assert isinstance(row["title"], str) and row["title"]


def test_status_of_each_state(show):
    rows = status_rows(show)
    assert (rows["live-one"]["build"], rows["live-one"]["release"]) == ("built", "published")
    assert (rows["built-only"]["build"], rows["built-only"]["release"]) == ("built", "not published")
    assert (rows["fresh"]["build"], rows["fresh"]["release"]) == ("not built", "not published")
    assert rows["release-2031"]["build"] == "not built"
    assert rows["release-2031"]["release"].startswith("embargoed until 2031-01-01T09:00:00")
    assert rows["gone"]["release"] == "withdrawn"


def test_status_text(show):
    result = run("-C", show, "status")
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == set(EPISODES)
    assert re.search(r"\sbuilt\s+published$", lines["live-one"].rstrip()), lines["live-one"]
    assert "not built" in lines["fresh"] and "not published" in lines["fresh"]
    assert "embargoed until Wed 1 Jan 2031 09:00 UTC (in " in lines["release-2031"]
    assert lines["gone"].rstrip().endswith("withdrawn")
    assert result.stderr == ""


def test_status_sees_a_stale_build(show, tmp_path):
    root = tmp_path / "show"
    shutil.copytree(show, root)
    manifest = root / "episodes" / "live-one" / "episode.toml"
    manifest.write_text(manifest.read_text().replace("Notes for live-one.", "New notes."))
    rows = status_rows(root)
    assert rows["live-one"]["build"] == "stale"
    run("-C", root, "build", "live-one")
    rows = status_rows(root)
    assert rows["live-one"]["build"] == "built"
    assert rows["live-one"]["release"].startswith("published, changed since")


def test_embargo_lifts_at_its_time(show, clock):
    """A fake clock rehearses the release: after the embargo time the episode is simply unpublished."""
    clock("2031-01-01T09:00:01Z")
    rows = status_rows(show)
    assert rows["release-2031"]["release"] == "not published"
    clock("2031-01-01T08:59:59Z")
    rows = status_rows(show)
    assert rows["release-2031"]["release"].startswith("embargoed")


def test_embargoed_episode_is_nowhere_in_the_target(show, tmp_path):
    root = tmp_path / "show"
    shutil.copytree(show, root)
    result = run("-C", root, "publish")
    assert "release-2031: embargoed until Wed 1 Jan 2031 09:00 UTC" in result.stdout
    target = root / "feed"
    secret = (root / "episodes" / "release-2031" / "master.wav").read_bytes()
    for path in (p for p in target.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert data != secret, path
        for marker in (b"release-2031", EMBARGOED_TITLE.encode(), EMBARGOED_GUID.encode()):
            assert marker not in data and marker.decode() not in str(path.relative_to(target)), (path, marker)
    media = sorted(p.name.rsplit("-", 1)[0] for p in (target / "media").iterdir())
    assert media == ["built-only", "fresh", "live-one"]  # withdrawn and embargoed episodes: nothing uploaded
    assert not (root / "build" / "release-2031").exists()  # not even rendered before its time
    feed = (target / "feed.xml").read_text(encoding="utf-8")
    assert feed.count("<item>") == 3
    rows = status_rows(root)
    assert rows["release-2031"]["release"].startswith("embargoed") and rows["fresh"]["release"] == "published"


# --- issue 19 item 5: a status worth reading ------------------------------------------------------


def test_status_says_title_duration_release_in_and_why_stale(show, tmp_path, clock):
    root = tmp_path / "show"
    shutil.copytree(show, root)
    manifest = root / "episodes" / "live-one" / "episode.toml"
    manifest.write_text(
        manifest.read_text().replace("Notes for live-one.", "New notes.")
        + '\n[[chapters]]\nstart = "00:00:00"\ntitle = "Start"\n'
    )
    clock("2030-12-30T19:30:00Z")  # 1 d 13 h 30 min before release-2031
    rows = status_rows(root)
    assert rows["live-one"]["build"] == "stale" and rows["live-one"]["stale_because"] == ["notes", "chapters"]
    assert rows["live-one"]["duration_s"] == pytest.approx(3.0, abs=0.1)
    assert rows["release-2031"]["release_in"] == "1 d 13 h"
    text = {line.split()[0]: line for line in run("-C", root, "status").stdout.splitlines()}
    assert "Episode live-one" in text["live-one"] and "00:00:03" in text["live-one"]
    assert "stale (notes, chapters)" in text["live-one"]
    assert "embargoed until Wed 1 Jan 2031 09:00 UTC (in 1 d 13 h)" in text["release-2031"]
    release_column = {max(m.end() for m in re.finditer(r"  +", line.rstrip())) for line in text.values()}
    assert len(release_column) == 1, text  # a long "stale (…)" reason does not push its release out of line

    # The master replaced: the audio is why.
    make_audio(root / "episodes" / "built-only" / "master.wav", source="sine=frequency=300:duration=3")
    assert status_rows(root)["built-only"]["stale_because"] == ["audio"]


def test_status_without_aws_credentials_shows_the_local_state(cli, make_s3_show, monkeypatch):
    show = make_s3_show()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    result = cli("-C", show.root, "status")
    assert result.exit_code == 0, result.stderr
    # The local build state is there (built for the demo's base URL, so stale: the feed URL in its tags).
    assert "Welcome to Survivor Voices 00:00:17  stale (details)" in result.stdout
    assert "publish state unknown (no AWS credentials)" in result.stdout
