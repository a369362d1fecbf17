"""Chapters: every input format, every rule, and every reader (mutagen, ffprobe, partytime, feed parsers)."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3
from tagkit import EPISODE, built_mp3, ffprobe, published, save_image, set_chapters, shorten

from podcast.build.chapters import (
    ChapterEntry,
    ChapterList,
    ChaptersInvalid,
    check_chapters,
    parse_audacity_labels,
    parse_chapters_file,
    parse_chapters_json,
    parse_timestamp_lines,
    render_chapters_json,
)

TIMESTAMPS = """# Chapters for the trailer
00:00:00 Welcome
00:00:01.500 - Who we are
0:03 Finding help
"""
AUDACITY = (
    "0.000000\t0.000000\tWelcome\n1.500000\t1.500000\tWho we are\n\\\t120.0\t3000.0\n3.000000\t3.500000\tFinding help\n"
)
PODCAST_INDEX = json.dumps(
    {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0, "title": "Welcome"},
            {"startTime": 1.5, "title": "Who we are", "url": "https://example.org/about"},
            {"startTime": 3, "title": "Finding help", "img": "https://example.org/help.jpg"},
        ],
    }
)
EXPECTED = [("0.000000", "Welcome"), ("1.500000", "Who we are"), ("3.000000", "Finding help")]


# --- parsing and rules (pure) -------------------------------------------------------------------


FORMATS = pytest.mark.parametrize(
    ("name", "text"),
    [("chapters.txt", TIMESTAMPS), ("labels.txt", AUDACITY), ("chapters.json", PODCAST_INDEX)],
    ids=["timestamps", "audacity", "json"],
)


@FORMATS
def test_each_format_reads_the_same_chapters(name, text):
    entries = parse_chapters_file(text, Path(name))
    assert [(e.start_s, e.title) for e in entries] == [(0.0, "Welcome"), (1.5, "Who we are"), (3.0, "Finding help")]


def test_json_keeps_links_and_pictures():
    entries = parse_chapters_json(PODCAST_INDEX, Path("c.json"))
    assert entries[1].url == "https://example.org/about"
    assert entries[2].image_url == "https://example.org/help.jpg" and entries[2].image_path is None


def test_rendered_json_follows_the_podcast_index_format():
    chapters = ChapterList(Path("c.json"), tuple(parse_chapters_json(PODCAST_INDEX, Path("c.json"))))
    document = json.loads(render_chapters_json(chapters))
    assert document["version"] == "1.2.0"
    assert document["chapters"][0] == {"startTime": 0, "title": "Welcome"}
    assert document["chapters"][1] == {"startTime": 1.5, "title": "Who we are", "url": "https://example.org/about"}
    assert document["chapters"][2]["img"] == "https://example.org/help.jpg"


@pytest.mark.parametrize(
    ("entries", "duration", "message"),
    [
        ([(2, "Late start")], None, "line 1: the first chapter starts at 00:00:02.000, not at 0"),
        (
            [(0, "A"), (5, "B"), (3, "C")],
            None,
            "line 3: the chapter starts at 00:00:03.000, not after the one before it (line 2 at 00:00:05.000)",
        ),
        ([(0, "A"), (5, "B"), (5, "C")], None, "line 3: the chapter starts at 00:00:05.000, not after"),
        (
            [(0, "A"), (9, "B")],
            4.0,
            "line 2: the chapter starts at 00:00:09.000, after the end of the episode (00:00:04.000)",
        ),
        ([(0, "A"), (1, "")], None, "line 2: the chapter title is empty"),
        ([(0, "x" * 256)], None, "line 1: the chapter title is over 255 characters"),
    ],
)
def test_rules(entries, duration, message):
    chapters = ChapterList(
        Path("c.txt"), tuple(ChapterEntry(s, t, where=f"line {i}") for i, (s, t) in enumerate(entries, 1))
    )
    with pytest.raises(ChaptersInvalid) as caught:
        check_chapters(chapters, duration_s=duration)
    assert str(caught.value).startswith(f"c.txt: {message}")
    assert caught.value.exit_code == 1 and " — " in str(caught.value)  # always says how to fix it


@pytest.mark.parametrize(
    ("parser", "text", "message"),
    [
        (parse_timestamp_lines, "00:00 Intro\nsoon Part two\n", "line 2 does not start with a time ('soon Part two')"),
        (parse_timestamp_lines, "00:00 Intro\n1:75 Bad minute\n", "line 2 does not start with a time"),
        (parse_audacity_labels, "0.0\t0.0\tIntro\nnot a label\n", "line 2 is not an Audacity label"),
        (
            parse_chapters_json,
            '{"version": "1.2.0",\n "chapters": [\n {"startTime": 0 "title": "x"}]}',
            "line 3 is not valid JSON",
        ),
        (parse_chapters_json, '{"version": "1.2.0"}', 'has no "chapters" list'),
        (parse_chapters_json, '{"chapters": [{"title": "x"}]}', 'chapter 1 has no "startTime" in seconds'),
        (parse_chapters_json, '{"chapters": [{"startTime": 0, "title": 3}]}', 'chapter 1: "title" is not text'),
    ],
)
def test_malformed_files_name_the_line(parser, text, message):
    with pytest.raises(ChaptersInvalid) as caught:
        parser(text, Path("chapters.txt"))
    assert str(caught.value).startswith(f"chapters.txt: {message}")


# --- the command line: one clear error line, before any audio work ------------------------------


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            '[[chapters]]\nstart = "00:00:05"\ntitle = "Late"',
            "episode.toml: [[chapters]] number 1: the first chapter starts at 00:00:05.000, not at 0",
        ),
        (
            '[[chapters]]\nstart = 0\ntitle = "A"\n[[chapters]]\nstart = "00:01"\ntitle = "   "',
            "episode.toml: [[chapters]] number 2: the chapter title is empty",
        ),
        (
            'chapters = "chapters.txt"',
            "chapters.txt: line 3: the chapter starts at 00:00:01.000, not after the one before it (line 2 at 00:00:02.000)",
        ),
        ('chapters = "missing.txt"', "episode.toml: chapters file 'missing.txt' not found"),
        (
            '[[chapters]]\nstart = 0\ntitle = ""',
            "episode.toml: field 'chapters[1].title' is wrong: string should have at least 1 character —",
        ),
        (
            '[[chapters]]\nstart = "soon"\ntitle = "A"',
            "episode.toml: field 'chapters[1].start' is wrong: 'soon' is not a time",
        ),
        ("chapters = 5", "episode.toml: field 'chapters' must be a list in [brackets], not a number —"),
        ('chapters = "../../podcast.toml"', "is outside the episode folder"),
        (
            '[[chapters]]\nstart = 0\ntitle = "A"\nimage = "../../artwork.jpg"',
            "[[chapters]] number 1: chapter picture 'artwork.jpg' is outside the episode folder",
        ),
        (
            '[[chapters]]\nstart = 0\ntitle = "A"\nimage = "nope.jpg"',
            "[[chapters]] number 1: chapter picture 'nope.jpg' not found",
        ),
    ],
)
def test_bad_chapters_fail_the_build_with_one_line(demo_show, cli, setup, message):
    set_chapters(demo_show, setup)
    (demo_show / "episodes" / EPISODE / "chapters.txt").write_text("0:00 Intro\n0:02 Two\n0:01 Back in time\n")
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (demo_show / "build" / EPISODE / "audio.json").exists()  # refused before any audio work


def test_chapter_past_the_end_is_refused(demo_show, cli):
    shorten(demo_show, seconds=3)
    set_chapters(demo_show, 'chapters = "chapters.txt"')
    (demo_show / "episodes" / EPISODE / "chapters.txt").write_text("00:00:00 Intro\n00:00:09 After the end\n")
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 1
    assert "chapters.txt: line 2: the chapter starts at 00:00:09.000, after the end of the episode" in result.stderr
    assert not (demo_show / "feed" / "feed.xml").exists()  # nothing half-published


# --- published: ID3 CHAP/CTOC, chapters JSON and psc, read back by independent readers ------------


@FORMATS
def test_chapter_files_reach_ffprobe(demo_show, cli, name, text):
    folder = shorten(demo_show)
    (folder / name).write_text(text, encoding="utf-8")
    set_chapters(demo_show, f'chapters = "{name}"')
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 0, result.stderr
    chapters = ffprobe(built_mp3(demo_show))["chapters"]
    assert [(c["start_time"], c["tags"]["title"]) for c in chapters] == EXPECTED
    assert chapters[-1]["end_time"].startswith("4.")  # the last chapter ends with the audio


def test_published_episode_chapters_in_every_reader(demo_show, cli, partytime):
    folder = shorten(demo_show)
    save_image(folder / "help.png", size=(800, 800), fmt="PNG", color=(20, 120, 200))
    set_chapters(
        demo_show,
        """
