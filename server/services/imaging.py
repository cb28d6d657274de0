"""Image checks and derivatives from one decode: sniff, pixel cap, draft-mode decode, orientation."""
import io
import math
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()

ORIENTATION_TAG = 0x0112

# Pillow format names of the types we accept, and their canonical media types.
ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
            "HEIF": "image/heic", "AVIF": None}


class ImageRefused(Exception):
    """An upload that is not an acceptable image: status 415 or 422, code, message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Derivatives:
    """What one decode yields: the real type, displayed size, and JPEG derivatives."""

    content_type: str
    width: int
    height: int
    thumb: bytes
    medium: bytes | None  # None when only the thumbnail was asked for


def sniff(head: bytes):
    """The media type the first bytes announce, or None when they are not an accepted image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis",
                                               b"hevc", b"hevx"):
        return "image/heic"
    return None


def _draft_size(size, target):
    """The smallest size keeping the long side ≥ target, so JPEG draft can decode at 1/2…1/8 scale."""
    w, h = size
    long_side = max(w, h)
    if long_side <= target:
        return size
    return (math.ceil(w * target / long_side), math.ceil(h * target / long_side))


def _to_rgb(im):
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, "white")
        bg.paste(im, mask=im.getchannel("A"))
        return bg
    return im.convert("RGB") if im.mode != "RGB" else im


def _jpeg(im):
    buf = io.BytesIO()
    # No exif= argument: derivatives carry no metadata (GPS, device) at all. optimize trims ~10 %
    # of the bytes for a few ms; progressive would double the encode time for little gain at this size.
    im.save(buf, "JPEG", quality=82, optimize=True)
    return buf.getvalue()


# Only JPEG decodes at a reduced scale (draft mode); other formats decode whole, so besides the
# pixel cap their decoded size is capped: a 48 MP HEIC (146 MB as RGB) passes, a 300 kB
# single-colour 100 MP RGB PNG (300 MB decoded) does not.
FULL_DECODE_MAX_BYTES = 200 * 1024 * 1024
SHRINKABLE_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")


def _bytes_per_pixel(mode):
    """Bytes Pillow holds per pixel in this mode ("1" is a byte per pixel once loaded)."""
    if mode in ("I", "F", "RGBA", "RGBX", "CMYK", "YCbCr", "RGBa", "LAB", "HSV"):
        return 4 if mode in ("I", "F", "RGBA", "RGBX", "CMYK", "RGBa") else 3
    if mode.startswith("I;16") or mode in ("LA", "La", "PA"):
        return 2
    return 3 if mode == "RGB" else 1


def make_derivatives(path, max_pixels, thumb_px, medium_px=None):
    """Decode the image once (draft mode for JPEG), apply EXIF orientation, return derivatives.

    Without medium_px only the thumbnail is made, from a decode at up to 1/8 scale: that is what an
    upload needs (the decode proves the file whole), and the medium is made on its first view.
    """
    largest = medium_px or thumb_px
    # Pillow's bomb guard warns past MAX_IMAGE_PIXELS; make that our configured cap, and an error.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(422, "image_too_large", "图片像素过多（疑似解压炸弹）")
    except Exception:
        # The caller sniffed an accepted type, so a file Pillow cannot even open is broken.
        raise ImageRefused(422, "undecodable_image", "图片无法解码（文件损坏或不完整）")
    with im:
        if im.format not in ACCEPTED:
            raise ImageRefused(415, "unsupported_media_type", f"不接受的图片格式：{im.format}")
        w, h = im.size
        if w <= 0 or h <= 0 or w * h > max_pixels:
            raise ImageRefused(422, "image_too_large", f"图片像素过多：{w}×{h}")
        if im.format != "JPEG" and w * h * _bytes_per_pixel(im.mode) > FULL_DECODE_MAX_BYTES:
            raise ImageRefused(422, "image_too_large", f"图片像素过多：{w}×{h}（{im.format} 需完整解码）")
        content_type = "image/heic" if im.format in ("HEIF", "AVIF") else ACCEPTED[im.format]
        try:
            if im.format == "JPEG":
                # Draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale: a fraction of the work.
                im.draft("RGB", _draft_size(im.size, largest))
            im.load()
            quarter_turn = im.getexif().get(ORIENTATION_TAG) in (5, 6, 7, 8)
            if im.format == "JPEG" or im.mode in SHRINKABLE_MODES:
                # Shrink the decode in place before transposing and converting copy it: turning
                # 1280 px costs a third of turning 2000 (the box is square, so the orientation
                # does not matter yet), and a 12 kB 1-bit PNG of 100 MP took 570 MB the other way.
                # After the draft's DCT-domain reduction the step left is under 2×, where Pillow's
                # (antialiased) bilinear filter looks like bicubic at half its cost (scripts/bench.py).
                im.thumbnail((largest, largest), Image.Resampling.BILINEAR)
            medium = _to_rgb(ImageOps.exif_transpose(im))
            medium.thumbnail((largest, largest), Image.Resampling.BILINEAR)
            thumb = medium.copy()
            thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.BICUBIC)
            # Report the size as displayed, i.e. after the orientation is applied.
            width, height = (h, w) if quarter_turn else (w, h)
            return Derivatives(content_type, width, height, _jpeg(thumb),
                               _jpeg(medium) if medium_px else None)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageRefused(422, "undecodable_image", f"图片无法解码（文件损坏或不完整）：{exc}")
