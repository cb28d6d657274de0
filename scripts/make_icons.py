"""Draw the PWA icons (巡 on the theme colour). Run once when the design changes; the PNGs are committed.

Usage: .venv/bin/python scripts/make_icons.py   (needs Debian fonts-noto-cjk)
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"
GREEN = (11, 110, 79)


def draw(size, safe_zone):
    """A square icon; the glyph fits inside the safe zone (maskable icons need 80 %)."""
    im = Image.new("RGB", (size, size), GREEN)
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, int(size * safe_zone * 0.72), index=2)  # SC face
    box = d.textbbox((0, 0), "巡", font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    d.text(((size - w) / 2 - box[0], (size - h) / 2 - box[1]), "巡", font=font, fill="white")
    return im


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, 1.0).save(OUT / "icon-192.png", optimize=True)
    draw(512, 1.0).save(OUT / "icon-512.png", optimize=True)
    draw(512, 0.8).save(OUT / "maskable-512.png", optimize=True)
