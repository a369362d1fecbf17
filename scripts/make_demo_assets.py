"""Regenerate the demo show's synthetic assets: the trailer's master audio and the show artwork.

Neutral words only: demo content must never resemble a real testimony.
Needs espeak-ng and ffmpeg on PATH:  python scripts/make_demo_assets.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = (
    "Welcome to Survivor Voices, a podcast from Example Charity. "
    "Each episode shares stories of recovery, and the work of the people who keep children safe online. "
    "New episodes arrive every month. Subscribe in your podcast app so you never miss one."
)


def make_audio() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(wav), SCRIPT], check=True)
        # A quiet master (about -28 LUFS) so the build's normalisation has real work to do.
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                "-af",
                "volume=-12dB",
                "-ar",
                "22050",
                "-ac",
                "1",
                "-sample_fmt",
                "s16",
                str(ROOT / "episodes" / "trailer" / "master.flac"),
            ],
            check=True,
        )


def make_artwork() -> None:
    size = 1400
    image = Image.new("RGB", (size, size), (24, 54, 84))
    draw = ImageDraw.Draw(image)
    for i in range(0, size, 70):  # soft diagonal bands
        draw.line([(i, 0), (0, i)], fill=(34, 70, 104), width=18)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 150)
        small = ImageFont.truetype("DejaVuSans.ttf", 64)
    except OSError:
        font = small = ImageFont.load_default(size=150)
    draw.text((size / 2, size * 0.42), "Survivor", font=font, fill=(250, 244, 230), anchor="mm")
    draw.text((size / 2, size * 0.56), "Voices", font=font, fill=(250, 200, 120), anchor="mm")
    draw.text((size / 2, size * 0.80), "Example Charity", font=small, fill=(220, 220, 220), anchor="mm")
    image.save(ROOT / "artwork.jpg", "JPEG", quality=80, optimize=True)


if __name__ == "__main__":
    make_audio()
    make_artwork()
