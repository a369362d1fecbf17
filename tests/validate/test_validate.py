"""`podcast validate`: every rule fires on a crafted bad feed (or file, or server) and stays quiet on a good one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from feedcases import CASES, case_from_dict, load_case
from http_helpers import running
from lxml import etree
from PIL import Image

from podcast.publishing.feed import build_feed
from podcast.publishing.serve import make_server
from podcast.show.manifest import show_guid
from podcast.validate.elements import NS
from podcast.validate.probes import check_online, fetch_feed
from podcast.validate.rules import RULES
from podcast.validate.runner import check_artwork, validate_feed_bytes

GOOD = build_feed(*load_case(CASES / "full.toml"))
P = NS["podcast"]


def _good_root() -> etree._Element:
    return etree.fromstring(GOOD)


def _ch(root: etree._Element) -> etree._Element:
    return root.find("channel")


def _item(root: etree._Element, index: int = 1) -> etree._Element:
    """Item 1 of the full case is the episode with every optional tag."""
    return _ch(root).findall("item")[index]


def _drop(path: str, *, item: int | None = None) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        parent = _ch(root) if item is None else _item(root, item)
        for element in parent.findall(path, NS):
            element.getparent().remove(element)

    return mutate


def _set(
    path: str, text: str | None = None, *, item: int | None = None, **attrs: str
) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        parent = _ch(root) if item is None else _item(root, item)
        element = parent.find(path, NS)
        if element is None:  # add it
            prefix, _, local = path.partition(":")
            element = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}" if local else path)
        if text is not None:
            element.text = text
        for name, value in attrs.items():
            element.set(name, value)

    return mutate


def _duplicate_guid(root: etree._Element) -> None:
    _item(root, 1).find("guid").text = _item(root, 0).findtext("guid")


def _swap_items(root: etree._Element) -> None:
    first = _item(root, 0)
    first.getparent().remove(first)
    _ch(root).append(first)


# rule id -> how to break the good feed (and validate keyword arguments, for rules that need context).
BAD_FEEDS: dict[str, tuple[Callable[[etree._Element], None], dict]] = {
    "channel-title": (_drop("title"), {}),
    "channel-title-length": (_set("title", "T" * 256), {}),
    "channel-description": (_drop("description"), {}),
    "channel-description-length": (_set("description", "é" * 2001), {}),
    "item-content-size": (_set("content:encoded", "é" * 256_001, item=1), {}),
    "feed-size": (_set("content:encoded", "x" * 4_000_001, item=1), {}),
    "channel-link": (_drop("link"), {}),
    "channel-language": (_set("language", "English"), {}),
    "channel-image": (_drop("itunes:image"), {}),
    "channel-image-url": (_set("itunes:image", href="https://media.example.org/full/show.gif"), {}),
    "channel-category": (_drop("itunes:category"), {}),
    "channel-explicit": (_set("itunes:explicit", "yes"), {}),
    "channel-self-link": (_drop("atom:link"), {}),
    "channel-owner-email": (_drop("itunes:owner/itunes:email"), {}),
    "channel-new-feed-url": (_set("itunes:new-feed-url", "https://media.example.org/full/feed.xml"), {}),
    "channel-author": (_drop("itunes:author"), {}),
    "channel-author-length": (_set("itunes:author", "A" * 256), {}),
    "channel-type": (_set("itunes:type", "weekly"), {}),
    "channel-copyright": (_drop("copyright"), {}),
    "channel-block": (_set("itunes:block", "true"), {}),
    "channel-complete": (_set("itunes:complete", "no"), {}),
    "channel-guid": (_drop("podcast:guid"), {}),
    "podcast-guid-format": (_set("podcast:guid", "survivor-voices"), {}),
    "podcast-guid-placeholder": (_set("podcast:guid", show_guid("https://media.example.org/podcast/feed.xml")), {}),
    "channel-locked": (_drop("podcast:locked"), {}),
    "podcast-locked-value": (_set("podcast:locked", "true"), {}),
    "podcast-funding": (_set("podcast:funding", "F" * 129), {}),
    "podcast-person": (_set("podcast:person", "", item=1), {}),
    "podcast-person-role": (_set("podcast:person", role="boss"), {}),
    "podcast-txt": (_set("podcast:txt", "v" * 4001), {}),
    "podcast-license": (_set("podcast:license", "L" * 129), {}),
    "podcast-medium": (_set("podcast:medium", "radio"), {}),
    "item-title": (_drop("title", item=1), {}),
    "item-title-length": (_set("title", "T" * 256, item=1), {}),
    "item-enclosure": (_drop("enclosure", item=1), {}),
    "item-enclosure-length": (_set("enclosure", length="45 minutes", item=1), {}),
    "item-enclosure-type": (_set("enclosure", type="text/html", item=1), {}),
    "item-guid": (_drop("guid", item=1), {}),
    "item-guid-unique": (_duplicate_guid, {}),
    "item-pubdate": (_set("pubDate", "last Tuesday", item=1), {}),
    "item-pubdate-future": (
        _set("pubDate", "Fri, 01 Jan 2100 09:00:00 +0000", item=0),
        {"now": datetime(2027, 1, 1, tzinfo=UTC)},
    ),
    "item-description-length": (_set("description", "d" * 4001, item=1), {}),
    "item-explicit": (_set("itunes:explicit", "clean", item=1), {}),
    "item-episode-type": (_set("itunes:episodeType", "episode", item=1), {}),
    "item-episode-number": (_set("itunes:episode", "0", item=1), {}),
    "item-season": (_set("itunes:season", "one", item=1), {}),
    "item-image-url": (_set("itunes:image", href="https://media.example.org/full/e1.webp", item=1), {}),
    "item-itunes-title-length": (_set("itunes:title", "T" * 256, item=1), {}),
    "item-guid-permalink": (_set("guid", isPermaLink="true", item=1), {}),
    "item-order": (_swap_items, {}),
    "item-duration": (_drop("itunes:duration", item=1), {}),
    "item-duration-format": (_set("itunes:duration", "1h 2m", item=1), {}),
    "item-description": (_drop("description", item=1), {}),
    "item-content": (_drop("content:encoded", item=1), {}),
    "item-image": (_drop("itunes:image", item=1), {}),
    "podcast-season": (_set("podcast:season", "0", item=1), {}),
    "podcast-episode": (_set("podcast:episode", "two", item=1), {}),
    "podcast-transcript": (lambda root: _item(root).find("podcast:transcript", NS).attrib.pop("type"), {}),
    "podcast-chapters": (_set("podcast:chapters", type="application/json", item=1), {}),
    "psc-chapters": (_set("psc:chapters/psc:chapter", start="soon", item=1), {}),
    "podcast-image": (_set("podcast:image", href="artwork.jpg"), {}),
    "podcast-image-alt": (lambda root: _item(root).find("podcast:image", NS).attrib.pop("alt"), {}),
    "podcast-update-frequency": (_set("podcast:updateFrequency", rrule="EVERY TUESDAY"), {}),
    "podcast-trailer": (_set("podcast:trailer", pubdate="soon"), {}),
    "podcast-podroll": (_set("podcast:podroll/podcast:remoteItem", feedGuid="another-show"), {}),
    "podcast-block": (_set("podcast:block", "true"), {}),
    "podcast-social-interact": (_set("podcast:socialInteract", protocol="activitypub", uri="comments", item=1), {}),
    "podcast-alternate-enclosure": (
        _set("podcast:alternateEnclosure/podcast:integrity", value="7a8b9c0d1e2f", item=1),
        {},
    ),
    "channel-hub": (lambda root: _ch(root).find("atom:link[@rel='hub']", NS).set("href", "hub.example.net"), {}),
    "item-block": (_set("itunes:block", "true", item=2), {}),
}


def _ids(scopes: set[str]) -> set[str]:
    return {rule.id for rule in RULES if rule.scope in scopes}


def _rules(findings: list) -> set[str]:
    return {f.rule for f in findings}


def test_good_feed_passes_every_rule() -> None:
    assert validate_feed_bytes(GOOD, source="good.xml", now=datetime(2027, 1, 1, tzinfo=UTC)) == []


def test_every_rule_has_a_failing_case() -> None:
    covered = set(BAD_FEEDS) | {"feed-xml", "feed-rss"} | set(HISTORY_CASES) | set(ARTWORK_CASES) | ONLINE_RULES
    covered |= {"transcript-cues"}  # tests/validate/test_captions.py
    assert {rule.id for rule in RULES} == covered
    assert len({rule.id for rule in RULES}) == len(RULES)  # ids are unique


@pytest.mark.parametrize("rule_id", sorted(BAD_FEEDS))
def test_rule_fires_on_bad_feed_only(rule_id: str) -> None:
    mutate, kwargs = BAD_FEEDS[rule_id]
    root = _good_root()
    mutate(root)
    bad = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert rule_id in _rules(validate_feed_bytes(bad, source="bad.xml", **kwargs)), rule_id
    assert rule_id not in _rules(validate_feed_bytes(GOOD, source="good.xml", **kwargs))


def test_feed_xml_and_rss_rules() -> None:
    assert _rules(validate_feed_bytes(b"<rss><channel><title>A & B</title>", source="x")) == {"feed-xml"}
    atom = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
    assert _rules(validate_feed_bytes(atom, source="x")) == {"feed-rss"}
    assert not _rules(validate_feed_bytes(GOOD, source="x")) & {"feed-xml", "feed-rss"}


def test_channel_guid_finding_says_what_to_write() -> None:
    root = _good_root()
    _drop("podcast:guid")(root)
    [finding] = validate_feed_bytes(etree.tostring(root), source="x")
    assert finding.rule == "channel-guid" and finding.severity == "warning"
    assert f'guid = "{show_guid("https://media.example.org/full/feed.xml")}"' in finding.message


# --- GUID stability against the last published feed ------------------------------------------


def _without_item(index: int) -> bytes:
    root = _good_root()
    item = _item(root, index)
    item.getparent().remove(item)
    return etree.tostring(root)


def _guid_changed() -> bytes:
    root = _good_root()
    _item(root, 1).find("guid").text = "11111111-2222-4333-8444-555555555555"
    return etree.tostring(root)


GUID_1 = "00000000-0000-4000-8000-000000000001"
# rule id -> (current feed, previous feed, retired guids that make it pass)
HISTORY_CASES: dict[str, tuple[Callable[[], bytes], bytes, set[str]]] = {
    "guid-changed": (_guid_changed, GOOD, {GUID_1}),
    "guid-disappeared": (partial(_without_item, 1), GOOD, {GUID_1}),
    "history-unreadable": (lambda: GOOD, b"<rss><channel>", set()),
}


@pytest.mark.parametrize("rule_id", sorted(HISTORY_CASES))
def test_history_rules(rule_id: str) -> None:
    current, previous, retired = HISTORY_CASES[rule_id]
    findings = validate_feed_bytes(current(), source="new", previous=previous)
    assert rule_id in _rules(findings)
    assert rule_id not in _rules(validate_feed_bytes(GOOD, source="new", previous=GOOD))
    if retired:  # withdrawn (or trimmed by max_items): leaving the feed is allowed
        assert rule_id not in _rules(validate_feed_bytes(current(), source="new", previous=previous, retired=retired))


def test_guid_changed_is_not_also_reported_as_disappeared() -> None:
    findings = validate_feed_bytes(_guid_changed(), source="new", previous=GOOD)
    assert [f.rule for f in findings] == ["guid-changed"]
    assert GUID_1 in findings[0].message and "11111111-2222-4333-8444-555555555555" in findings[0].message


def test_base_url_change_keeps_history_clean() -> None:
    moved = GOOD.replace(b"https://media.example.org/full", b"https://cdn.example.net/elsewhere")
    assert validate_feed_bytes(moved, source="new", previous=GOOD) == []


# --- artwork ---------------------------------------------------------------------------------


def _image(size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / f"art-{size[0]}x{size[1]}-{mode}.{fmt.lower()}"
        Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0)).save(path, fmt)
        return path

    return make


def _not_an_image(folder: Path) -> Path:
    path = folder / "artwork.jpg"
    path.write_text("not an image")
    return path


# rule id -> bad images that fire it (format, colour mode and oversize are repaired by publish: a warning).
ARTWORK_CASES: dict[str, list[Callable[[Path], Path]]] = {
    "artwork-readable": [_not_an_image],
    "artwork-square": [_image((1400, 1600))],
    "artwork-size": [_image((1000, 1000))],
    "artwork-converted": [
        _image((1400, 1400), fmt="GIF"),
        _image((1400, 1400), mode="CMYK"),
        _image((1400, 1400), mode="RGBA", fmt="PNG"),
        _image((3200, 3200)),
    ],
}


@pytest.mark.parametrize("rule_id", sorted(ARTWORK_CASES))
def test_artwork_rules(rule_id: str, tmp_path: Path) -> None:
    for make in ARTWORK_CASES[rule_id]:
        bad = make(tmp_path)
        findings = check_artwork(bad, bad.name)
        assert rule_id in _rules(findings), bad.name
        expected = "warning" if rule_id == "artwork-converted" else "error"
        assert {f.severity for f in findings if f.rule == rule_id} == {expected}
    good = _image((1400, 1400))(tmp_path)
    assert check_artwork(good, good.name) == []
    assert check_artwork(_image((3000, 3000), fmt="PNG")(tmp_path), "png") == []


# --- online: a directory's view of the published URLs -----------------------------------------

ONLINE_RULES = {"online-feed", "online-head", "online-range", "online-content-type", "online-length"}


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A target folder with one 3,000-byte 'MP3' and the show artwork."""
    root = tmp_path / "target"
    (root / "media").mkdir(parents=True)
    (root / "media" / "ep-1.mp3").write_bytes(bytes(range(256)) * 11 + b"\0" * 184)
    (root / "artwork").mkdir()
    Image.new("RGB", (1400, 1400), "white").save(root / "artwork" / "show.jpg", "JPEG")
    return root


