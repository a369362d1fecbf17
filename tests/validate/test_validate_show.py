"""`podcast validate` on a whole show: the demo passes, GUID history is read from the target, --online works."""

from __future__ import annotations

import json
import re
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from http_helpers import running
from safeguarding_helpers import write_redactions

from podcast.publishing.serve import make_server
from podcast.show.manifest import show_guid


def test_demo_show_history_and_online(demo_show: Path, cli) -> None:
    result = cli("-C", demo_show, "validate")
    assert result.exit_code == 0, result.stdout + result.stderr
    # The demo keeps its example.org addresses on purpose: each is a scaffold-address warning, nothing else.
    assert "0 error(s), 4 warning(s) — the feed is valid" in result.stdout
    assert result.stdout.count("[scaffold-address]") == 4
    assert cli("-C", demo_show, "publish").exit_code == 0

    # A GUID edited by hand: the last published feed (the target's feed.xml) still has the old one.
    manifest = demo_show / "episodes" / "trailer" / "episode.toml"
    original = manifest.read_text()
    manifest.write_text(
        original.replace("8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b", "8a6f2c1e-3b4d-4e5f-9a7b-00000000beef")
    )
    result = cli("-C", demo_show, "--json", "validate")
    assert result.exit_code == 1
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] != "scaffold-address"]
    assert [f["rule"] for f in findings] == ["guid-changed"]
    assert findings[0]["where"].endswith("feed/feed.xml: 'Welcome to Survivor Voices'")
    # ... and publish refuses it before touching the target: listeners would get the episode twice.
    live_feed = (demo_show / "feed" / "feed.xml").read_bytes()
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert str(manifest) in result.stderr and 'put back guid = "8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b"' in result.stderr
    assert (demo_show / "feed" / "feed.xml").read_bytes() == live_feed

    # Withdrawing an episode is the one way its GUID may leave the feed.
    # (above [[chapters]]: written after it, TOML files the key into the chapter, and it is refused)
    manifest.write_text(original.replace("\n[[chapters]]", "withdrawn = true\n\n[[chapters]]", 1))
    assert cli("-C", demo_show, "validate").exit_code == 0
    manifest.write_text(original)

    # --online: fetch the published feed from `podcast serve` and every URL in it.
    server = make_server(
        demo_show / "feed", host="127.0.0.1", port=0, published_base_url="https://media.example.org/survivor-voices"
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        result = cli("-C", demo_show, "validate", "--online", "--base-url", base)
        assert result.exit_code == 0, result.stdout
        media = next((demo_show / "feed" / "media").glob("*.mp3"))
        media.rename(media.with_suffix(".gone"))
        result = cli("-C", demo_show, "validate", "--online", "--base-url", base)
        assert result.exit_code == 1 and "[online-head]" in result.stdout and "HTTP 404" in result.stdout
        result = cli("-C", demo_show, "validate", "--online", "--base-url", f"{base}/nowhere")
        assert result.exit_code == 1 and "[online-feed]" in result.stdout
    finally:
        server.shutdown()
        server.server_close()


def test_init_writes_show_guid_and_validate_warns_without_it(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_redactions(tmp_path, monkeypatch)  # init requires a redaction list ([safeguarding])
    show = tmp_path / "new-show"
    assert cli("init", show, "--title", "New Show").exit_code == 0
    data = tomllib.loads((show / "podcast.toml").read_text())
    assert data["show"]["guid"] == show_guid(f"{data['publish']['base_url']}/feed.xml")
    assert cli("-C", show, "validate").exit_code == 0

    text = (show / "podcast.toml").read_text()
    (show / "podcast.toml").write_text(re.sub(r"(?m)^guid = .*\n", "", text))
    result = cli("-C", show, "validate")
    assert result.exit_code == 0
    # The feed it would publish has the guid the first publish writes (tests/publishing/test_reach.py).
    assert "[channel-guid]" not in result.stdout


def test_init_with_base_url_and_placeholder_guid(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    write_redactions(tmp_path, monkeypatch)  # init requires a redaction list ([safeguarding])
    show = tmp_path / "real"
    base = "https://cdn.example.net/real-show"
    assert cli("init", show, "--base-url", base).exit_code == 0
    data = tomllib.loads((show / "podcast.toml").read_text())
    assert data["publish"]["base_url"] == base and data["show"]["guid"] == show_guid(f"{base}/feed.xml")
    assert cli("-C", show, "validate").exit_code == 0

    # A show scaffolded without --base-url keeps the example guid; moving base_url without it is an error.
    plain = tmp_path / "plain"
    assert cli("init", plain).exit_code == 0
    toml = plain / "podcast.toml"
    toml.write_text(toml.read_text().replace("https://media.example.org/podcast", base))
    result = cli("-C", plain, "validate")
    assert result.exit_code == 1 and "[podcast-guid-placeholder]" in result.stdout
    assert f'guid = "{show_guid(f"{base}/feed.xml")}"' in result.stdout

    result = cli("init", tmp_path / "bad", "--base-url", "media.example.org")
    assert result.exit_code == 1 and "is not a web address" in result.stderr and not (tmp_path / "bad").exists()


def test_manifest_podcast20_keys_load(demo_show: Path) -> None:
    from podcast.show.model import load_show

    show_toml = demo_show / "podcast.toml"
    text = show_toml.read_text().replace(
        "[audio]",
        """apple_verify = "abc123"
license = "cc-by-nc-nd-4.0"
medium = "podcast"
block = false
complete = false

[[show.persons]]
name = "Alex Host"
role = "host"
href = "https://example.org/alex"

[audio]""",
    )
    show_toml.write_text(text + '\nnew_feed_url = "https://feeds.example.net/sv.xml"\n\n[feed]\nmax_items = 50\n')
    episode_toml = demo_show / "episodes" / "trailer" / "episode.toml"
    episode_toml.write_text(episode_toml.read_text() + '\n[[persons]]\nname = "Jordan Guest"\nrole = "guest"\n')
    show = load_show(demo_show)
    info = show.manifest.show
    assert [(p.name, p.role, p.group) for p in info.persons] == [("Alex Host", "host", "cast")]
    assert (info.apple_verify, info.license, info.medium) == ("abc123", "cc-by-nc-nd-4.0", "podcast")
    assert show.manifest.publish.new_feed_url == "https://feeds.example.net/sv.xml"
    assert show.manifest.feed.max_items == 50
    assert show.episode("trailer").manifest.persons[0].name == "Jordan Guest"


def test_bad_podcast20_keys_are_clear_errors(demo_show: Path, cli) -> None:
    show_toml = demo_show / "podcast.toml"
    original = show_toml.read_text()
    show_toml.write_text(original.replace('type = "episodic"', 'type = "episodic"\nmedium = "radio"'))
    result = cli("-C", demo_show, "validate")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert (
        result.stderr.startswith(f"error: {show_toml}: field 'show.medium'") and 'medium = "podcast"' in result.stderr
    )

    show_toml.write_text(original + "\n[feed]\nmax_items = 0\n")
    result = cli("-C", demo_show, "validate")
    assert result.exit_code == 1 and "field 'feed.max_items'" in result.stderr and "max_items = 300" in result.stderr

    episode_toml = demo_show / "episodes" / "trailer" / "episode.toml"
    show_toml.write_text(original)
    episode_toml.write_text(episode_toml.read_text() + '\n[[persons]]\nrole = "guest"\n')
    result = cli("-C", demo_show, "validate")
    assert result.exit_code == 1 and "field 'persons[1].name' is missing" in result.stderr


def test_max_items_trimming_is_not_a_lost_guid(demo_show: Path, cli, tone: Path) -> None:
    assert cli("-C", demo_show, "new", "second", "--audio", tone, "--published", "2026-11-21T09:00:00Z").exit_code == 0
    assert cli("-C", demo_show, "publish").exit_code == 0
    show_toml = demo_show / "podcast.toml"
    show_toml.write_text(show_toml.read_text() + "\n[feed]\nmax_items = 1\n")
    result = cli("-C", demo_show, "--json", "validate")
    assert result.exit_code == 0, result.stdout  # the trailer left the feed on purpose
    # Deleting an episode folder instead is caught: its GUID vanished without `withdrawn = true`.
    show_toml.write_text(show_toml.read_text().replace("max_items = 1", "max_items = 5"))
    import shutil

    shutil.rmtree(demo_show / "episodes" / "trailer")
    result = cli("-C", demo_show, "--json", "validate")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule"] for f in findings if not f["rule"].startswith("scaffold-")] == ["guid-disappeared"]


def _recording_proxy(seen: list[str]) -> ThreadingHTTPServer:
    """A stand-in for the internet on loopback: notes each request line (e.g. CONNECT to AWS) and refuses it."""

    class Refuse(BaseHTTPRequestHandler):
        def refuse(self) -> None:
            seen.append(self.requestline)
            self.send_error(502)

        do_CONNECT = do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = refuse

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Refuse)


def test_s3_compatible_show_reads_history_from_its_endpoint(cli, make_s3_show, monkeypatch) -> None:
    """An R2/MinIO show: only podcast.toml's [publish] endpoint_url says where the last feed is, never AWS."""
    show = make_s3_show()  # endpoint_url and region in podcast.toml; aws_env removed AWS_ENDPOINT_URL*
    assert cli("-C", show.root, "publish").exit_code == 0
    manifest = show.root / "episodes" / "trailer" / "episode.toml"
    manifest.write_text(
        manifest.read_text().replace("8a6f2c1e-3b4d-4e5f-9a7b-1c2d3e4f5a6b", "8a6f2c1e-3b4d-4e5f-9a7b-00000000beef")
    )

    # Anything not on loopback (AWS) goes to a proxy that only records it; the moto store is on 127.0.0.1.
    seen: list[str] = []
    with running(_recording_proxy(seen)) as proxy:
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            monkeypatch.setenv(name, proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        result = cli("-C", show.root, "--json", "validate")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] != "scaffold-address"]
    # The changed GUID is caught, so the previous feed was read from the store podcast.toml names.
    assert [f["rule"] for f in findings] == ["guid-changed"], findings
    assert findings[0]["where"] == f"{show.target}/feed.xml: 'Welcome to Survivor Voices'"
    assert result.exit_code == 1
    assert seen == []  # nothing asked AWS (or anywhere off this machine)
