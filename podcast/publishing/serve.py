"""`podcast serve`: a small HTTP server for the local publishing folder.

Podcast apps probe enclosures with HEAD and download with byte ranges (to resume and
to seek), so both are answered properly (206 + Content-Range, 416 when unsatisfiable).
The feed names the public ``base_url``; when served from here it is rewritten to this
server's own address so an app subscribed here downloads from here. GUIDs do not
contain the URL, so an app that later moves to the real feed sees the same episodes.

That address is the one the request came in on (the socket's own, so a phone on the network
gets the machine's LAN address), never the request's ``Host:`` header: a header is the
client's to forge, and it would land unescaped in the XML. Malformed paths (NUL and other
control characters, ``..``, broken percent-encoding, overlong) are answered 400.

It also previews the website: ``/`` is the show page (``index.html``) once one is published,
a missing file gets the site's ``404.html`` (with status 404), and paths under the base URL's
own path (``/survivor-voices/assets/...``, which the 404 page uses) are served from the folder.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from podcast.publishing.target import FEED_KEY, content_type_for

INDEX_KEY = "index.html"
NOT_FOUND_KEY = "404.html"

log = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
MAX_PATH_CHARS = 1024  # published keys are far shorter; anything longer is not ours


def request_path(raw: str) -> str | None:
    """The folder-relative name a request path asks for, or None when the path is malformed (400).

    >>> request_path("/media/ep%201.mp3?x=1"), request_path("/")
    ('media/ep 1.mp3', 'feed.xml')
    >>> [request_path(p) for p in ("/feed.xml%00.mp3", "/a/../b", "/%2e%2e/x", "/%zz", "/%ff", "/" + "a" * 2000)]
    [None, None, None, None, None, None]
    """
    path = urlsplit(raw).path
    if len(raw) > MAX_PATH_CHARS or _BAD_PERCENT.search(path):
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    relative = decoded.lstrip("/")
    if _CONTROL.search(decoded) or ".." in relative.split("/"):
        return None
    return relative or FEED_KEY


def own_base_url(sockname: tuple[object, ...]) -> str:
    """``http://host:port`` for the address a connection came in on (IPv6 in brackets).

    >>> own_base_url(("127.0.0.1", 8000)), own_base_url(("::1", 8000, 0, 0))
    ('http://127.0.0.1:8000', 'http://[::1]:8000')
    """
    host, port = str(sockname[0]), int(str(sockname[1]))
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte offsets for a single-range ``Range`` header, or None when unsatisfiable.

    >>> parse_range("bytes=0-99", 1000)
    (0, 99)
    >>> parse_range("bytes=900-", 1000)
    (900, 999)
    >>> parse_range("bytes=-100", 1000)
    (900, 999)
    >>> parse_range("bytes=1000-", 1000) is None
    True

    A syntactically invalid range (``bytes=500-100``) must be ignored (RFC 9110 §14.2):
    it raises ValueError and the caller sends the whole file.
    """
    match = _RANGE.match(header.strip())
    if not match:
        raise ValueError(f"unsupported Range header {header!r}")
    first, last = match.groups()
    if (first == "" and last == "") or (first and last and int(last) < int(first)):
        raise ValueError(f"invalid Range header {header!r}")
    if size == 0:
        return None
    if first == "":
        length = int(last)
        return (max(0, size - length), size - 1) if length > 0 else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


class _Handler(BaseHTTPRequestHandler):
    root: Path
    published_base_url: str
    server_version = "podcast-serve"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.info("%s %s", self.address_string(), format % args)

    def _body(self, path: str) -> tuple[bytes | None, Path | None]:
        if any(part.startswith(".") for part in path.split("/")):
            return None, None  # never serve .podcast/ state or temp files
        try:
            file = (self.root / path).resolve()
            if not file.is_relative_to(self.root.resolve()) or not file.is_file():
                return None, None
        except OSError:  # a name too long for the file system, a loop of links
            return None, None
        if path == FEED_KEY:
            own = own_base_url(self.connection.getsockname())
            return file.read_bytes().replace(self.published_base_url.encode(), own.encode()), file
        return None, file

    def _site_path(self, path: str) -> str:
        """The folder-relative name, with the website's own conventions: ``/`` and the base URL's path."""
        if urlsplit(self.path).path in ("", "/") and (self.root / INDEX_KEY).is_file():
            return INDEX_KEY
        prefix = urlsplit(self.published_base_url).path.strip("/")
        if prefix and path.startswith(prefix + "/"):
            return path[len(prefix) + 1 :]
        return path

    def _send(self, head_only: bool) -> None:
        path = request_path(self.path)
        if path is None:
            self.send_error(HTTPStatus.BAD_REQUEST, "malformed path")
            return
        data, file = self._body(self._site_path(path))
        status = HTTPStatus.OK
        if file is None:
            data, file = self._body(NOT_FOUND_KEY)
            if file is None:
                self.send_error(HTTPStatus.NOT_FOUND, "not found")
                return
            status = HTTPStatus.NOT_FOUND
        size = len(data) if data is not None else file.stat().st_size
        start, end = 0, size - 1
        if "Range" in self.headers and status == HTTPStatus.OK:
            try:
                wanted = parse_range(self.headers["Range"], size)
            except ValueError:
                wanted = (0, size - 1)  # a malformed range is ignored: send everything, as 200
            else:
                if wanted is None:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = HTTPStatus.PARTIAL_CONTENT
            start, end = wanted
        self.send_response(status)
        self.send_header("Content-Type", content_type_for(file.name))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header(
            "Cache-Control", "no-cache" if file.suffix in (".xml", ".html", ".txt") else "public, max-age=3600"
        )
        self.end_headers()
        if head_only:
            return
        if data is not None:
            self.wfile.write(data[start : end + 1])
            return
        with file.open("rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(1 << 16, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        try:
            self._send(head_only=False)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the app stopped reading (seek, cancel): normal for podcast clients

    def do_HEAD(self) -> None:  # noqa: N802
        try:
            self._send(head_only=True)
        except (BrokenPipeError, ConnectionResetError):
            pass


def make_server(root: Path, *, host: str, port: int, published_base_url: str) -> ThreadingHTTPServer:
    """A ready-to-run server for ``root``; call ``serve_forever()`` on it."""
    handler = type("Handler", (_Handler,), {"root": root, "published_base_url": published_base_url.rstrip("/")})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
