"""Publishing the website: order, skipped unchanged pages, the gate, `[site] enabled`, overrides, S3, takedown, serve."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from s3_fixtures import anonymous
from safeguarding_helpers import edit_episode, write_redactions

BASE_URL = "https://media.example.org/survivor-voices"


@pytest.fixture
def show(site_show: Path, tmp_path: Path) -> Path:
    """A private copy of the published site show (its builds are cached: publishing only plans and uploads)."""
    root = tmp_path / "show"
    shutil.copytree(site_show, root)
    return root


def publish_json(cli, show: Path, *args: str) -> dict:
    result = cli("-C", show, "--json", "publish", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def append_toml(show: Path, text: str) -> None:
    with (show / "podcast.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n" + text + "\n")


def test_a_republish_with_nothing_changed_uploads_no_page(show, cli):
    report = publish_json(cli, show)
    assert report["pages_uploaded"] == [] and report["uploaded"] == [] and report["pages_unchanged"] == 8
    state = json.loads((show / "feed/.podcast/state.json").read_text())
    assert report["unchanged"] + report["pages_unchanged"] == len(state["objects"])  # the release's + the site's


def test_an_edited_episode_uploads_its_pages_but_not_the_assets(show, cli):
    edit_episode(show, "episode-1", title="Marigold's new garden")
    report = publish_json(cli, show)
    assert {"episodes/episode-1.html", "index.html"} <= set(report["pages_uploaded"])
    assert not [key for key in report["pages_uploaded"] if key.startswith("assets/")]
    assert "Marigold&#39;s new garden" in (show / "feed/index.html").read_text()
    keys = report["pages_uploaded"]  # in upload order
    assert keys.index("episodes/episode-1.html") < keys.index("index.html")  # pages before the show page


def test_turning_the_site_off_removes_it(show, cli):
    append_toml(show, "[site]\nenabled = false")
    report = publish_json(cli, show)
    assert "index.html" in report["deleted"] and "episodes/episode-1.html" in report["deleted"]
    feed = show / "feed"
    assert not (feed / "index.html").exists() and not list((feed / "assets").glob("*"))
    assert (feed / "feed.xml").is_file()


def test_a_show_can_override_templates_and_the_stylesheet(show, cli):
    (show / "site").mkdir()
    (show / "site" / "site.css").write_text("body { color: #000; }\n")
    (show / "site" / "404.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Lost in the garden</h1>{% endblock %}'
    )
    report = publish_json(cli, show)
    css = [key for key in report["pages_uploaded"] if key.endswith(".css")]
    assert len(css) == 1 and (show / "feed" / css[0]).read_text() == "body { color: #000; }\n"
    assert css[0] in (show / "feed/index.html").read_text()
    assert "Lost in the garden" in (show / "feed/404.html").read_text()
    assert any(key.endswith(".css") for key in report["deleted"])  # the old stylesheet goes


def test_the_gate_scans_every_page_as_uploaded(show, cli, tmp_path, monkeypatch):
    write_redactions(tmp_path, monkeypatch)
    append_toml(show, '[site]\nartwork_alt = "A drawing by Ana"')  # site text the show loader does not redact
    before = (show / "feed/index.html").read_bytes()
    result = cli("-C", show, "publish")
    assert result.exit_code == 1
    assert "safeguarding: publishing refused" in result.stderr and "index.html" in result.stderr
    assert "Ana" not in result.stderr.replace("name from the redaction list", "")
    assert (show / "feed/index.html").read_bytes() == before  # nothing went up


def test_takedown_removes_the_page_and_updates_the_show_page(show, cli):
    feed = show / "feed"
    assert (feed / "episodes/episode-1.html").is_file()
    result = cli("-C", show, "takedown", "episode-1", "--reason", "The contributor asked")
    assert result.exit_code == 0, result.stderr
    assert not (feed / "episodes/episode-1.html").exists()
    for key in ("index.html", "episodes/trailer.html", "sitemap.xml"):
        assert "episode-1.html" not in (feed / key).read_text(), key
    state = json.loads((feed / ".podcast/state.json").read_text())
    assert "episodes/episode-1.html" not in state["objects"]
    assert json.loads((feed / ".podcast/state.json").read_text())["objects"]["index.html"]["sha256"]
    assert publish_json(cli, show)["pages_uploaded"] == []  # the state record knows the new show page


def test_pages_on_s3_have_their_types_and_cache_lifetimes(make_s3_show, site_show, cli):
    s3show = make_s3_show(source=site_show)
    result = cli("-C", s3show.root, "publish")
    assert result.exit_code == 0, result.stderr
    status, headers, body = anonymous(f"{s3show.base_url}/index.html")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "public, max-age=300"
    css = re.search(rb'href="(assets/site-[0-9a-f]{12}\.css)"', body)
    assert css
    status, headers, _ = anonymous(f"{s3show.base_url}/{css.group(1).decode()}")
    assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-type"].startswith("text/css")
    status, headers, _ = anonymous(f"{s3show.base_url}/episodes/episode-1.html")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    again = cli("-C", s3show.root, "--json", "publish")
    assert json.loads(again.stdout)["pages_uploaded"] == []


def test_serve_previews_the_site(served):
    with urllib.request.urlopen(f"{served}/", timeout=10) as response:
        assert b"<h1>Survivor Voices</h1>" in response.read()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{served}/episodes/later.html", timeout=10)
    assert missing.value.code == 404 and b"Page not found" in missing.value.read()
    with urllib.request.urlopen(f"{served}/survivor-voices/robots.txt", timeout=10) as response:
        assert b"Sitemap:" in response.read()  # the 404 page names assets under the base URL's path
