"""A name in an image's metadata, in any encoding and any EXIF IFD: found by the gate, never published."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from safeguarding_helpers import copy_built_demo, write_redactions

from podcast.artwork import embedded_cover, has_metadata, metadata_blocks, prepare_artwork
from podcast.safeguarding.gate import scan_image
from podcast.show.redactions import parse_redactions

NAMES = parse_redactions("Marigold Featherstone => Jess\n")
NAME = "Marigold Featherstone"


def _jpeg(path: Path, *, exif: Image.Exif | None = None, comment: bytes | None = None) -> Path:
    image = Image.new("RGB", (1400, 1400), (40, 90, 160))
    extra: dict[str, object] = {"comment": comment} if comment is not None else {}
    if exif is not None:
        extra["exif"] = exif
    image.save(path, "JPEG", quality=90, **extra)
    return path


def xp_comment(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x9C9C] = NAME.encode("utf-16-le") + b"\0\0"  # XPComment, as Windows writes it
    return _jpeg(path, exif=exif)


def unicode_user_comment(path: Path) -> Path:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + NAME.encode("utf-16-be")  # in the Exif IFD, not IFD0
    return _jpeg(path, exif=exif)


def utf16_jpeg_comment(path: Path) -> Path:
    return _jpeg(path, comment=NAME.encode("utf-16"))


def gps_ifd(path: Path) -> Path:
    exif = Image.Exif()
    exif.get_ifd(0x8825)[0x001B] = b"ASCII\0\0\0" + NAME.encode()  # GPSProcessingMethod
    return _jpeg(path, exif=exif)


def png_itxt(path: Path) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Author", NAME, zip=True)
    Image.new("RGB", (1400, 1400), (40, 90, 160)).save(path, "PNG", pnginfo=info)
    return path


CASES = {
    "xp-comment": xp_comment,
    "unicode-user-comment": unicode_user_comment,
    "utf16-jpeg-comment": utf16_jpeg_comment,
    "gps-ifd": gps_ifd,
    "png-itxt": png_itxt,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_gate_finds_a_name_in_every_encoding_and_ifd(tmp_path, case):
    path = CASES[case](tmp_path / f"art{'.png' if case.startswith('png') else '.jpg'}")
    hits = scan_image("artwork/show.jpg", path, NAMES)
    assert hits and all(hit.entry_line == 1 for hit in hits)


@pytest.mark.parametrize("case", sorted(CASES))
def test_prepared_artwork_carries_no_metadata(tmp_path, case):
    source = CASES[case](tmp_path / f"art{'.png' if case.startswith('png') else '.jpg'}")
    assert has_metadata(source)
    prepared = prepare_artwork(source, tmp_path / "build")
    assert prepared.path != source and prepared.path.parent == tmp_path / "build" / "artwork"
    assert not has_metadata(prepared.path) and scan_image("a.jpg", prepared.path, NAMES) == []
    assert b"M\0a\0r" not in prepared.path.read_bytes() and b"Marigold" not in prepared.path.read_bytes()
    with Image.open(source) as before, Image.open(prepared.path) as after:
        assert after.size == before.size and after.getpixel((700, 700)) == pytest.approx(
            before.getpixel((700, 700)), abs=3
        )


def test_a_clean_image_is_published_as_it_is(tmp_path):
    source = _jpeg(tmp_path / "art.jpg")
    assert not has_metadata(source) and prepare_artwork(source, tmp_path / "build").path == source


@pytest.mark.parametrize("case", ["xp-comment", "utf16-jpeg-comment"])
def test_the_mp3_cover_and_chapter_pictures_carry_no_metadata(tmp_path, case):
    cover = embedded_cover(CASES[case](tmp_path / "art.jpg"))
    assert [label for label, _ in metadata_blocks(cover) if label != "JPEG APP0"] == []


def test_a_published_show_has_no_name_in_its_artwork(built_demo, tmp_path, monkeypatch, cli):
    show = copy_built_demo(built_demo, tmp_path)
    xp_comment(show / "artwork.jpg")
    write_redactions(tmp_path, monkeypatch, f"{NAME} => Jess\n")
    result = cli("-C", show, "publish")
    assert result.exit_code == 0, result.stderr
    images = list((show / "feed" / "artwork").glob("*"))
    assert images and all(not has_metadata(image) for image in images)
