"""The publish gate: a listed name planted in any kind of artefact stops the publish before any upload."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import make_audio
from mutagen.id3 import CHAP, COMM, ID3, TIT2
from PIL import Image
from safeguarding_helpers import add_episode, copy_built_demo, write_redactions

from podcast.errors import SafeguardingRefusal
from podcast.publishing.plan import PlannedObject, Release, plan_release
from podcast.publishing.publish import gate_release
from podcast.safeguarding.gate import Artefact, scan_artefacts
from podcast.show.redactions import parse_redactions


@pytest.fixture
def show(built_demo: Path, tmp_path: Path) -> Path:
    """The demo show with its audio already built (see s3_fixtures.built_demo)."""
    return copy_built_demo(built_demo, tmp_path)


NAMES = parse_redactions("Ana\n= Jordan Example => Sam\n")  # as write_redactions() writes it


def places(hits) -> list[str]:  # type: ignore[no-untyped-def]
    rendered = [hit.render() for hit in hits]
    for text in rendered:
        assert NAMES.find(text) == [], f"a hit message names the person: {text}"
    return rendered


def test_feed_xml_hit_names_line_item_and_element(show, cli):
    assert cli("-C", show, "publish").exit_code == 0
    feed = (show / "feed" / "feed.xml").read_bytes()
    planted = feed.replace(b"<title>Welcome to Survivor Voices</title>", b"<title>Ana&#39;s welcome</title>", 1)
    assert planted != feed
    line = planted[: planted.index(b"Ana&#39;s")].count(b"\n") + 1
    found = places(scan_artefacts([Artefact("feed.xml", data=planted)], NAMES))
    assert found == [f"feed.xml line {line}, item '[name withheld]'s welcome' title"]


def test_feed_notes_hit_sees_through_html_and_entities(show, cli):
    assert cli("-C", show, "publish").exit_code == 0
    feed = (show / "feed" / "feed.xml").read_bytes()
    # The escaped HTML in <description> and the raw HTML in <content:encoded>'s CDATA.
    planted = feed.replace(
        b"&lt;/strong&gt;: who we are", b"&lt;/strong&gt;: who &lt;em&gt;Jordan&lt;/em&gt; Ex&amp;#97;mple is"
    )
    planted = planted.replace(b"</strong>: who we are", b"</strong>: who <em>Jordan</em> Ex&#97;mple is")
    assert planted.count(b"Jordan") == 2
    found = places(scan_artefacts([Artefact("feed.xml", data=planted)], NAMES))
    assert found and all("item 'Welcome to Survivor Voices'" in place for place in found)
    assert {place.rsplit(" ", 1)[-1] for place in found} == {"description", "content:encoded"}


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        (
            "transcripts/ep-0123456789ab.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n\n00:00:02.000 --> 00:00:03.000\n<v Ana>Hi there\n",
            "line 7",
        ),
        ("transcripts/ep-0123456789ab.srt", "1\n00:00:01,000 --> 00:00:02,000\nJordan\nExample said hi\n", "line 3"),
        ("transcripts/ep-0123456789ab.txt", "Host: hello.\nGuest: I'm ANA'S sister.\n", "line 2"),
        (
            "transcripts/ep-0123456789ab.html",
            "<html><body>\n<p>Hello</p>\n<p>A&ntilde;a spoke</p></body></html>",
            "line 3",
        ),
        (
            "chapters/ep-0123456789ab.json",
            json.dumps(
                {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}, {"startTime": 5, "title": "Aña"}]}
            ),
            "chapters[1].title",
        ),
        (
            "transcripts/ep-0123456789ab.json",
            json.dumps(
                {
                    "segments": [
                        {"startTime": 1, "endTime": 1.4, "body": "Jordan"},
                        {"startTime": 1.4, "endTime": 2, "body": "Example"},
                    ]
                }
            ),
            "segments[0].body (with the text after it)",
        ),
    ],
)
def test_text_artefacts_are_scanned_by_type(tmp_path, key, text, expected):
    source = tmp_path / Path(key).name
    source.write_text(text, encoding="utf-8")
    found = places(scan_artefacts([Artefact(key, source=source)], NAMES))
    assert found == [f"{key} {expected}"]


def test_every_id3_frame_is_scanned_including_chapter_subframes(tmp_path):
    mp3 = make_audio(tmp_path / "episode.mp3", source="sine=frequency=440:duration=1")
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Episode one"))
    tags.add(COMM(encoding=3, lang="eng", desc="", text="Notes.\nThanks to Jordan Example."))
    tags.add(CHAP(element_id="chp1", start_time=0, end_time=500, sub_frames=[TIT2(encoding=3, text="Ana arrives")]))
    tags.save(mp3, v2_version=3)
    found = places(scan_artefacts([Artefact("media/ep-0123456789ab.mp3", source=mp3)], NAMES))
    assert sorted(found) == [
        "media/ep-0123456789ab.mp3 ID3 CHAP 'chp1' TIT2",
        "media/ep-0123456789ab.mp3 ID3 COMM line 2",
    ]


def test_image_metadata_and_object_names_are_scanned(tmp_path):
    image = tmp_path / "cover.jpg"
    exif = Image.Exif()
    exif[270] = "Photo of Ana at home"  # ImageDescription
    Image.new("RGB", (16, 16)).save(image, exif=exif)
    found = places(
        scan_artefacts(
            [Artefact("artwork/ep-0123456789ab.jpg", source=image), Artefact("media/jordan-example-0123456789ab.mp3")],
            NAMES,
        )
    )
    assert found == ["artwork/ep-0123456789ab.jpg metadata EXIF 270", "media/Sam-0123456789ab.mp3 object name"]


def test_clean_artefacts_pass(show, cli):
    assert cli("-C", show, "publish").exit_code == 0
    feed = show / "feed"
    artefacts = [Artefact(p.relative_to(feed).as_posix(), source=p) for p in feed.rglob("*") if p.is_file()]
    assert len(artefacts) >= 3
    assert scan_artefacts(artefacts, NAMES) == []


def _assert_nothing_uploaded(show: Path) -> None:
    feed = show / "feed"
    uploaded = [p for p in feed.rglob("*") if p.is_file()] if feed.exists() else []
    assert uploaded == [], uploaded


def test_publish_refuses_a_name_in_an_object_name(show, tmp_path, monkeypatch, cli, tone):
    write_redactions(tmp_path, monkeypatch)
    add_episode(show, "ana-story", tone, number=1)
    result = cli("-C", show, "publish")
    assert result.exit_code == 1
    assert result.stderr.count("error: ") == 1
    error = result.stderr[result.stderr.index("error: ") :]
    # Named as the producer knows the episode (issue 19), not by an object key built from its name; the
    # places are the feed, the media, the state record and the website's pages (name, links, sitemap).
    assert re.match(
        r"error: safeguarding: publishing refused, \d+ place\(s\) contain a name from the redaction list: "
        r"episode 1 'Episode 1' \(\[name withheld\]-story\), its audio \.mp3 object name \(redaction list line 1\)",
        error,
    )
    assert "enclosure @url" in error
    assert "nothing was uploaded" in error
    assert "Traceback" not in result.stderr
    assert NAMES.find(result.stderr) == [] and NAMES.find(result.stdout) == []
    _assert_nothing_uploaded(show)
    # --dry-run is refused the same way.
    assert cli("-C", show, "publish", "--dry-run").exit_code == 1


def test_a_name_in_artwork_metadata_is_never_published(show, tmp_path, monkeypatch, cli):
    """The gate finds it in the producer's file; publish strips every metadata field from what it uploads."""
    write_redactions(tmp_path, monkeypatch)
    exif = Image.Exif()
    exif[315] = "Jordan Example"  # Artist
    cover = show / "episodes" / "trailer" / "cover.jpg"
    Image.open(show / "artwork.jpg").save(cover, exif=exif)
    hits = scan_artefacts([Artefact("artwork/trailer-0123456789ab.jpg", source=cover)], NAMES)
    assert [hit.render() for hit in hits] == ["artwork/trailer-0123456789ab.jpg metadata EXIF 315"]
    toml = show / "episodes" / "trailer" / "episode.toml"
    toml.write_text(toml.read_text().replace("guid =", 'artwork = "cover.jpg"\nguid ='))
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    published = list((show / "feed" / "artwork").glob("trailer-*.jpg"))
    assert published and all(scan_artefacts([Artefact(p.name, source=p)], NAMES) == [] for p in published)
    assert all(b"Jordan" not in p.read_bytes() for p in published)


