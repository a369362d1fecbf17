"""A show with every reach option set, and local notification endpoints (issue 17).

* ``notify_servers``: one real HTTP server on 127.0.0.1 playing a WebSub hub (``POST /hub``) and the
  Podcast Index ``pubnotify`` endpoint (``GET /pubnotify?url=...``), recording every request; other
  paths fail on purpose (``/broken`` answers 500, ``/slow`` answers too late).
* ``reach_template``: the demo show plus a second episode, with every option of issue 17 set
  (alternates, hubs, artwork alt, update frequency, no comments, podroll, block, a blocked episode),
  written WITHOUT ``[show] guid`` and published once (so the first publish wrote it).
* ``reach_show``: a private copy of that published template (build/ and feed/ included) to change.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SLOW_S = 3.0  # how long /slow waits before answering (tests set notify_timeout_s well below it)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class NotifyServers:
    base: str
    requests: list[Received] = field(default_factory=list)

    def clear(self) -> None:
        self.requests.clear()

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


def _handler(servers: NotifyServers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> str:
            parts = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            servers.requests.append(
                Received(
                    self.command,
                    parts.path,
                    urllib.parse.parse_qs(parts.query),
                    urllib.parse.parse_qs(body),
                    dict(self.headers),
                )
            )
            return parts.path

        def _answer(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # /slow: the client gave up waiting, as it should

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            path = self._record()
            if path == "/hub":
                self._answer(204)  # WebSub: "202 Accepted" or "204 No Content"
            elif path == "/slow":
                time.sleep(SLOW_S)
                self._answer(204)
            else:
                self._answer(500, b"hub is down")

        def do_GET(self) -> None:  # noqa: N802
            path = self._record()
            if path == "/pubnotify":
                body = json.dumps({"status": "true", "description": "Feed marked for immediate update."}).encode()
                self._answer(200, body, "application/json")
            elif path == "/slow":
                time.sleep(SLOW_S)
                self._answer(200)
            else:
                self._answer(500, b"index is down")

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@pytest.fixture(scope="session")
def notify_servers() -> Iterator[NotifyServers]:
    servers = NotifyServers(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(servers))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    servers.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield servers
    finally:
        server.shutdown()
        server.server_close()


REACH_SHOW = """\
# The show: every reach option of issue 17 set.
[show]
title = "Survivor Voices"
description = "Stories of recovery. Names and details are changed."
author = "Example Charity"
language = "en-GB"
link = "https://example.org/survivor-voices"
artwork = "artwork.jpg"
artwork_alt = "The words Survivor Voices on a dark blue square"   # podcast:image alt
categories = ["Society & Culture/Documentary"]
explicit = false
type = "episodic"
copyright = "© 2026 Example Charity"
owner = {{ name = "Podcast team", email = "podcast@example.org" }}
funding = {{ url = "https://example.org/donate", text = "Make a donation" }}
locked = true
support_notice = "If you have been affected by anything in this episode, help is available at https://example.org/support."
comments = false                      # podcast:socialInteract protocol="disabled"
block_services = ["google"]           # podcast:block id="google"
update_frequency = {{ rrule = "FREQ=WEEKLY;BYDAY=TU", text = "Weekly, on Tuesdays" }}
podroll = [{{ guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810", url = "https://mp3s.nashownotes.com/pc20rss.xml", title = "Podcasting 2.0" }}]
# no guid: the first publish writes it

[audio]
loudness_lufs = -16.0
true_peak_dbtp = -1.0
channels = 1
bitrate_kbps = 96
sample_rate_hz = 44100
alternates = [
  {{ codec = "opus", bitrate_kbps = 24 }},   # low bandwidth
  {{ codec = "aac", bitrate_kbps = 64 }},
]

[publish]
target = "feed"
base_url = "https://media.example.org/survivor-voices"
notify = [{{ websub = "{base}/hub" }}, {{ pubnotify = "{base}/pubnotify" }}]
notify_timeout_s = 2
"""

SECOND_EPISODE = """\
title = "A conversation about recovery"
number = 1
season = 1
published = 2026-11-21T09:00:00Z
audio = "master.wav"
description = "Our guest talks about recovery."
guid = "00000000-0000-4000-8000-000000000171"
block = true                               # itunes:block on this episode only
"""

EMBARGOED_EPISODE = """\
title = "Not yet"
number = 2
season = 1
published = 2031-01-01T09:00:00Z
audio = "master.wav"
description = "Released later."
guid = "00000000-0000-4000-8000-000000000172"
"""


def write_reach_show(root: Path, base: str) -> None:
    """The demo show's trailer plus a short second episode and an embargoed one, every reach option set."""
    from conftest import REPO, make_audio

    root.mkdir(parents=True)
    (root / "podcast.toml").write_text(REACH_SHOW.format(base=base), encoding="utf-8")
    shutil.copy2(REPO / "artwork.jpg", root / "artwork.jpg")
    shutil.copytree(REPO / "episodes", root / "episodes")
    for slug, manifest in (("recovery", SECOND_EPISODE), ("later", EMBARGOED_EPISODE)):
        folder = root / "episodes" / slug
        make_audio(folder / "master.wav", source="sine=frequency=330:duration=4", filters="volume=-24dB")
        (folder / "episode.toml").write_text(manifest, encoding="utf-8")


@pytest.fixture(scope="session")
def reach_template(tmp_path_factory: pytest.TempPathFactory, notify_servers: NotifyServers) -> dict[str, Any]:
    """The reach show, published once: {"root": Path, "result": the publish's --json report, "requests": [...]}."""
    from typer.testing import CliRunner

    from typer_app import app

    root = tmp_path_factory.mktemp("reach") / "show"
    write_reach_show(root, notify_servers.base)
    notify_servers.clear()
    result = CliRunner().invoke(app, ["-C", str(root), "--json", "publish"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    requests = list(notify_servers.requests)
    notify_servers.clear()
    return {"root": root, "report": json.loads(result.stdout), "requests": requests, "stderr": result.stderr}


@pytest.fixture
def reach_show(reach_template: dict[str, Any], tmp_path: Path, notify_servers: NotifyServers) -> Path:
    """A private copy of the published reach show (its build/ and feed/ too): change it freely."""
    root = tmp_path / "show"
    shutil.copytree(reach_template["root"], root)
    notify_servers.clear()
    return root
