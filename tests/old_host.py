"""An old podcast host on 127.0.0.1 for `podcast import` tests: feeds, audio and files, with faults.

Feeds are templates in ``tests/data/import/*.xml`` whose ``{{BASE}}`` becomes this server's
address (byte-wise, so a feed saved in ISO-8859-1 or Windows-1252 stays so). Audio is
generated once per session with the real ffmpeg. Paths choose the behaviour:

* ``/feeds/<name>.xml``               the feed template (``/feeds/<name>.xml?gone`` answers 404)
* ``/audio/<kind>/<any>.<ext>``       audio of that kind (``quiet``, ``target``, ``stereo``)
* ``/files/<name>``                   a transcript, chapters file or picture from ``tests/data/import/files``
* ``/redirect/<path>``, ``/moved/<path>``   302 / 301 to ``/<path>``
* ``/short/<path>``    the first answer claims the whole length and sends half (a wrong length)
* ``/cut/<path>``      the first answer breaks the connection a third of the way through
* ``/liar/<path>``     every answer claims the whole length, sends half and ignores ``Range``
* ``/missing/<path>``  404
* ``/errorpage/<path>`` 200 with an HTML page where audio should be

Every download answers ``Range: bytes=N-`` with 206; ``requests`` records (path, Range) in order.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).parent / "data" / "import"
FEEDS = sorted(path.stem for path in DATA.glob("*.xml"))
TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".json": "application/json", ".vtt": "text/vtt"}
TYPES |= {".srt": "application/x-subrip", ".html": "text/html", ".txt": "text/plain"}
TYPES |= {".jpg": "image/jpeg", ".png": "image/png", ".xml": "application/rss+xml"}


@dataclass
class OldHost:
    audio: dict[str, bytes]  # kind -> bytes
    feeds: dict[str, bytes] = field(default_factory=dict)  # extra feeds by name (generated ones)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    base: str = ""
    moved_feeds: dict[str, str] = field(default_factory=dict)  # feed path -> new address (301)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def feed_url(self, name: str) -> str:
        return self.url(f"/feeds/{name}.xml")

    def feed_bytes(self, name: str) -> bytes:
        data = self.feeds[name] if name in self.feeds else (DATA / f"{name}.xml").read_bytes()
        return data.replace(b"{{BASE}}", self.base.encode("ascii"))

    def audio_requests(self) -> list[tuple[str, str | None]]:
        return [r for r in self.requests if "/audio/" in r[0]]


def _handler(host: OldHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            split = urlsplit(self.path)
            path = split.path
            with host.lock:
                host.requests.append((path, self.headers.get("Range")))
                host.hits[path] += 1
                first = host.hits[path] == 1
            fault, rest = "", path
            found = re.match(r"^/(redirect|moved|short|cut|liar|missing|errorpage)(/.*)$", path)
            if found:
                fault, rest = found.group(1), found.group(2)
            if fault in ("redirect", "moved"):
                self._send(302 if fault == "redirect" else 301, b"", extra={"Location": host.url(rest)})
                return
            if fault == "missing" or split.query == "gone":
                self._send(404, b"not found")
                return
            if fault == "errorpage":
                self._send(200, b"<html><body>Service temporarily unavailable</body></html>", "text/html")
                return
            if rest in host.moved_feeds:
                self._send(301, b"", extra={"Location": host.moved_feeds[rest]})
                return
            body = self._body(rest)
            if body is None:
                self._send(404, b"not found")
                return
            kind = TYPES.get(Path(rest).suffix.lower(), "application/octet-stream")
            if fault == "liar":  # claims the whole file, sends half, and never resumes
                self._send(200, body[: len(body) // 2], kind, length=len(body), close=True)
                return
            self._ranged(body, kind, fault if first else "")

        def _body(self, path: str) -> bytes | None:
            if path.startswith("/feeds/"):
                name = Path(path).stem
                if name in host.feeds or (DATA / f"{name}.xml").is_file():
                    return host.feed_bytes(name)
                return None
            found = re.match(r"^/audio/(\w+)/", path)
            if found:
                return host.audio.get(found.group(1))
            if path.startswith("/files/"):
                file = DATA / "files" / Path(path).name
                if not file.is_file():
                    return None
                data = file.read_bytes()
                return data.replace(b"{{BASE}}", host.base.encode()) if file.suffix in (".json", ".vtt") else data
            return None

        def _ranged(self, body: bytes, kind: str, fault: str) -> None:
            start = 0
            found = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
            if found and int(found.group(1)) < len(body):
                start = int(found.group(1))
            elif found:
                self._send(416, b"", extra={"Content-Range": f"bytes */{len(body)}"})
                return
            status = 206 if found else 200
            extra = {"Accept-Ranges": "bytes"}
            if found:
                extra["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            piece = body[start:]
            claimed = len(piece)
            if fault == "short":
                piece = piece[: len(piece) // 2]
            elif fault == "cut":
                piece = piece[: len(piece) // 3]
            self._send(status, piece, kind, extra=extra, length=claimed, close=bool(fault))

        def _send(
            self,
            status: int,
            body: bytes,
            kind: str = "text/plain",
            *,
            extra: dict[str, str] | None = None,
            length: int | None = None,
            close: bool = False,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if close:
                self.connection.shutdown(2)  # the client sees the connection end before the claimed length

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up on a cut connection is the point of the test, not an error


@contextmanager
def old_host(audio: dict[str, bytes], feeds: dict[str, bytes] | None = None) -> Iterator[OldHost]:
    """Serve ``tests/data/import`` (and ``feeds``) on a free loopback port."""
    state = OldHost(audio=audio, feeds=dict(feeds or {}))
    server = _QuietServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def many_episodes_feed(count: int, *, kind: str = "quiet", title: str = "Long Running Show") -> bytes:
    """A generated feed of ``count`` items (for the 200-episode benchmark and resumability tests)."""
    items = []
    for n in range(count, 0, -1):
        day = 1 + (n - 1) % 28
        month = 1 + ((n - 1) // 28) % 12
        year = 2020 + (n - 1) // 336
        items.append(
            f"""<item><title>Garden notes {n}</title><guid isPermaLink="false">long-show-episode-{n:04d}</guid>
