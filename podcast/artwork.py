"""Cover art: checked against Apple's rules, repaired when that is safe, and shrunk for the MP3.

Apple and Spotify want a square RGB JPEG or PNG of 1400-3000 px with no transparency.
Some problems can be repaired without changing what the picture shows (transparency
flattened onto white, CMYK or greyscale turned into RGB, an oversized image scaled
down, another format saved as JPEG): :func:`prepare_artwork` does that with Pillow into
``build/artwork/`` and logs a warning, and the converted copy is what gets published.
The others (too small, not square, not an image) would need a designer, so they are
errors that name the file and say what to do.

Published images carry no metadata at all: EXIF (with Windows' XPComment and UNICODE
UserComment), XMP, JPEG comments, PNG text chunks and colour profiles are where a
contributor's real name hides (Properties → Details on Windows). An image that has any is
published as a clean copy (:func:`prepare_artwork`), and the MP3 cover and chapter
pictures are always new JPEGs with none (:func:`embedded_cover`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, UnidentifiedImageError

from podcast.errors import PodcastError

log = logging.getLogger(__name__)

MIN_SIZE_PX = 1400
MAX_SIZE_PX = 3000
EMBED_SIZE_PX = 600  # APIC: small enough for old players, big enough for a lock screen
EMBED_MAX_BYTES = 300_000
CONVERTED_QUALITY = 92
CONVERSION_FORMAT = 2  # bump when prepare_artwork's output changes, so cached conversions are redone
FIX_HINT = "export the artwork as a square RGB JPEG or PNG of 1400-3000 px"
MAX_DECODE_PIXELS = 6000 * 6000  # never decode more: memory use grows with the pixel count


@dataclass(frozen=True)
class ArtworkInfo:
    path: Path
    width: int
    height: int
    format: str  # "JPEG" or "PNG"
    mode: str  # "RGB", "RGBA", "CMYK", ...

    @property
    def content_type(self) -> str:
        return "image/png" if self.format == "PNG" else "image/jpeg"

    @property
    def extension(self) -> str:
        return ".png" if self.format == "PNG" else ".jpg"

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("RGBA", "LA", "PA", "La", "RGBa") or self.transparency

    transparency: bool = False  # a palette or RGB PNG with a transparent colour


@dataclass(frozen=True)
class PreparedArtwork:
    """Artwork ready to publish: the producer's file, or a repaired copy of it under build/artwork/."""

    source: Path
    path: Path
    fixes: tuple[str, ...] = ()

    @property
    def converted(self) -> bool:
        return self.path != self.source


