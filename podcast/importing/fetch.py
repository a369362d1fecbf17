"""Downloads from the old host that a producer can trust.

One urllib3 pool for the whole import (connections are reused across episodes), redirects
followed, and every file checked before it counts:

* the HTTP status (200, or 206 for a resumed download whose ``Content-Range`` starts
  where the partial file ends);
* the length: the bytes received must be the ``Content-Length`` (or the total of the
  ``Content-Range``); a connection cut short, or a server that claims more than it
  sends, leaves a partial file that the next attempt continues with ``Range``;
* retries with exponential backoff for what may pass (cut connections, timeouts, 5xx,
  408, 429), and none for what will not (404, 403, 410 ...).

Partial files live under ``build/.import/`` (git-ignored), named by the episode's GUID, so
an import killed at any moment continues where it stopped. Whether the bytes are audio is
checked by the caller (ffmpeg), once the length is right.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import urllib3
from urllib3.exceptions import HTTPError

from podcast import __version__
from podcast.errors import DownloadFailed
from podcast.urls import redact_urls

log = logging.getLogger(__name__)

ATTEMPTS = 5
BACKOFF_S = 0.5  # first wait; doubled after each failed attempt
CHUNK = 1 << 16
MAX_FEED_BYTES = 64 << 20  # a feed larger than this is not a feed
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = f"survivor-voices-podcast/{__version__} (podcast import)"
REDIRECTS_ONLY = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=10)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


@dataclass(frozen=True)
class Fetched:
    data: bytes
    url: str  # after redirects
    charset: str | None
    permanent_url: str  # after permanent redirects only (301, 308): the feed's current address


class _Retry(Exception):
    """This attempt failed in a way the next one may not."""


class Downloader:
    """A shared connection pool with the retry policy; safe to use from several threads."""

    def __init__(self, *, workers: int = 4, backoff_s: float | None = None, timeout_s: float = 30.0):
        self.backoff_s = BACKOFF_S if backoff_s is None else backoff_s
        self._cancelled = threading.Event()
        self.pool = urllib3.PoolManager(
            num_pools=16,
            maxsize=max(1, workers),
            headers={"User-Agent": USER_AGENT},
            timeout=urllib3.Timeout(connect=min(10.0, timeout_s), read=timeout_s),
            retries=False,
        )

    def close(self) -> None:
        self.pool.clear()

    def cancel(self) -> None:
        """Make every download in progress stop at its next block (Ctrl+C); its partial file is kept."""
        self._cancelled.set()

    def _wait(self, attempt: int) -> None:
        time.sleep(self.backoff_s * (2**attempt))

    def fetch(self, url: str) -> Fetched:
        """GET a small document (the feed, a chapters file) into memory, following redirects."""
        shown = redact_urls(url)
        problem = "no answer"
        permanent, current = url, url
        for attempt in range(ATTEMPTS):
            if attempt:
                self._wait(attempt - 1)
            current, permanent = url, url
            try:
                for _ in range(10):
                    response = self.pool.request("GET", current, redirect=False, preload_content=False)
                    if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                        nxt = urljoin(current, response.headers["Location"])
                        response.drain_conn()  # read the (empty) body so the connection can be reused
                        response.release_conn()
                        if response.status in (301, 308) and current == permanent:
                            permanent = nxt
                        current = nxt
                        continue
                    break
                else:
                    raise DownloadFailed(f"{shown}: too many redirects", fix="check the address in a web browser")
                if response.status != 200:
                    response.drain_conn()
                    response.release_conn()
                    problem = f"HTTP {response.status}"
                    if response.status in RETRY_STATUSES:
                        continue
                    raise DownloadFailed(
                        f"{shown}: the server answered HTTP {response.status}",
                        fix="check the address; if the host is down, run the same command again later",
                    )
                data = response.read(MAX_FEED_BYTES + 1, decode_content=True)
                response.release_conn()
            except HTTPError as exc:
                problem = type(exc).__name__
                continue
            if len(data) > MAX_FEED_BYTES:
                raise DownloadFailed(f"{shown}: is larger than {MAX_FEED_BYTES >> 20} MB", fix="is this a feed?")
            charset = None
            content_type = response.headers.get("Content-Type", "")
            found = re.search(r"charset=([\w.-]+)", content_type)
            if found:
                charset = found.group(1)
            return Fetched(data, current, charset, permanent)
        raise DownloadFailed(
            f"{shown}: failed {ATTEMPTS} times ({problem})",
            fix="check the connection and run the same command again; it continues where it stopped",
        )

    def download(self, url: str, part: Path, *, on_progress: Progress | None = None) -> int:
        """Download ``url`` into ``part``, continuing a partial file with ``Range``; return its size.

        Raises DownloadFailed when the server refuses for good or every attempt fell short;
        the partial file is kept for the next run.
        """
        shown = redact_urls(url)
        problem = "no answer"
        part.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(ATTEMPTS):
            if attempt:
                self._wait(attempt - 1)
            try:
                return self._attempt(url, part, on_progress)
            except _Retry as exc:
                problem = str(exc)
                log.info("%s: %s; trying again", shown, problem)
            except HTTPError as exc:  # a cut connection, a timeout, a short body
                problem = f"the connection broke ({type(exc).__name__})"
                log.info("%s: %s; trying again", shown, problem)
        raise DownloadFailed(
            f"{shown}: failed {ATTEMPTS} times ({problem})",
            fix="run the same command again later: it continues where it stopped",
        )

    def _attempt(self, url: str, part: Path, on_progress: Progress | None) -> int:
        have = part.stat().st_size if part.exists() else 0
        headers = (
            {"Range": f"bytes={have}-", "Accept-Encoding": "identity"} if have else {"Accept-Encoding": "identity"}
        )
        response = self.pool.request(
            "GET", url, headers=headers, redirect=True, preload_content=False, retries=REDIRECTS_ONLY
        )
        try:
            status = response.status
            if status == 416 and have:  # nothing after what we have: complete if the total says so
                total = _total_of(response.headers.get("Content-Range", ""))
                if total == have:
                    return have
                part.unlink(missing_ok=True)
                raise _Retry("the server would not continue the partial file")
            if status == 206 and have:
                found = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if found is None or int(found.group(1)) != have:
                    part.unlink(missing_ok=True)
                    raise _Retry("the server resumed at the wrong place")
                start, expected = have, (int(found.group(2)) + 1)
                mode = "ab"
            elif status == 200:
                start, mode = 0, "wb"  # no Range asked, or the server ignored it: start over
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else -1
            elif status in RETRY_STATUSES:
                raise _Retry(f"HTTP {status}")
            else:
                raise DownloadFailed(
                    f"{redact_urls(url)}: the server answered HTTP {status}",
                    fix="the file is gone from the old host: check the episode there, or leave it out with --since",
                )
            received = start
            with part.open(mode) as handle:
                for block in response.stream(CHUNK, decode_content=False):
                    if self._cancelled.is_set():
                        raise DownloadFailed(f"{redact_urls(url)}: interrupted", fix="run the same command again")
                    handle.write(block)
                    received += len(block)
                    if on_progress:
                        on_progress(received, expected if expected >= 0 else None)
            if expected >= 0 and received != expected:
                if received > expected:
                    part.unlink(missing_ok=True)
                raise _Retry(f"the server sent {received:,} of {expected:,} bytes")
            if received == 0:
                part.unlink(missing_ok=True)
                raise _Retry("the server sent an empty file")
            return received
        finally:
            response.release_conn()


def _total_of(content_range: str) -> int | None:
    """The total of ``bytes */1234`` or ``bytes 0-9/1234``.

    >>> _total_of("bytes */1234"), _total_of("bytes 0-9/1234"), _total_of("")
    (1234, 1234, None)
    """
    found = re.search(r"/(\d+)\s*$", content_range)
    return int(found.group(1)) if found else None
