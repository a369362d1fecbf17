"""`podcast serve`: HEAD, byte ranges (206/416), confinement to the folder, and the feed's base URL
rewritten to the server's own address. Spoken to over real sockets on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from podcast.publishing.serve import make_server

BASE_URL = "https://media.example.org/survivor-voices"
FEED = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss version="2.0"><channel><title>Test</title>
<atom:link xmlns:atom="http://www.w3.org/2005/Atom" href="{BASE_URL}/feed.xml" rel="self"/>
<item><guid isPermaLink="false">g1</guid><enclosure url="{BASE_URL}/media/ep-1.mp3" length="10000" type="audio/mpeg"/></item>
</channel></rss>
"""


@dataclass(frozen=True)
class Served:
    root: Path
    host: str
    port: int
    media: bytes

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()

    def raw(self, request: bytes) -> bytes:
        """Send ``request`` as-is and read until the server closes: shows exactly what went over the wire."""
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """A publishing folder (feed, media, state, a secret next to it) served on 127.0.0.1:<free port>."""
    base = tmp_path_factory.mktemp("serve")
    root = base / "feed"
    media = os.urandom(10_000)
    (root / "media").mkdir(parents=True)
    (root / "media" / "ep-1.mp3").write_bytes(media)
    (root / "feed.xml").write_text(FEED, encoding="utf-8")
    (root / ".podcast").mkdir()
    (root / ".podcast" / "state.json").write_text('{"objects": {}, "episodes": {}}\n')
    (root / "media" / ".ep-2.mp3.tmp").write_bytes(b"half an upload")
    (base / "secret.txt").write_text("outside the publishing folder\n")
    (root / "media" / "escape.mp3").symlink_to(base / "secret.txt")
    server = make_server(root, host="127.0.0.1", port=0, published_base_url=BASE_URL + "/")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Served(root, host, port, media)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_get_whole_file(served):
    response, body = served.request("GET", "/media/ep-1.mp3")
    assert response.status == 200
    assert body == served.media
    assert response.getheader("Content-Type") == "audio/mpeg"
    assert response.getheader("Content-Length") == "10000"
    assert response.getheader("Accept-Ranges") == "bytes"


def test_head_has_length_and_type_but_no_body(served):
    reply = served.raw(b"HEAD /media/ep-1.mp3 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    assert lines[0].split()[1] == "200"
    assert headers["content-length"] == "10000"
    assert headers["content-type"] == "audio/mpeg"
    assert body == b""


def test_head_of_feed_matches_get(served):
    head, head_body = served.request("HEAD", "/feed.xml")
    get, get_body = served.request("GET", "/feed.xml")
    assert head.status == get.status == 200 and head_body == b""
    assert head.getheader("Content-Length") == get.getheader("Content-Length") == str(len(get_body))
    assert head.getheader("Content-Type") == "application/rss+xml"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=9000-", 9000, 9999),  # open-ended
        ("bytes=-500", 9500, 9999),  # suffix: the last 500 bytes
        ("bytes=9990-20000", 9990, 9999),  # last byte past the end is clipped
        ("bytes=-20000", 0, 9999),  # a suffix longer than the file is the whole file
    ],
)
def test_range_requests(served, header, first, last):
    response, body = served.request("GET", "/media/ep-1.mp3", {"Range": header})
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes {first}-{last}/10000"
    assert response.getheader("Content-Length") == str(last - first + 1)
    assert response.getheader("Content-Type") == "audio/mpeg"
    assert body == served.media[first : last + 1]


def test_head_with_range(served):
    response, body = served.request("HEAD", "/media/ep-1.mp3", {"Range": "bytes=100-199"})
    assert response.status == 206 and body == b""
    assert response.getheader("Content-Range") == "bytes 100-199/10000"
    assert response.getheader("Content-Length") == "100"


@pytest.mark.parametrize("header", ["bytes=10000-", "bytes=20000-20100", "bytes=-0"])
def test_unsatisfiable_range(served, header):
    response, body = served.request("GET", "/media/ep-1.mp3", {"Range": header})
    assert response.status == 416
    assert response.getheader("Content-Range") == "bytes */10000"
    assert body == b""