def inspect_artwork(path: Path) -> ArtworkInfo:
    """Open ``path`` and check it is an image at all; size rules are left to `podcast validate`."""
    try:
        with warnings.catch_warnings():
            # Opening reads only the header, so a huge image costs nothing here; unfixable_problems
            # refuses it before anything decodes it (and no Python warning reaches the producer).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return ArtworkInfo(
                    path,
                    image.width,
                    image.height,
                    image.format or "",
                    image.mode,
                    transparency="transparency" in image.info,
                )
    except Image.DecompressionBombError:  # Pillow refuses to even read the header past 2 x MAX_IMAGE_PIXELS
        raise PodcastError(
            f"is a picture of more than {2 * (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000} megapixels, "
            "too large to convert safely",
            path=path,
            fix=FIX_HINT,
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise PodcastError(
            "is not an image that can be read", path=path, fix="save the artwork as a square JPEG or PNG"
        ) from None


def too_large_to_decode(info: ArtworkInfo) -> str | None:
    """Why decoding this picture would cost too much memory, or None (the same limit for every picture).

    >>> too_large_to_decode(ArtworkInfo(Path("a.jpg"), 12000, 12000, "JPEG", "RGB"))
    'is 12000x12000 px, too large to convert safely'
    """
    if info.width * info.height > MAX_DECODE_PIXELS:  # e.g. 10000x10000: 400 MB to decode; a "decompression bomb"
        return f"is {info.width}x{info.height} px, too large to convert safely"
    return None


def artwork_problems(info: ArtworkInfo) -> list[str]:
    """Apple's artwork requirements that this image breaks (empty when it is fine)."""
    problems = []
    if info.format not in ("JPEG", "PNG"):
        problems.append(f"is {info.format or 'an unknown format'}, not JPEG or PNG")
    if info.width != info.height:
        problems.append(f"is {info.width}x{info.height}, not square")
    if min(info.width, info.height) < MIN_SIZE_PX or max(info.width, info.height) > MAX_SIZE_PX:
        problems.append(f"is {info.width}x{info.height} px, outside {MIN_SIZE_PX}-{MAX_SIZE_PX} px")
    if info.mode not in ("RGB", "L"):
        problems.append(f"uses colour mode {info.mode}, not RGB")
    return problems


def unfixable_problems(info: ArtworkInfo) -> list[str]:
    """Problems only a new export can solve: not square, or too small to scale up without blur.

    >>> unfixable_problems(ArtworkInfo(Path("a.jpg"), 1000, 1200, "JPEG", "RGB"))
    ['is 1000x1200 px, not square', 'is 1000x1200 px, smaller than 1400x1400 px']
    """
    problems = [problem] if (problem := too_large_to_decode(info)) else []
    if info.width != info.height:
        problems.append(f"is {info.width}x{info.height} px, not square")
    if min(info.width, info.height) < MIN_SIZE_PX:
        problems.append(f"is {info.width}x{info.height} px, smaller than {MIN_SIZE_PX}x{MIN_SIZE_PX} px")
    return problems


def fixable_problems(info: ArtworkInfo) -> list[str]:
    """Problems :func:`prepare_artwork` repairs without changing what the picture shows.

    >>> fixable_problems(ArtworkInfo(Path("a.png"), 4000, 4000, "PNG", "RGBA"))
    ['has transparency (flattened onto white)', 'is 4000x4000 px, larger than 3000x3000 px (scaled down)']
    >>> fixable_problems(ArtworkInfo(Path("a.jpg"), 1400, 1400, "JPEG", "CMYK"))
    ['uses colour mode CMYK, not RGB (converted to RGB)']
    """
    problems = []
    if info.format not in ("JPEG", "PNG"):
        problems.append(f"is {info.format or 'an unknown format'}, not JPEG or PNG (saved as JPEG)")
    if info.has_alpha:
        problems.append("has transparency (flattened onto white)")
    elif info.mode != "RGB":
        problems.append(f"uses colour mode {info.mode}, not RGB (converted to RGB)")
    if max(info.width, info.height) > MAX_SIZE_PX:
        problems.append(f"is {info.width}x{info.height} px, larger than {MAX_SIZE_PX}x{MAX_SIZE_PX} px (scaled down)")
    return problems


def require_usable_artwork(path: Path) -> ArtworkInfo:
    """Inspect ``path`` and raise a clear error when no safe repair can make it valid artwork."""
    info = inspect_artwork(path)
    problems = unfixable_problems(info)
    if problems:
        raise PodcastError(f"artwork {' and '.join(problems)}", path=path, fix=FIX_HINT)
    return info


def to_rgb(image: Image.Image) -> Image.Image:
    """An RGB copy of ``image``: transparency flattened onto white, CMYK through its ICC profile if it has one.

    A plain ``convert("RGB")`` would turn transparent areas black and shift CMYK colours.
    """
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode == "CMYK" and image.info.get("icc_profile"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError):
            log.debug("ICC conversion failed; converting CMYK without the profile", exc_info=True)
    return image.convert("RGB")


_PNG_STRUCTURE_CHUNKS = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"fdAT",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"pHYs",
    b"bKGD",
}
_PNG_PIXEL_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"fdAT"}
_JFIF_HEADER = b"JFIF\x00"


def metadata_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """Every block of a JPEG or PNG file that is not pixel data: JPEG APPn and COM segments, PNG ancillary chunks.

    >>> [label for label, _ in metadata_blocks(b"\\xff\\xd8\\xff\\xfe\\x00\\x05hi!\\xff\\xda\\x00\\x02")]
    ['JPEG comment']
    """
    blocks: list[tuple[str, bytes]] = []
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 4 <= len(data) and data[index] == 0xFF:
            marker = data[index + 1]
            if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
                index += 1 if marker == 0xFF else 2
                continue
            if marker in (0xDA, 0xD9):  # start of scan (compressed pixels follow) or end of image
                break
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if 0xE0 <= marker <= 0xEF or marker == 0xFE:
                label = "JPEG comment" if marker == 0xFE else f"JPEG APP{marker - 0xE0}"
                blocks.append((label, data[index + 4 : index + 2 + length]))
            index += 2 + length
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        index = 8
        while index + 8 <= len(data):
            length = int.from_bytes(data[index : index + 4], "big")
            kind = data[index + 4 : index + 8]
            if kind not in _PNG_PIXEL_CHUNKS:
                blocks.append((f"PNG {kind.decode('latin-1')} chunk", data[index + 8 : index + 8 + length]))
            index += 12 + length
    return blocks


