"""Issue 17, reach: podcast:guid written on the first publish, and apps told at once (WebSub, pubnotify).

The hub and the pubnotify endpoint are a real HTTP server on 127.0.0.1 (tests/reach_fixtures.py);
the tests check the requests it received.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from pathlib import Path
from typing import Any

from lxml import etree
from reach_fixtures import SLOW_S, NotifyServers

from podcast.publishing.feed import ATOM_NS, PODCAST_NS
from podcast.publishing.notify import notify_feed_changed
from podcast.show.manifest import show_guid

FEED_URL = "https://media.example.org/survivor-voices/feed.xml"
NS = {"podcast": PODCAST_NS, "atom": ATOM_NS}


def _set_notify(show: Path, entries: str, timeout: float = 2) -> None:
    toml = show / "podcast.toml"
    text = re.sub(r"(?m)^notify = .*$", f"notify = {entries}", toml.read_text())
    toml.write_text(re.sub(r"(?m)^notify_timeout_s = .*$", f"notify_timeout_s = {timeout}", text))


def _edit_notes(show: Path) -> None:
    """A change that alters the feed without audio work (the notes are re-tagged, the feed rewritten)."""
    manifest = show / "episodes" / "recovery" / "episode.toml"
    manifest.write_text(manifest.read_text().replace("talks about recovery", "talks about recovery and hope"))


# --- podcast:guid ---------------------------------------------------------------------------


def test_first_publish_writes_show_guid_keeping_comments(reach_template: dict[str, Any]) -> None:
    root: Path = reach_template["root"]
    text = (root / "podcast.toml").read_text()
    guid = show_guid(FEED_URL)
    assert tomllib.loads(text)["show"]["guid"] == guid
    # tomlkit kept the producer's comments and layout, and the new line says what it is.
    assert text.startswith("# The show: every reach option of issue 17 set.\n")
    assert "# podcast:image alt" in text and "# low bandwidth" in text and "# no guid: the first publish" in text
    assert re.search(rf'(?m)^guid = "{guid}" # podcast:guid, the UUIDv5 of {re.escape(FEED_URL)}', text)
    assert reach_template["report"]["show_guid_written"] == guid
    feed = etree.parse(str(root / "feed" / "feed.xml"))
    assert feed.findtext("channel/podcast:guid", namespaces=NS) == guid


def test_later_publishes_keep_the_stored_guid_when_the_url_moves(reach_show: Path, cli) -> None:
    guid = show_guid(FEED_URL)
    moved = cli("-C", reach_show, "--json", "publish", "--base-url", "https://new-host.example.net/show")
    assert moved.exit_code == 0, moved.stderr
    assert json.loads(moved.stdout)["show_guid_written"] is None
    assert tomllib.loads((reach_show / "podcast.toml").read_text())["show"]["guid"] == guid
    feed = etree.parse(str(reach_show / "feed" / "feed.xml"))
    assert (
        feed.findtext("channel/podcast:guid", namespaces=NS)
        == guid
        != show_guid("https://new-host.example.net/show/feed.xml")
    )


def test_dry_run_and_feed_command_write_no_guid(reach_show: Path, cli) -> None:
    toml = reach_show / "podcast.toml"
    toml.write_text(re.sub(r"(?m)^guid = .*\n", "", toml.read_text()))
    before = toml.read_bytes()
    dry = cli("-C", reach_show, "--json", "publish", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["show_guid_written"] is None and toml.read_bytes() == before
    out = cli("-C", reach_show, "feed", "--output", "-")
    assert out.exit_code == 0 and f"<podcast:guid>{show_guid(FEED_URL)}</podcast:guid>".encode() in out.stdout_bytes
    assert toml.read_bytes() == before


# --- notifications --------------------------------------------------------------------------


def test_feed_declares_the_websub_hub(reach_template: dict[str, Any], notify_servers: NotifyServers) -> None:
    channel = etree.parse(str(reach_template["root"] / "feed" / "feed.xml")).find("channel")
    hubs = [link.get("href") for link in channel.findall("atom:link", NS) if link.get("rel") == "hub"]
    assert hubs == [f"{notify_servers.base}/hub"]  # pubnotify is not a hub: not declared


def test_first_publish_told_the_hub_and_pubnotify(reach_template: dict[str, Any]) -> None:
    requests = reach_template["requests"]
    hub = [r for r in requests if r.path == "/hub"]
    index = [r for r in requests if r.path == "/pubnotify"]
    assert len(hub) == 1 and hub[0].method == "POST"
    assert hub[0].form == {"hub.mode": ["publish"], "hub.url": [FEED_URL]}
    assert hub[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert len(index) == 1 and index[0].method == "GET" and index[0].query == {"url": [FEED_URL]}
    assert hub[0].headers["User-Agent"].startswith("survivor-voices-podcast/")
    told = reach_template["report"]["notifications"]
    assert [(n["kind"], n["ok"], n["status"]) for n in told] == [("websub", True, 204), ("pubnotify", True, 200)]


def test_nothing_is_sent_when_the_feed_did_not_change_or_for_a_dry_run(
    reach_show: Path, cli, notify_servers: NotifyServers
) -> None:
    again = cli("-C", reach_show, "--json", "publish")
    assert again.exit_code == 0 and json.loads(again.stdout)["notifications"] == []
    _edit_notes(reach_show)
    dry = cli("-C", reach_show, "--json", "publish", "--dry-run")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["feed_changed"] is True
    assert json.loads(dry.stdout)["notifications"] == []
    assert notify_servers.requests == []


def test_a_failed_notification_is_a_warning_and_the_publish_stands(
    reach_show: Path, cli, notify_servers: NotifyServers
) -> None:
    base = notify_servers.base
    _set_notify(reach_show, f'[{{ websub = "{base}/broken" }}, {{ pubnotify = "{base}/slow" }}]', timeout=0.5)
    _edit_notes(reach_show)
    started = time.monotonic()
    result = cli("-C", reach_show, "--json", "publish")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["feed_changed"] is True
    assert b"talks about recovery and hope" in (reach_show / "feed" / "feed.xml").read_bytes()  # not rolled back
    broken, slow = report["notifications"]
    assert (broken["kind"], broken["ok"], broken["status"]) == ("websub", False, 500)
    assert "HTTP 500" in broken["error"]
    assert (slow["kind"], slow["ok"], slow["status"]) == ("pubnotify", False, None)
    assert "timeout" in slow["error"] or "within" in slow["error"]
    assert slow["seconds"] < SLOW_S - 1  # the timeout bounded it
    assert f"could not tell the WebSub hub {base}/broken that the feed changed: the endpoint answered HTTP 500" in (
        result.stderr
    )
    assert "warning: " in result.stderr and "error: " not in result.stderr
    assert elapsed < 30  # one bounded wait, not one per endpoint in turn
    assert {r.path for r in notify_servers.requests} == {"/broken", "/slow"}


def test_text_output_lists_each_notification(reach_show: Path, cli, notify_servers: NotifyServers) -> None:
    _edit_notes(reach_show)
    result = cli("-C", reach_show, "publish")
    assert result.exit_code == 0, result.stderr
    assert f"told websub {notify_servers.base}/hub" in result.stdout
    assert f"told pubnotify {notify_servers.base}/pubnotify" in result.stdout


def test_takedown_tells_apps_at_once(reach_show: Path, cli, notify_servers: NotifyServers) -> None:
    result = cli("-C", reach_show, "--json", "takedown", "recovery", "--reason", "Contributor withdrew consent")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["feed_updated"] is True
    assert [(n["kind"], n["ok"]) for n in report["notifications"]] == [("websub", True), ("pubnotify", True)]
    [hub] = notify_servers.to("/hub")
    assert hub.form["hub.url"] == [FEED_URL]
    # The withdrawn episode's alternates went with its MP3.
    assert any(key.endswith(".opus") for key in report["removed"]) and any(
        k.endswith(".m4a") for k in report["removed"]
    )
    assert not list((reach_show / "feed" / "media").glob("recovery-*"))
    # A second takedown changes no feed and tells nobody.
    notify_servers.clear()
    again = cli("-C", reach_show, "--json", "takedown", "recovery", "--reason", "Contributor withdrew consent")
    assert again.exit_code == 0 and json.loads(again.stdout)["notifications"] == []
    assert notify_servers.requests == []


def test_never_for_a_private_target(notify_servers: NotifyServers) -> None:
    endpoints = [("websub", f"{notify_servers.base}/hub"), ("pubnotify", f"{notify_servers.base}/pubnotify")]
    notify_servers.requests.clear()

    def ours() -> list[str]:  # the servers are shared: another test's late /slow request may land here
        return [r.path for r in notify_servers.requests if r.path in ("/hub", "/pubnotify")]

    assert notify_feed_changed(endpoints, FEED_URL, timeout_s=1, private=True) == []
    assert ours() == []
    told = notify_feed_changed(endpoints, FEED_URL, timeout_s=1)
    assert [n.ok for n in told] == [True, True] and sorted(ours()) == ["/hub", "/pubnotify"]


def test_private_s3_target_and_review_links_notify_nobody(
    reach_template: dict[str, Any], make_s3_show, cli, notify_servers: NotifyServers
) -> None:
    base = notify_servers.base
    extra = f'notify = [{{ websub = "{base}/hub" }}, "podcastindex"]\nnotify_timeout_s = 1\n'
    private = make_s3_show("private", acl="private", extra=extra, source=reach_template["root"])
    result = cli("-C", private.root, "--json", "publish")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["feed_changed"] is True and json.loads(result.stdout)["notifications"] == []
    public = make_s3_show("public", extra=extra.replace('"podcastindex"', f'{{ pubnotify = "{base}/pubnotify" }}'))
    notify_servers.clear()
    review = cli("-C", public.root, "--json", "review", "trailer")
    assert review.exit_code == 0, review.stderr
    assert notify_servers.requests == []


def test_a_lost_guid_line_comes_back_from_the_live_feed(reach_show: Path, cli) -> None:
    """Not a first publish: the live feed's podcast:guid is written back, not one from the new URL."""
    toml = reach_show / "podcast.toml"
    toml.write_text(re.sub(r"(?m)^guid = .*\n", "", toml.read_text()))
    result = cli("-C", reach_show, "--json", "publish", "--base-url", "https://new-host.example.net/show")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["show_guid_written"] == show_guid(FEED_URL)
    assert tomllib.loads(toml.read_text())["show"]["guid"] == show_guid(FEED_URL)
