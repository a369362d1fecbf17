"""The online rules' eyes: fetch every URL a feed names the way a podcast directory does.

The only part of `podcast validate` that touches the network (`--online`): HEAD each URL,
ask enclosures for two bytes with Range, and hand each :class:`Probe` to the ``online`` rules.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from podcast.validate.checks import reported_by_runner
from podcast.validate.elements import NS, is_url
from podcast.validate.findings import Finding, Probe, Rule
from podcast.validate.rules import RULES, rule
from podcast.validate.runner import parse_feed

USER_AGENT = "survivor-voices-podcast-validate/1 (like a podcast directory)"


def _request(url: str, *, method: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str]]:
    """(status, headers) of one request; reads at most a few bytes of any body."""
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT, **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}


def probe_url(
    url: str, kind: str, expected_type: str | None, expected_length: int | None, *, timeout: float = 20.0
) -> Probe:
    """HEAD the URL, and for enclosures ask for the first two bytes with Range, as apps do."""
    base = Probe(url=url, kind=kind, expected_type=expected_type, expected_length=expected_length)
    if not is_url(url):
        return Probe(**{**asdict(base), "error": "not an http(s) address"})
    try:
        status, headers = _request(url, method="HEAD", headers={}, timeout=timeout)
    except (OSError, ValueError) as exc:
        return Probe(**{**asdict(base), "error": str(getattr(exc, "reason", exc))})
    length = headers.get("content-length")
    result: dict[str, Any] = {
        **asdict(base),
        "head_status": status,
        "head_type": headers.get("content-type"),
        "head_length": int(length) if length and length.isdigit() else None,
    }
    if kind == "enclosure" and status == 200:
        try:
            range_status, range_headers = _request(url, method="GET", headers={"Range": "bytes=0-1"}, timeout=timeout)
        except (OSError, ValueError) as exc:
            result["error"] = str(getattr(exc, "reason", exc))
        else:
            result["range_status"] = range_status
            total = re.match(r"^bytes \d+-\d+/(\d+)$", range_headers.get("content-range", ""))
            result["range_total"] = int(total.group(1)) if total and range_status == 206 else None
    return Probe(**result)


def feed_urls(root: etree._Element) -> list[tuple[str, str, str | None, int | None]]:
    """(url, kind, expected type, expected length) for every URL a directory fetches, in feed order, once each."""
    found: dict[str, tuple[str, str, str | None, int | None]] = {}

    def add(url: str | None, kind: str, kind_type: str | None, length: int | None = None) -> None:
        if url and url not in found:
            found[url] = (url, kind, kind_type, length)

    channel = root.find("channel")
    if channel is None:
        return []
    image = channel.find("itunes:image", NS)
    add(image.get("href") if image is not None else None, "image", "image/*")
    for item in channel.findall("item"):
        enclosure = item.find("enclosure")
        if enclosure is not None:
            length = enclosure.get("length", "")
            add(enclosure.get("url"), "enclosure", enclosure.get("type"), int(length) if length.isdigit() else None)
        image = item.find("itunes:image", NS)
        add(image.get("href") if image is not None else None, "image", "image/*")
        for transcript in item.findall("podcast:transcript", NS):
            add(transcript.get("url"), "transcript", transcript.get("type"))
        for alternate in item.findall("podcast:alternateEnclosure", NS):  # Opus/AAC: fetched like the MP3
            length = alternate.get("length", "")
            for source in alternate.findall("podcast:source", NS):
                add(source.get("uri"), "enclosure", alternate.get("type"), int(length) if length.isdigit() else None)
        chapters = item.find("podcast:chapters", NS)
        if chapters is not None:
            add(chapters.get("url"), "chapters", None)
    return list(found.values())


def check_online(data: bytes, *, source: str, timeout: float = 20.0, workers: int = 8) -> list[Finding]:
    """Fetch every URL the feed names the way a directory does and run the online rules."""
    try:
        root = parse_feed(data)
    except etree.XMLSyntaxError:
        return []  # feed-xml already reports it
    targets = feed_urls(root)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets) or 1))) as pool:
        probes = list(pool.map(lambda t: probe_url(*t, timeout=timeout), targets))
    found: list[tuple[Rule, Probe, str]] = []
    for probe in probes:
        for each in RULES:
            if each.scope == "online" and each.check is not reported_by_runner:
                detail = each.check(probe)
                if detail is not None:
                    found.append((each, probe, detail))
    return group_by_host(found, source)


def group_by_host(found: list[tuple[Rule, Probe, str]], source: str) -> list[Finding]:
    """One finding per rule, host and problem: forty files on a host that is down are one problem.

    A detail reads ``<url>: <problem>``; URLs on the same host with the same rule and problem are
    counted in one finding that names the first of them.
    """
    groups: dict[tuple[str, str, str], list[tuple[Rule, Probe, str]]] = {}
    for each, probe, detail in found:
        problem = detail.removeprefix(f"{probe.url}: ")
        host = urlsplit(probe.url).netloc or probe.url
        groups.setdefault((each.id, host, problem), []).append((each, probe, detail))
    findings = []
    for (_, host, problem), members in groups.items():
        each, probe, detail = members[0]
        if len(members) == 1:
            findings.append(each.finding(f"{source}: {probe.kind}", detail))
            continue
        kinds = ", ".join(sorted({member[1].kind for member in members}))
        findings.append(
            each.finding(
                f"{source}: {len(members)} addresses on {host} ({kinds})",
                f"{problem}, e.g. {probe.url}",
            )
        )
    return findings


def fetch_feed(url: str, *, timeout: float = 20.0) -> tuple[bytes | None, Finding | None]:
    """The published feed's bytes, or the online-feed finding that says why not."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.read(), None
    except urllib.error.HTTPError as exc:
        return None, rule("online-feed").finding(url, f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        return None, rule("online-feed").finding(url, str(getattr(exc, "reason", exc)))
