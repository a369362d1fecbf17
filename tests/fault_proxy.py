"""A small fault-injecting HTTP proxy on 127.0.0.1, put between the publisher and the S3 server.

``FaultProxy(upstream, policy)`` forwards every request to ``upstream`` unless
``policy(request)`` names a fault:

* ``"503"``   answer 503 ServiceUnavailable (S3's "slow down / try again"), nothing forwarded;
* ``"cut"``   read the request, then close the connection without a word, nothing forwarded;
* ``"lost"``  forward the request (the store *does* act on it) and then cut the connection,
              the nastiest case: the client cannot know whether its write happened.

It also watches the invariant the publish order promises: just before a new ``feed.xml``
is forwarded (the moment it would go live) every object it names must already be stored
complete with the advertised length, and an object may only be deleted when the live feed
no longer names it. Breaches are collected in ``violations``.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # /bucket/key...
    query: str
    number: int  # 1-based, in arrival order

    @property
    def key(self) -> str:
        return urllib.parse.unquote(self.path.split("/", 2)[2]) if self.path.count("/") >= 2 else ""


Policy = Callable[[Request], str | None]

SERVICE_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


def feed_references(feed: bytes) -> list[tuple[str, int | None]]:
    """(url, advertised length or None) for every enclosure and image a feed names."""
    root = ET.fromstring(feed)
    refs: list[tuple[str, int | None]] = [(e.get("url", ""), int(e.get("length", "0"))) for e in root.iter("enclosure")]
    for element in root.iter():
        if element.tag.endswith("image") and element.get("href"):
            refs.append((element.get("href", ""), None))
    return refs


class FaultProxy:
    def __init__(self, upstream: str, feed_path: str, policy: Policy | None = None):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.feed_path = feed_path  # e.g. /bucket/prefix/feed.xml
        self.policy: Policy = policy or (lambda request: None)
        self.violations: list[str] = []
        self.faults: list[tuple[str, str, str]] = []  # (fault, method, path)
        self.requests: list[Request] = []
        self._count = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the invariant -------------------------------------------------------------------------

    def _direct(self, method: str, path: str) -> tuple[int, bytes, dict[str, str]]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()

    def _check_feed(self, feed: bytes) -> None:
        for url, length in feed_references(feed):
            status, _, headers = self._direct("HEAD", urllib.parse.urlsplit(url).path)
            if status != 200:
                self.violations.append(f"feed about to go live names {url}, which answers {status}")
            elif length is not None and int(headers.get("content-length", -1)) != length:
                self.violations.append(f"feed names {url} with length {length}, stored {headers.get('content-length')}")

    def _check_delete(self, path: str) -> None:
        status, body, _ = self._direct("GET", self.feed_path)
        if status == 200 and any(urllib.parse.urlsplit(url).path == path for url, _ in feed_references(body)):
            self.violations.append(f"{path} deleted while the live feed still names it")

    # --- forwarding ----------------------------------------------------------------------------

    def _read_body(self, handler: BaseHTTPRequestHandler) -> bytes:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(handler.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    handler.rfile.readline()
                    return b"".join(chunks)
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        return handler.rfile.read(int(handler.headers.get("Content-Length", 0) or 0))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urllib.parse.urlsplit(handler.path)
        body = self._read_body(handler)
        with self._lock:
            self._count += 1
            request = Request(handler.command, split.path, split.query, self._count)
            self.requests.append(request)
        fault = self.policy(request)
        if fault:
            self.faults.append((fault, request.method, request.path))
        if fault == "503":
            handler.send_response(503)
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", str(len(SERVICE_UNAVAILABLE)))
            handler.end_headers()
            handler.wfile.write(SERVICE_UNAVAILABLE)
            return
        if fault == "cut":
            handler.close_connection = True
            return
        if request.method == "PUT" and request.path == self.feed_path and not request.query:
            self._check_feed(body)
        if request.method == "DELETE" and not request.query.startswith("uploadId"):
            self._check_delete(request.path)
        headers = {
            k: v for k, v in handler.headers.items() if k.lower() not in ("host", "transfer-encoding", "connection")
        }
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            connection.request(request.method, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if fault == "lost":
            handler.close_connection = True
            return
        handler.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                handler.send_header(name, value)
        length = response.getheader("Content-Length") if request.method == "HEAD" else None
        handler.send_header("Content-Length", length or str(len(payload)))
        handler.end_headers()
        if request.method != "HEAD":
            handler.wfile.write(payload)
