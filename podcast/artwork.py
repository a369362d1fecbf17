"""Cover art: checked against Apple's rules, repaired when that is safe, and shrunk for the MP3.

Apple and Spotify want a square RGB JPEG or PNG of 1400-3000 px with no transparency.
Some problems can be repaired without changing what the picture shows (transparency
flattened onto white, CMYK or greyscale turned into RGB, an oversized image scaled
down, another format saved as JPEG): :func:`prepare_artwork` does that with Pillow into
``build/artwork/`` and logs a warning, and the converted copy is what gets published.
The others (too small, not square, not an image) would need a designer, so they are
errors that name the file and say what to do.
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
CONVERSION_FORMAT = 1  # bump when prepare_artwork's output changes, so cached conversions are redone
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


def prepare_artwork(path: Path, build_dir: Path) -> PreparedArtwork:
    """The artwork to publish for ``path``: itself when valid, else a repaired JPEG under ``build_dir/artwork``.

    Raises on problems that cannot be repaired. The converted file is named after a hash
    of the source bytes, so it is made once and its published name (hashed again from its
    own bytes by the pipeline) changes whenever the producer's image changes.
    """
    info = require_usable_artwork(path)
    fixes = fixable_problems(info)
    if not fixes:
        return PreparedArtwork(source=path, path=path)
    digest = hashlib.sha256(path.read_bytes() + f"/{CONVERSION_FORMAT}".encode()).hexdigest()[:16]
    out = build_dir / "artwork" / f"{path.stem}-{digest}.jpg"
    if not out.is_file():
        try:
            with Image.open(path) as image:
                rgb = to_rgb(image)
                if max(rgb.size) > MAX_SIZE_PX:
                    rgb = rgb.resize((MAX_SIZE_PX, MAX_SIZE_PX), Image.Resampling.LANCZOS)
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(f".{out.name}.tmp")
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
            image = to_rgb(source)
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
