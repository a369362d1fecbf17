"""The publish lock: one producer at a time writes a target's feed and state record.

Uploading media needs no lock (object names carry content hashes, so two producers
uploading the same bytes write the same object). Writing the feed, the state record and
deleting old objects must not interleave, or one producer's feed could drop the other's
new episode. So that part runs while holding ``.podcast/lock.json``, an object created
with a conditional write (``If-None-Match: *``) that only one producer can win.

A lock left behind by a crashed publish is taken over once it is older than
:data:`LOCK_STALE_S`, again by a conditional write on its ETag, so two producers cannot
both take it over.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from podcast.errors import StateConflict
from podcast.publishing.target import Target

log = logging.getLogger(__name__)

LOCK_KEY = ".podcast/lock.json"
LOCK_WAIT_S = 120.0  # how long to wait for another producer's publish to finish
LOCK_STALE_S = 900.0  # a lock older than this was left by a crashed publish
POLL_S = 1.0


def lock_record(now: float, owner: str, token: str = "") -> bytes:
    """The lock's body: who holds it and since when (shown to a producer who has to wait).

    ``token`` is unique per publish, so a publish recognises its own lock.

    >>> lock_record(0.0, "studio-laptop:123")
    b'{"owner": "studio-laptop:123", "since": "1970-01-01T00:00:00+00:00", "since_s": 0.0, "token": ""}'
    """
    since = datetime.fromtimestamp(now, UTC).isoformat()
    return json.dumps({"owner": owner, "since": since, "since_s": now, "token": token}).encode()


def _holder(raw: bytes | None) -> tuple[str, float, str]:
    """(who, since epoch seconds, token) from a lock body; an unreadable lock counts as ancient."""
    try:
        data = json.loads(raw or b"")
        return str(data.get("owner", "unknown")), float(data["since_s"]), str(data.get("token", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unknown", 0.0, ""


def _abandoned_here(owner: str) -> bool:
    """True when ``owner`` ("host:pid") is this process, or a process on this host that is gone."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # another publish in this very process (threads) is alive
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but belongs to someone else
        return False
    return False


@contextmanager
def publish_lock(
    target: Target,
    *,
    wait_s: float | None = None,
    stale_s: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the target's publish lock for the ``with`` block; release it even on failure.

    Waits up to ``wait_s`` for another producer, then raises StateConflict naming who
    holds the lock and since when (exit code 4).
    """
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    stale_s = LOCK_STALE_S if stale_s is None else stale_s
    owner, token = f"{socket.gethostname()}:{os.getpid()}", uuid.uuid4().hex
    deadline = clock() + wait_s
    who, since = "unknown", 0.0
    while True:
        body = lock_record(clock(), owner, token)
        try:
            target.put_if(LOCK_KEY, body, expected=None, content_type="application/json", cache_control="no-store")
            break
        except StateConflict:
            raw, etag = target.get_versioned(LOCK_KEY)
            if raw is None:
                continue  # released between our two requests: try again at once
            who, since, holder_token = _holder(raw)
            if holder_token == token or _abandoned_here(who):
                # Our own create went through but its answer was lost (and the retry hit 412),
                # or a publish from this machine died without releasing it: the lock is ours.
                try:
                    target.put_if(
                        LOCK_KEY, body, expected=etag, content_type="application/json", cache_control="no-store"
                    )
                    break
                except StateConflict:
                    continue
            if clock() - since > stale_s:
                log.warning(
                    "taking over a publish lock left by %s at %s (a crashed publish?)",
                    who,
                    datetime.fromtimestamp(since, UTC).isoformat(),
                )
                try:
                    target.put_if(
                        LOCK_KEY, body, expected=etag, content_type="application/json", cache_control="no-store"
                    )
                    break
                except StateConflict:
                    continue  # someone else took it over first
        if clock() >= deadline:
            started = datetime.fromtimestamp(since, UTC).strftime("%H:%M:%S UTC")
            raise StateConflict(
                f"someone else is publishing to {target.describe()} ({who}, since {started})",
                fix="wait for that publish to finish, then run `podcast publish` again; "
                f"a lock left by a crashed publish expires after {stale_s / 60:.0f} minutes",
            )
        log.info("waiting for %s to finish publishing", who)
        sleep(POLL_S)
    try:
        yield
    finally:
        target.delete(LOCK_KEY)
