"""Cover art: checked against Apple's rules, and shrunk for embedding in the MP3."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import PodcastError

MIN_SIZE_PX = 1400
MAX_SIZE_PX = 3000
EMBED_SIZE_PX = 600  # APIC: small enough for old players, big enough for a lock screen
EMBED_MAX_BYTES = 300_000
# Never decode more than this: a 10000x10000 picture takes 400 MB of memory to open (a "decompression bomb").
MAX_DECODE_PIXELS = 4 * MAX_SIZE_PX * MAX_SIZE_PX
RESIZE_FIX = "save the artwork as a square RGB JPEG or PNG of 1400-3000 px"


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


def inspect_artwork(path: Path) -> ArtworkInfo:
    """Open ``path`` and check it is an image at all; size rules are left to `podcast validate`."""
    try:
        with warnings.catch_warnings():
            # Opening reads only the header; the size rules below (and validate) report huge images.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return ArtworkInfo(path, image.width, image.height, image.format or "", image.mode)
    except Image.DecompressionBombError:
        raise PodcastError("is far larger than 3000x3000 px", path=path, fix=RESIZE_FIX) from None
    except (UnidentifiedImageError, OSError):
        raise PodcastError(
            "is not an image that can be read", path=path, fix="save the artwork as a square JPEG or PNG"
        ) from None


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


def embedded_cover(path: Path) -> bytes:
    """A JPEG of at most 600x600 px and 300 KB for the MP3's APIC frame."""
    info = inspect_artwork(path)
    if info.width * info.height > MAX_DECODE_PIXELS:
        raise PodcastError(f"is {info.width}x{info.height} px, too big to use", path=path, fix=RESIZE_FIX)
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((EMBED_SIZE_PX, EMBED_SIZE_PX), Image.Resampling.LANCZOS)
            for quality in (90, 80, 70, 60, 50):
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=quality, optimize=True)
                if buffer.tell() <= EMBED_MAX_BYTES:
                    break
            return buffer.getvalue()
    except (UnidentifiedImageError, OSError):
        raise PodcastError(
            "is not an image that can be read", path=path, fix="save the artwork as a square JPEG or PNG"
        ) from None