def test_gate_scans_objects_other_features_add_to_the_plan(show, tmp_path, monkeypatch):
    """A transcript or chapters file added to release.objects by another module is caught by its suffix."""
    from podcast.build.stages import build_episode
    from podcast.publishing.feed import build_feed
    from podcast.publishing.plan import live_episodes
    from podcast.show.model import load_show, utc_now
    from podcast.show.settings import resolve_settings

    write_redactions(tmp_path, monkeypatch)
    loaded = load_show(show)
    settings = resolve_settings(loaded)
    built = {"trailer": build_episode(loaded, loaded.episode("trailer"), settings)}
    release = plan_release(loaded, settings, built, {}, live_episodes(loaded, utc_now())[0])
    feed = build_feed(release.channel, release.items)
    gate_release(loaded, release, feed)  # clean: passes

    vtt = tmp_path / "trailer.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nWelcome, Aña.\n", encoding="utf-8")
    extra = PlannedObject("transcripts/trailer-0123456789ab.vtt", vtt, "0" * 64, vtt.stat().st_size)
    with_transcript = Release([*release.objects, extra], release.items, release.episodes, release.channel)
    with pytest.raises(
        SafeguardingRefusal, match=r"transcripts/trailer-0123456789ab\.vtt line 4 \(redaction list line 1\)"
    ):
        gate_release(loaded, with_transcript, feed)
