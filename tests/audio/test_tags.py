"""ID3 tags on the final MP3: every frame from the table, v2.3/v2.4, nothing leaking from the master.

Read back with two independent readers: mutagen (frame by frame) and ffprobe.
"""

from __future__ import annotations

import io
import json
import shutil
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import make_audio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutagen.id3 import ID3, TIT2, TSSE, TXXX
from PIL import Image
from tagkit import EPISODE, built_mp3, ffprobe, save_image, shorten

from podcast.artwork import EMBED_MAX_BYTES, embedded_cover
from podcast.audio.tags import TagChapter, TagValues, write_tags

FRAMES = {
    "TIT2",
    "TPE1",
    "TALB",
    "TRCK",
    "TPOS",
    "TCON",
    "COMM",
    "TDES",
    "TCOP",
    "WOAS",
    "WFED",
    "TGID",
    "PCST",
    "USLT",
    "APIC",
    "CHAP",
    "CTOC",
}


@pytest.fixture(scope="module")
def small_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s MP3 without tags, as the encoder leaves it."""
    return make_audio(
        tmp_path_factory.mktemp("mp3") / "plain.mp3",
        source="sine=duration=2",
        codec_args=("-c:a", "libmp3lame", "-b:a", "32k", "-id3v2_version", "0", "-write_id3v1", "0"),
    )


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return embedded_cover(save_image(tmp_path_factory.mktemp("art") / "cover.jpg", size=(1400, 1400)))


def values(cover: bytes | None = None, **changes: object) -> TagValues:
    base = TagValues(
        title="Episode one",
        show="Test Show",
        author="Test Charity",
        number=3,
        season=2,
        published=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        notes="Plain notes.\n\nSecond paragraph.",
        guid="0d6a3c59-1111-4222-8333-944455556666",
        feed_url="https://example.org/feed.xml",
        episode_url="https://example.org/show",
        copyright="© 2026 Test Charity",
        cover_jpeg=cover,
        transcript_text="Speaker one: hello.",
        chapters=(TagChapter(0, "Opening"), TagChapter(1000, "Middle", url="https://example.org/more")),
    )
    return TagValues(**{**base.__dict__, **changes})


def copy(small_mp3: Path, tmp_path: Path, name: str = "ep.mp3") -> Path:
    target = tmp_path / name
    shutil.copyfile(small_mp3, target)
    return target


def test_every_frame_of_the_table_is_written_as_id3v23(small_mp3, cover, tmp_path):
    path = copy(small_mp3, tmp_path)
    write_tags(path, values(cover))
    raw = ID3(path, translate=False)  # as stored: no upgrade of v2.3 frames to v2.4 on load
    assert raw.version == (2, 3, 0)
    assert FRAMES <= {frame.FrameID for frame in raw.values()}
    assert "TDRC" not in raw and raw["TYER"].text == ["2026"] and raw["TDAT"].text == ["2011"]  # DDMM
    assert raw["TIT2"].text == ["Episode one"] and raw["TPE1"].text == ["Test Charity"]
    assert raw["TALB"].text == ["Test Show"] and raw["TRCK"].text == ["3"] and raw["TPOS"].text == ["2"]
    assert raw["TCON"].text == ["Podcast"] and raw["TCOP"].text == ["© 2026 Test Charity"]
    assert raw.getall("COMM")[0].text == ["Plain notes.\n\nSecond paragraph."]
    assert raw["TDES"].text == ["Plain notes.\n\nSecond paragraph."]
    assert raw["WFED"].url == "https://example.org/feed.xml" and raw["WOAS"].url == "https://example.org/show"
    assert raw["TGID"].text == ["0d6a3c59-1111-4222-8333-944455556666"] and raw["PCST"].value == 1
    assert raw.getall("USLT")[0].text == "Speaker one: hello."
    # v2.3 has no UTF-8: text must be stored as UTF-16 (encoding 1), which mutagen converts to on save.
    assert all(frame.encoding in (0, 1) for frame in raw.values() if hasattr(frame, "encoding"))

    apic = raw.getall("APIC")[0]
    assert apic.mime == "image/jpeg" and apic.type == 3 and len(apic.data) <= EMBED_MAX_BYTES
    with Image.open(io.BytesIO(apic.data)) as image:
        assert image.format == "JPEG" and image.size == (600, 600)

    probe = ffprobe(path)["format"]["tags"]
    assert probe["title"] == "Episode one" and probe["album"] == "Test Show" and probe["genre"] == "Podcast"


def test_id3v24_keeps_tdrc(small_mp3, tmp_path):
    path = copy(small_mp3, tmp_path)
    write_tags(path, values(), id3_version=4)
    raw = ID3(path, translate=False)
    assert raw.version == (2, 4, 0)
    assert str(raw["TDRC"].text[0]) == "2026-11-20" and "TYER" not in raw


def test_chapters_are_ordered_chap_frames_with_ctoc(small_mp3, cover, tmp_path):
    path = copy(small_mp3, tmp_path)
    # Titles of very different lengths: mutagen alone would order the frames by size (mutagen#506).
    chapters = (
        TagChapter(0, "A much longer opening chapter title"),
        TagChapter(500, "B"),
        TagChapter(1500, "Third", url="https://example.org/3", image_jpeg=cover),
    )
    write_tags(path, values(chapters=chapters))
    tags = ID3(path)
    chaps = tags.getall("CHAP")
    assert [(c.start_time, c.end_time) for c in chaps] == [(0, 500), (500, 1500), (1500, chaps[2].end_time)]
    assert 1900 <= chaps[2].end_time <= 2200  # the end of the 2 s file
    assert chaps[2].sub_frames.getall("WXXX")[0].url == "https://example.org/3"
    assert chaps[2].sub_frames.getall("APIC")[0].data == cover
    toc = tags.getall("CTOC")[0]
    assert toc.child_element_ids == [c.element_id for c in chaps]
    probe = ffprobe(path)["chapters"]
    assert [(c["start_time"], c["tags"]["title"]) for c in probe] == [
        ("0.000000", "A much longer opening chapter title"),
        ("0.500000", "B"),
        ("1.500000", "Third"),
    ]


def test_rewriting_drops_every_old_frame(small_mp3, tmp_path):
    path = copy(small_mp3, tmp_path)
    old = ID3()
    old.add(TIT2(encoding=3, text="Old title"))
    old.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text="-6.5 dB"))
    old.add(TSSE(encoding=3, text="SomeEncoder 1.0"))
    old.save(path, v2_version=4)
    write_tags(path, values(chapters=()))
    tags = ID3(path)
    assert "TXXX:REPLAYGAIN_TRACK_GAIN" not in tags and "TSSE" not in tags
    assert tags["TIT2"].text == ["Episode one"]


def test_bad_id3_version_is_refused(small_mp3, tmp_path):
    from podcast.errors import PodcastError

    with pytest.raises(PodcastError, match="id3_version"):
        write_tags(copy(small_mp3, tmp_path), values(), id3_version=2)


# Text that has broken tag writers: emoji (outside the BMP), right-to-left scripts, XML/HTML
# specials, combining marks, and notes far longer than a COMM frame usually holds.
awkward = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")),
        st.sampled_from(list("🎙️👩🏽‍🦱שלום مرحبا&<>\"'́") + list(string.ascii_letters)),
    ),
    min_size=1,
    max_size=200,
).filter(lambda text: text.strip() == text and text.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=awkward, notes=st.one_of(awkward, awkward.map(lambda t: (t + "\n\n") * 200)), version=st.sampled_from([3, 4])
)
def test_unicode_titles_and_notes_round_trip(small_mp3, tmp_path, title, notes, version):
    path = copy(small_mp3, tmp_path, "prop.mp3")
    write_tags(path, values(title=title, notes=notes, chapters=(TagChapter(0, title),)), id3_version=version)
    tags = ID3(path)
    assert tags["TIT2"].text == [title]
    assert tags.getall("COMM")[0].text == [notes]
    assert tags["TDES"].text == [notes]
    assert tags.getall("CHAP")[0].sub_frames["TIT2"].text == [title]


def test_fixed_samples_round_trip_through_ffprobe(small_mp3, tmp_path):
    title = "Ünïcode 🎙️ — שלום & مرحبا <b>\"quoted\"</b> 'single'"
    path = copy(small_mp3, tmp_path)
    write_tags(path, values(title=title, chapters=(TagChapter(0, title),)))
    probe = ffprobe(path)
    assert probe["format"]["tags"]["title"] == title
    assert probe["chapters"][0]["tags"]["title"] == title


# --- the build: settings, cache and masters that carry their own tags ---------------------------


def _master_with_tags(folder: Path, kind: str) -> str:
    """A master carrying ReplayGain, an encoder name and an old title, the way editors leave them."""
    if kind == "flac":
        make_audio(
            folder / "tagged.flac",
            source="sine=frequency=330:duration=3",
            codec_args=(
                "-metadata",
                "title=Old master title",
                "-metadata",
                "REPLAYGAIN_TRACK_GAIN=-7.5 dB",
                "-metadata",
                "encoder=OldEncoder 9",
            ),
        )
        return "tagged.flac"
    path = make_audio(
        folder / "tagged.mp3", source="sine=frequency=330:duration=3", codec_args=("-c:a", "libmp3lame", "-b:a", "64k")
    )
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Old master title"))
    tags.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text="-7.5 dB"))
    tags.add(TSSE(encoding=3, text="OldEncoder 9"))
    tags.save(path, v2_version=3)
    return "tagged.mp3"


@pytest.mark.parametrize("kind", ["flac", "mp3"])
def test_master_tags_never_leak(demo_show, cli, kind):
    folder = demo_show / "episodes" / EPISODE
    name = _master_with_tags(folder, kind)
    (folder / "master.flac").unlink()
    manifest = folder / "episode.toml"
    manifest.write_text(manifest.read_text().replace('audio = "master.flac"', f'audio = "{name}"'))
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 0, result.stderr
    mp3 = built_mp3(demo_show)
    tags = ID3(mp3, translate=False)
    assert not tags.getall("TXXX") and "TSSE" not in tags and "TENC" not in tags
    assert tags["TIT2"].text == ["Welcome to Survivor Voices"]
    everything = json.dumps(ffprobe(mp3), ensure_ascii=False) + tags.pprint()
    for leaked in ("Old master title", "REPLAYGAIN", "replaygain", "OldEncoder", "Lavf"):
        assert leaked not in everything


def test_id3_version_setting_retags_without_audio_work(demo_show, cli):
    shorten(demo_show)
    assert cli("-C", demo_show, "build").exit_code == 0
    assert ID3(built_mp3(demo_show)).version == (2, 3, 0)
    show_toml = demo_show / "podcast.toml"
    show_toml.write_text(show_toml.read_text() + "\n[tags]\nid3_version = 4\n")
    result = cli("-C", demo_show, "--json", "build")
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)["episodes"][0]
    assert built["tags_rewritten"] is True and built["audio_rebuilt"] is False
    assert ID3(built_mp3(demo_show)).version == (2, 4, 0)


def test_bad_id3_version_setting_is_one_clear_error(demo_show, cli):
    show_toml = demo_show / "podcast.toml"
    show_toml.write_text(show_toml.read_text() + "\n[tags]\nid3_version = 2\n")
    result = cli("-C", demo_show, "build")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "podcast.toml" in result.stderr and "id3_version" in result.stderr and "Traceback" not in result.stderr