[[chapters]]
start = "00:00:00"
title = "Welcome — Ünïcode 🎙️"

[[chapters]]
start = "00:00:01.5"
title = "Who we are"
url = "https://example.org/about"

[[chapters]]
start = 3
title = "Finding help"
image = "help.png"
""",
    )
    result = cli("-C", demo_show, "publish")
    assert result.exit_code == 0, result.stderr
    titles = ["Welcome — Ünïcode 🎙️", "Who we are", "Finding help"]

    # 1. The MP3 listeners download, read by mutagen and by ffprobe.
    mp3 = published(demo_show, "media")[0]
    tags = ID3(mp3)
    chaps = tags.getall("CHAP")
    assert [(c.start_time, c.sub_frames["TIT2"].text[0]) for c in chaps] == list(zip([0, 1500, 3000], titles))
    assert chaps[1].sub_frames.getall("WXXX")[0].url == "https://example.org/about"
    assert chaps[2].sub_frames.getall("APIC")[0].mime == "image/jpeg"
    assert tags.getall("CTOC")[0].child_element_ids == [c.element_id for c in chaps]
    probe = ffprobe(mp3)["chapters"]
    assert [(c["start_time"], c["tags"]["title"]) for c in probe] == list(
        zip(["0.000000", "1.500000", "3.000000"], titles)
    )

    # 2. The feed, read by the Podcast Index's parser: the podcast:chapters link and the JSON it names.
    feed_path = demo_show / "feed" / "feed.xml"
    item = partytime(feed_path)["items"][0]
    link = item["podcastChapters"]
    assert link["type"] == "application/json+chapters"
    key = link["url"].split("/survivor-voices/", 1)[1]
    assert key.startswith(f"chapters/{EPISODE}-") and key.endswith(".json")
    document = json.loads((demo_show / "feed" / key).read_text(encoding="utf-8"))
    assert document["version"].startswith("1.2")
    assert [(c["startTime"], c["title"]) for c in document["chapters"]] == list(zip([0, 1.5, 3], titles))
    assert document["chapters"][1]["url"] == "https://example.org/about"
    picture = document["chapters"][2]["img"].split("/survivor-voices/", 1)[1]
    assert picture.startswith(f"chapters/{EPISODE}-3-") and picture.endswith(".jpg")
    assert (demo_show / "feed" / picture).read_bytes() == chaps[2].sub_frames.getall("APIC")[0].data

    # 3. Podlove Simple Chapters, read by feedparser and by gPodder's podcastparser.
    psc = feedparser.parse(str(feed_path)).entries[0]["psc_chapters"]["chapters"]
    assert [(c["start"], c["title"]) for c in psc] == list(
        zip(["00:00:00.000", "00:00:01.500", "00:00:03.000"], titles)
    )
    assert psc[2]["image"] == document["chapters"][2]["img"]
    with feed_path.open("rb") as handle:
        episode = podcastparser.parse(str(feed_path), handle)["episodes"][0]
    assert [(c["start"], c["title"]) for c in episode["chapters"]] == list(zip([0, 1, 3], titles))


def test_editing_chapters_retags_and_renames_the_json(demo_show, cli):
    shorten(demo_show)
    assert cli("-C", demo_show, "publish").exit_code == 0
    first = published(demo_show, "chapters")
    manifest = demo_show / "episodes" / EPISODE / "episode.toml"
    manifest.write_text(manifest.read_text().replace('title = "Welcome"', 'title = "Welcome back"'))

    result = cli("-C", demo_show, "--json", "build")
    built = json.loads(result.stdout)["episodes"][0]
    assert built["tags_rewritten"] is True and built["audio_rebuilt"] is False
    assert ffprobe(built_mp3(demo_show))["chapters"][0]["tags"]["title"] == "Welcome back"

    assert cli("-C", demo_show, "publish").exit_code == 0
    second = published(demo_show, "chapters")
    assert len(second) == 1 and second != first  # new content, new name; the old object is deleted
    assert json.loads(second[0].read_text())["chapters"][0]["title"] == "Welcome back"


def test_removing_chapters_removes_them_everywhere(demo_show, cli):
    shorten(demo_show)
    assert cli("-C", demo_show, "publish").exit_code == 0
    set_chapters(demo_show, "")
    assert cli("-C", demo_show, "publish").exit_code == 0
    assert published(demo_show, "chapters") == []
    feed = (demo_show / "feed" / "feed.xml").read_text()
    assert "podcast:chapters" not in feed and "psc:chapters" not in feed
    assert not ID3(published(demo_show, "media")[0]).getall("CHAP")


def test_publishing_one_episode_keeps_the_others_objects(demo_show, cli, tone):
    shorten(demo_show)
    assert cli("-C", demo_show, "new", "second", "--audio", tone, "--published", "2026-01-01T00:00:00Z").exit_code == 0
    assert cli("-C", demo_show, "publish").exit_code == 0
    before = published(demo_show, "media") + published(demo_show, "chapters")
    result = cli("-C", demo_show, "--json", "publish", "second")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["deleted"] == []
    assert published(demo_show, "media") + published(demo_show, "chapters") == before
    feed = (demo_show / "feed" / "feed.xml").read_text()
    assert all(path.name in feed for path in before)  # every object the feed names is still there