<pubDate>{["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][n % 7]}, {day:02d} {["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]} {year} 09:00:00 +0000</pubDate>
<description><![CDATA[<p>Week {n} in the <em>garden</em>.</p>]]></description>
<itunes:episode>{n}</itunes:episode>
<enclosure url="{{{{BASE}}}}/audio/{kind}/garden-{n}.mp3" length="0" type="audio/mpeg"/></item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>{title}</title><link>https://example.org/garden</link><language>en-GB</language>
<description>Notes from a community garden.</description><itunes:author>Garden Club</itunes:author>
<itunes:owner><itunes:name>Garden Club</itunes:name><itunes:email>garden@example.org</itunes:email></itunes:owner>
<itunes:category text="Leisure"><itunes:category text="Home &amp; Garden"/></itunes:category>
<itunes:image href="{{{{BASE}}}}/files/cover.jpg"/>
{"".join(items)}
</channel></rss>""".encode()


def audio_fixtures(make: Callable[..., Path], folder: Path) -> dict[str, bytes]:
    """Tiny real MP3s: quiet (mono, far below target), target (mono, at -16 LUFS), stereo (48 kHz)."""
    quiet = make(folder / "quiet.mp3", source="sine=frequency=330:duration=2", filters="volume=-30dB")
    target = make(
        folder / "target.mp3",
        source="sine=frequency=440:duration=4",
        filters="volume=-12dB,loudnorm=I=-16:TP=-2:LRA=7:linear=true",
        codec_args=("-b:a", "96k"),
    )
    stereo = make(folder / "stereo.mp3", source="sine=frequency=550:duration=2", rate=48000, channels=2)
    return {"quiet": quiet.read_bytes(), "target": target.read_bytes(), "stereo": stereo.read_bytes()}
