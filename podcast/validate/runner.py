"""Running the rules over feed bytes and artwork files: pure, bytes or a file in, findings out.

:func:`validate_feed_bytes` is what `podcast validate --feed` and the show check both call;
the scopes it runs (channel, item, feed, history) are described in :mod:`podcast.validate.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree

from podcast.artwork import inspect_artwork
from podcast.errors import PodcastError, ValidationFailed
from podcast.validate.elements import item_name
from podcast.validate.findings import FeedView, Finding, HistoryView
from podcast.validate.rules import RULES, rule


def parse_feed(data: bytes) -> etree._Element:
    """Parse feed bytes safely (no entities, no network). Raises etree.XMLSyntaxError."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser=parser)


def check_feed(root: etree._Element, source: str, *, now: datetime | None = None) -> Iterator[Finding]:
    """Run every channel, item and whole-feed rule over a parsed feed."""
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        yield rule("feed-rss").finding(source)
        return
    view = FeedView(source=source, channel=channel, items=channel.findall("item"), now=now)
    for each in RULES:
        if each.scope == "channel":
            detail = each.check(channel)
            if detail is not None:
                yield each.finding(f"{source}: channel", detail)
        elif each.scope == "item":
            for index, item in enumerate(view.items):
                detail = each.check(item)
                if detail is not None:
                    yield each.finding(f"{source}: {item_name(item, index)}", detail)
        elif each.scope == "feed":
            for where, detail in each.check(view):
                yield each.finding(f"{source}: {where}", detail)


def check_history(
    current: etree._Element, previous: bytes | None, *, source: str, retired: Iterable[str] = ()
) -> Iterator[Finding]:
    """GUID stability: compare the feed about to be published with the last published one."""
    if not previous:
        return
    try:
        old_root = parse_feed(previous)
    except etree.XMLSyntaxError as exc:
        yield rule("history-unreadable").finding(source, str(exc))
        return
    old_channel, new_channel = old_root.find("channel"), current.find("channel")
    if old_channel is None or new_channel is None:
        if old_channel is None:
            yield rule("history-unreadable").finding(source, "no <channel>")
        return
    view = HistoryView(
        current=new_channel.findall("item"), previous=old_channel.findall("item"), retired=frozenset(retired)
    )
    for each in RULES:
        if each.scope == "history":
            for where, detail in each.check(view):
                yield each.finding(f"{source}: {where}", detail)


def validate_feed_bytes(
    data: bytes,
    *,
    source: str,
    now: datetime | None = None,
    previous: bytes | None = None,
    previous_source: str = "last published feed",
    retired: Iterable[str] = (),
) -> list[Finding]:
    """Every feed rule over ``data``; with ``previous``, GUID stability against it too."""
    try:
        root = parse_feed(data)
    except etree.XMLSyntaxError as exc:
        return [rule("feed-xml").finding(source, str(exc))]
    findings = list(check_feed(root, source, now=now))
    findings += check_history(root, previous, source=previous_source, retired=retired)
    return findings


def check_artwork(path: Path, where: str) -> list[Finding]:
    """The artwork rules over one image file."""
    try:
        info = inspect_artwork(path)
    except PodcastError:
        return [rule("artwork-readable").finding(where)]
    findings = []
    for each in RULES:
        if each.scope == "artwork" and each.id != "artwork-readable":
            detail = each.check(info)
            if detail is not None:
                findings.append(each.finding(where, detail))
    return findings


def refuse_invalid_feed(data: bytes, *, artwork: Iterable[tuple[Path, str]], now: datetime) -> None:
    """Raise ValidationFailed when the feed about to be published (or its artwork) breaks an error rule.

    `podcast publish` calls this after planning and before the first upload: a feed that
    `podcast validate` calls wrong is never put in front of listeners' apps. GUID history is left
    to publish itself, which refuses a changed GUID with the exact value to put back.
    """
    findings = validate_feed_bytes(data, source="feed.xml", now=now)
    for path, where in artwork:
        findings += check_artwork(path, where)
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        first = errors[0]
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        raise ValidationFailed(
            f"publishing stopped: the feed has {len(errors)} validation error(s), first {first.where}: "
            f"{first.message} [{first.rule}]{more}",
            fix="run `podcast validate` to see each error and how to fix it; nothing was uploaded",
        )
