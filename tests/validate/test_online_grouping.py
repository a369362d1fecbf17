"""`validate --online` groups repeated URL errors by host (issue 19 item 3)."""

from __future__ import annotations

from podcast.validate.findings import Probe
from podcast.validate.probes import group_by_host
from podcast.validate.rules import rule


def _down(url: str, kind: str) -> tuple:
    probe = Probe(url=url, kind=kind, expected_type=None, expected_length=None, error="connection refused")
    return (rule("online-head"), probe, f"{url}: connection refused")


def test_forty_files_on_a_host_that_is_down_are_one_finding() -> None:
    found = [_down(f"https://cdn.example.net/media/ep-{n}.mp3", "enclosure") for n in range(40)]
    found.append(_down("https://cdn.example.net/artwork/show.jpg", "image"))
    found.append(_down("https://other.example.net/chapters/ep-1.json", "chapters"))
    findings = group_by_host(found, "feed.xml")
    assert len(findings) == 2
    grouped, single = findings
    assert grouped.where == "feed.xml: 41 addresses on cdn.example.net (enclosure, image)"
    assert "connection refused, e.g. https://cdn.example.net/media/ep-0.mp3" in grouped.message
    assert single.where == "feed.xml: chapters" and "other.example.net/chapters/ep-1.json" in single.message


def test_different_problems_on_one_host_stay_apart() -> None:
    a = _down("https://cdn.example.net/a.mp3", "enclosure")
    probe = Probe(url="https://cdn.example.net/b.mp3", kind="enclosure", expected_type=None, expected_length=None)
    b = (rule("online-head"), probe, "https://cdn.example.net/b.mp3: HTTP 403")
    assert len(group_by_host([a, b], "feed.xml")) == 2