@pytest.mark.parametrize(
    "path",
    [
        "/media/escape.mp3",  # a symlink pointing outside the folder
        "/.podcast/state.json",
        "/.podcast/",
        "/media/.ep-2.mp3.tmp",
        "/media/",
        "/media/missing.mp3",
    ],
)
def test_paths_outside_the_folder_and_state_are_404(served, path):
    for method in ("GET", "HEAD"):
        response, body = served.request(method, path)
        assert response.status == 404, (method, path)
        assert b"outside the publishing folder" not in body and b"objects" not in body


@pytest.mark.parametrize(
    "path",
    [
        b"/feed.xml%00.mp3",  # NUL: used to drop the connection with a traceback on the server
        b"/media/ep-1.mp3%00",
        b"/media/%0aep-1.mp3",
        b"/media/\x01ep-1.mp3",
        b"/../secret.txt",
        b"/media/../../secret.txt",
        b"/%2e%2e/secret.txt",
        b"/media/%2e%2e/%2e%2e/secret.txt",
        b"/media/..%5c..%5csecret.txt",
        b"/media/ep-1.mp3%zz",  # invalid percent-encoding
        b"/media/ep-1.mp3%",
        b"/media/%ff%fe.mp3",  # decodes to bytes that are not UTF-8
        b"/" + b"a" * 2000,  # overlong
        b"/" + b"a" * 300 + b".mp3",  # one name longer than the file system allows, short enough to be tried
    ],
)
def test_malformed_paths_are_400_and_the_server_keeps_serving(served, path, capfd):
    for method in (b"GET", b"HEAD"):
        reply = served.raw(method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status = reply.split(b"\r\n", 1)[0]
        expected = b"404" if path.endswith(b"a" * 300 + b".mp3") else b"400"
        assert status.split()[1:2] == [expected], (method, path, reply[:200])
    response, body = served.request("GET", "/media/ep-1.mp3")
    assert response.status == 200 and body == served.media
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    "host",
    [
        'evil.example"><injected/><x a="',
        "evil.example",
        "127.0.0.1:1&amp;<b>",
    ],
)
def test_a_forged_host_header_never_reaches_the_feed(served, host):
    request = f"GET /feed.xml HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    reply = served.raw(request)
    assert reply.startswith(b"HTTP/1.0 200"), reply[:200]
    body = reply.partition(b"\r\n\r\n")[2].decode()
    assert "evil" not in body and "injected" not in body and "<b>" not in body
    assert body == FEED.replace(BASE_URL, f"http://{served.host}:{served.port}")


def test_feed_is_served_with_the_servers_address(served):
    response, body = served.request("GET", "/feed.xml")
    assert response.status == 200
    text = body.decode()
    own = f"http://{served.host}:{served.port}"
    assert BASE_URL not in text
    assert f'href="{own}/feed.xml"' in text
    assert f'url="{own}/media/ep-1.mp3"' in text
    assert text == FEED.replace(BASE_URL, own)
    assert (served.root / "feed.xml").read_text() == FEED  # the file on disk is untouched
    # The rewritten URL really serves the episode.
    media, media_body = served.request("GET", "/media/ep-1.mp3")
    assert media.status == 200 and media_body == served.media


def test_root_path_serves_the_feed(served):
    response, body = served.request("GET", "/")
    assert response.status == 200 and b"<rss" in body


def test_the_serve_command_serves_the_target(served, tmp_path):
    """The real `podcast serve` process: it picks a free port, says where, and serves the rewritten feed."""
    import shutil
    import subprocess
    import sys

    from conftest import REPO

    show = tmp_path / "show"
    show.mkdir()
    shutil.copy2(REPO / "podcast.toml", show / "podcast.toml")
    shutil.copy2(REPO / "artwork.jpg", show / "artwork.jpg")
    argv = [sys.executable, "-m", "typer_app", "-C", str(show), "serve", "--port", "0", "--target", str(served.root)]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = process.stderr.readline()
        match = re.search(r"at (http://127\.0\.0\.1:(\d+))/feed\.xml", line)
        assert match, line
        address, port = match.group(1), int(match.group(2))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/feed.xml")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read().decode() == FEED.replace(BASE_URL, address)
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
