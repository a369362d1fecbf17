"""Telling apps at once: WebSub hubs and the Podcast Index ``pubnotify`` endpoint, after the feed changed.

Apps otherwise learn of a new episode, or of a takedown, only when they next poll the feed,
which can be hours later. After every publish and every takedown that changed the live feed,
each endpoint of ``[publish] notify`` is told the feed URL:

* a **WebSub** hub (W3C WebSub, the hubs the feed declares as ``<atom:link rel="hub">``) gets
  ``POST hub.mode=publish&hub.url=<feed>``; it fetches the feed and pushes it to subscribers;
* the Podcast Index **pubnotify** endpoint (the podping gateway) gets ``GET ?url=<feed>``.

A notification is a courtesy, never part of the publish: the feed is already live when it is
sent, so a failure (refused, unreachable, too slow) is a warning with the reason, and the
publish succeeds. Every request has a bounded timeout (``notify_timeout_s``), and the
endpoints are told side by side, so a slow hub delays the command by at most that much.
Nothing is sent for a dry run, for a feed that did not change, or for a private target
(``acl = "private"``: nothing there is public), and review links never notify anyone.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from podcast import __version__

log = logging.getLogger(__name__)

USER_AGENT = f"survivor-voices-podcast/{__version__}"


@dataclass(frozen=True)
class Notification:
    """What one endpoint answered; ``--json`` lists these under ``notifications``."""

    kind: str  # "websub" or "pubnotify"
    endpoint: str  # scheme://host/path (no query: it may carry a key)
    ok: bool
    status: int | None = None  # HTTP status, when there was an answer
    error: str | None = None  # why it failed, in words
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shown(url: str) -> str:
    """An endpoint as output shows it: without query or fragment.

    >>> shown("https://api.example.org/hub/pubnotify?url=x&key=secret")
    'https://api.example.org/hub/pubnotify'
    """
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _request(kind: str, endpoint: str, feed_url: str) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    if kind == "websub":
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
    return urllib.request.Request(
        f"{endpoint}{separator}{urllib.parse.urlencode({'url': feed_url})}", headers=headers, method="GET"
    )


def notify_one(kind: str, endpoint: str, feed_url: str, *, timeout_s: float) -> Notification:
    """Tell one endpoint that ``feed_url`` changed. Never raises: a failure is returned, with its reason."""
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        with urllib.request.urlopen(_request(kind, endpoint, feed_url), timeout=timeout_s) as answer:
            status = answer.status
            answer.read(65536)  # the body says nothing we act on; read a little so the connection closes cleanly
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"the endpoint answered HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        reason = exc.reason
        error = "no answer within the timeout" if isinstance(reason, TimeoutError) else f"cannot reach it ({reason})"
    except TimeoutError:
        error = f"no answer within {timeout_s:g} s"
    except (OSError, ValueError) as exc:  # connection reset, a malformed answer
        error = f"the request failed ({exc.__class__.__name__}: {exc})"
    if error is None and status is not None and not 200 <= status < 300:
        error = f"the endpoint answered HTTP {status}"
    return Notification(
        kind=kind,
        endpoint=shown(endpoint),
        ok=error is None,
        status=status,
        error=error,
        seconds=round(time.monotonic() - started, 3),
    )


def notify_feed_changed(
    endpoints: list[tuple[str, str]], feed_url: str, *, timeout_s: float, private: bool = False
) -> list[Notification]:
    """Tell every endpoint that the feed at ``feed_url`` changed; failures are logged as warnings.

    ``endpoints`` are ``(kind, url)`` pairs (``[publish] notify``, see
    :meth:`~podcast.show.manifest.PublishSection.notify_endpoints`). Returns one
    :class:`Notification` per endpoint, in their order; none for a private target.
    """
    if private or not endpoints:
        return []
    with ThreadPoolExecutor(max_workers=min(len(endpoints), 8)) as pool:
        results = list(pool.map(lambda pair: notify_one(pair[0], pair[1], feed_url, timeout_s=timeout_s), endpoints))
    for result in results:
        if result.ok:
            log.info("told %s %s that the feed changed", result.kind, result.endpoint)
        else:
            log.warning(
                "could not tell %s %s that the feed changed: %s — the feed is published; apps will see the change "
                "at their next refresh",
                "the WebSub hub" if result.kind == "websub" else "the Podcast Index at",
                result.endpoint,
                result.error,
            )
    return results