@pytest.fixture
def podcast_server(published: Path) -> Iterator[str]:
    """`podcast serve`'s server (HEAD and Range) on a free loopback port."""
    with running(make_server(published, host="127.0.0.1", port=0, published_base_url="https://unused.invalid")) as url:
        yield url


@pytest.fixture
def plain_server(published: Path) -> Iterator[str]:
    """Python's plain file server: answers HEAD, ignores Range (200 and the whole file)."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(published))
    with running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url


def _feed_for(base: str, *, media: str = "media/ep-1.mp3", length: int = 3000, kind: str = "audio/mpeg") -> bytes:
    import tomllib

    data = tomllib.loads((CASES / "minimal.toml").read_text())
    data["feed_url"], data["image_url"] = f"{base}/feed.xml", f"{base}/artwork/show.jpg"
    data["episodes"][0].update(media_url=f"{base}/{media}", media_length=length, media_type=kind)
    return build_feed(*case_from_dict(data))


def test_online_passes_against_podcast_serve(podcast_server: str) -> None:
    assert check_online(_feed_for(podcast_server), source="feed") == []


@pytest.mark.parametrize(
    ("rule_id", "feed_args"),
    [
        ("online-head", {"media": "media/missing.mp3"}),
        ("online-content-type", {"kind": "audio/x-m4a"}),
        ("online-length", {"length": 2999}),
    ],
)
def test_online_rules_fire(podcast_server: str, rule_id: str, feed_args: dict) -> None:
    findings = check_online(_feed_for(podcast_server, **feed_args), source="feed")
    assert rule_id in _rules(findings), findings
    assert all(f.severity == "error" for f in findings)


def test_online_image_must_be_served_as_an_image(podcast_server: str, published: Path) -> None:
    (published / "artwork" / "show.jpg").rename(published / "artwork" / "show.bin")
    (published / "artwork" / "show.jpg").mkdir()  # now a 404 for the image
    assert "online-head" in _rules(check_online(_feed_for(podcast_server), source="feed"))


def test_online_range_needs_206(plain_server: str, podcast_server: str) -> None:
    assert "online-range" in _rules(check_online(_feed_for(plain_server), source="feed"))
    assert "online-range" not in _rules(check_online(_feed_for(podcast_server), source="feed"))


def test_online_feed_must_be_fetchable(podcast_server: str, published: Path) -> None:
    data, problem = fetch_feed(f"{podcast_server}/feed.xml")
    assert data is None and problem is not None and problem.rule == "online-feed" and "404" in problem.message
    (published / "feed.xml").write_bytes(_feed_for(podcast_server))
    data, problem = fetch_feed(f"{podcast_server}/feed.xml")
    assert problem is None and data == (published / "feed.xml").read_bytes()
    _, problem = fetch_feed("http://127.0.0.1:9/feed.xml")  # nothing listens on the discard port
    assert problem is not None and problem.rule == "online-feed"


# --- the command line ---------------------------------------------------------------------------


def test_cli_validate_feed_file(tmp_path: Path, cli) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(GOOD)
    result = cli("validate", "--feed", good)
    assert result.exit_code == 0, result.stderr
    assert "0 error(s), 0 warning(s) — the feed is valid" in result.stdout

    root = _good_root()
    _set("itunes:explicit", "yes")(root)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(etree.tostring(root))
    result = cli("validate", "--feed", bad)
    assert result.exit_code == 1
    assert (
        "error: " in result.stdout and "[channel-explicit]" in result.stdout and "set [show] explicit" in result.stdout
    )
    assert result.stderr.startswith("error: validation failed with 1 error(s)")

    result = cli("--json", "validate", "--feed", bad)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["errors"] == 1
    assert report["findings"][0]["rule"] == "channel-explicit" and report["findings"][0]["fix"]

    previous = tmp_path / "previous.xml"
    previous.write_bytes(GOOD)
    moved = tmp_path / "moved.xml"
    moved.write_bytes(_guid_changed())
    result = cli("validate", "--feed", moved, "--previous", previous)
    assert result.exit_code == 1 and "[guid-changed]" in result.stdout
    # Without --feed, --previous is the history of the show's own feed (after `podcast import`): no show here.
    result = cli("-C", tmp_path, "validate", "--previous", previous)
    assert result.exit_code == 1 and "podcast.toml" in result.stderr.splitlines()[0]


def test_cli_validate_feed_online(tmp_path: Path, cli, podcast_server: str) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(_feed_for(podcast_server))
    assert cli("validate", "--feed", feed, "--online").exit_code == 0
    feed.write_bytes(_feed_for(podcast_server, length=1))
    result = cli("validate", "--feed", feed, "--online")
    assert result.exit_code == 1 and "[online-length]" in result.stdout


def test_validate_warns_about_notes_that_swell_the_feed(cli, tmp_path: Path) -> None:
    """190,000 characters pass the manifest's limit, but as euro signs they are 570 KB in every refresh."""
    from reliability import make_small_show

    show = make_small_show(tmp_path / "show")
    manifest = show / "episodes" / "ep-one" / "episode.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("Notes for episode one.", "€" * 190_000), encoding="utf-8"
    )
    result = cli("-C", show, "validate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "<content:encoded> is over 512 KB (570118 bytes)" in result.stdout
    assert "[item-content-size]" in result.stdout