def has_metadata(path: Path) -> bool:
    """Whether the image holds anything beyond its pixels and the bare format header (JFIF, Adobe, PNG colour chunks)."""
    for label, block in metadata_blocks(path.read_bytes()):
        if label == "JPEG APP0" and block.startswith(_JFIF_HEADER) and len(block) <= 14:
            continue  # the JFIF header without a thumbnail
        if label == "JPEG APP14" and block.startswith(b"Adobe") and len(block) <= 12:
            continue  # Adobe's colour transform flag
        if label.startswith("PNG ") and label[4:8].encode("latin-1") in _PNG_STRUCTURE_CHUNKS:
            continue
        return True
    return False


def _without_metadata(image: Image.Image) -> Image.Image:
    """``image`` in sRGB with nothing but its pixels: its colour profile applied, then every info field dropped.

    Pillow copies some fields (a JPEG comment, a colour profile) into what it saves unless they are gone.
    """
    profile = image.info.get("icc_profile")
    if profile and image.mode == "RGB":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError):
            log.debug("ICC conversion failed; dropping the profile", exc_info=True)
    image.info = {}
    return image


def prepare_artwork(path: Path, build_dir: Path) -> PreparedArtwork:
    """The artwork to publish for ``path``: itself when valid, else a repaired JPEG under ``build_dir/artwork``.

    Raises on problems that cannot be repaired. The converted file is named after a hash
    of the source bytes, so it is made once and its published name (hashed again from its
    own bytes by the pipeline) changes whenever the producer's image changes.
    """
    info = require_usable_artwork(path)
    fixes = fixable_problems(info)
    if not fixes and not has_metadata(path):
        return PreparedArtwork(source=path, path=path)
    digest = hashlib.sha256(path.read_bytes() + f"/{CONVERSION_FORMAT}".encode()).hexdigest()[:16]
    keep_png = not fixes and info.format == "PNG"
    out = build_dir / "artwork" / f"{path.stem}-{digest}{'.png' if keep_png else '.jpg'}"
    if not out.is_file():
        try:
            with Image.open(path) as image:
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(f".{out.name}.tmp")
                if not fixes:  # only metadata to remove: the same pixels, the same quantisation
                    image.load()
                    plain = _without_metadata(image)
                    if keep_png:
                        plain.save(tmp, "PNG", optimize=True)
                    elif plain is image:
                        plain.save(tmp, "JPEG", quality="keep", optimize=True)
                    else:  # its colour profile was applied
                        plain.save(tmp, "JPEG", quality=CONVERTED_QUALITY, optimize=True)
                else:
                    rgb = _without_metadata(to_rgb(image))
                    if max(rgb.size) > MAX_SIZE_PX:
                        rgb = rgb.resize((MAX_SIZE_PX, MAX_SIZE_PX), Image.Resampling.LANCZOS)
                    rgb.save(tmp, "JPEG", quality=CONVERTED_QUALITY, optimize=True)
                os.replace(tmp, out)
        except (UnidentifiedImageError, ValueError, Image.DecompressionBombError):
            raise PodcastError("artwork cannot be converted", path=path, fix=FIX_HINT) from None
        except OSError as exc:
            raise PodcastError(
                f"cannot write converted artwork ({exc.strerror or exc})",
                path=out,
                fix="check free disk space and permissions",
            ) from None
    if not fixes:
        log.info("%s: artwork metadata removed; publishing the clean copy %s", path, out)
        return PreparedArtwork(source=path, path=out)
    log.warning("%s: artwork %s; publishing the converted copy %s — %s", path, "; ".join(fixes), out, FIX_HINT)
    return PreparedArtwork(source=path, path=out, fixes=tuple(fixes))


def embedded_cover(path: Path, *, size_px: int = EMBED_SIZE_PX) -> bytes:
    """A JPEG of at most ``size_px`` square (600 px for the cover) and 300 KB, for an APIC frame."""
    problem = too_large_to_decode(inspect_artwork(path))  # before decoding: the same limit as show artwork
    if problem:
        raise PodcastError(f"picture {problem}", path=path, fix=FIX_HINT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked above, against a lower limit
            source = Image.open(path)
        with source:
            image = _without_metadata(to_rgb(source))  # convert() copies info: a comment would be saved along
            image.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
            for quality in (90, 80, 70, 60, 50, 40, 30):
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=quality, optimize=True)
                if buffer.tell() <= EMBED_MAX_BYTES:
                    break
            return buffer.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        raise PodcastError(
            "is not an image that can be read", path=path, fix="save the artwork as a square JPEG or PNG"
        ) from None
