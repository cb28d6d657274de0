"""EXIF of a photo, read with exifread: GPS, time taken, device, orientation. Never raises."""
import logging
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import exifread

from ..schemas.common import EARLIEST, LATEST

# exifread logs every oddity of malformed files as a warning; we record what we can read.
logging.getLogger("exifread").setLevel(logging.ERROR)

OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _ratio(value):
    try:
        return float(value.num) / float(value.den) if hasattr(value, "num") else float(value)
    except (ZeroDivisionError, TypeError, ValueError, AttributeError):
        return None


def _degrees(tag, ref):
    """Degrees/minutes/seconds ratios and an N/S/E/W reference → signed decimal degrees."""
    if tag is None:
        return None
    parts = [_ratio(v) for v in (tag.values or [])]
    if len(parts) != 3 or any(p is None for p in parts):
        return None
    value = parts[0] + parts[1] / 60 + parts[2] / 3600
    if ref is not None and str(ref.printable).strip().upper() in ("S", "W"):
        value = -value
    return value


def _text(tags, name):
    tag = tags.get(name)
    if tag is None:
        return None
    text = str(tag.printable).strip().strip("\x00").strip()
    return text[:100] or None


def _taken_at(tags, default_tz):
    text = _text(tags, "EXIF DateTimeOriginal") or _text(tags, "Image DateTime")
    if not text:
        return None, None
    try:
        local = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, text
    offset = _text(tags, "EXIF OffsetTimeOriginal") or _text(tags, "EXIF OffsetTime")
    m = OFFSET_RE.match(offset or "")
    if m:
        sign = 1 if m.group(1) == "+" else -1
        tz = timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    else:
        tz = ZoneInfo(default_tz)  # cameras without an offset tag record local time
    taken = local.replace(tzinfo=tz)
    try:
        plausible = EARLIEST <= taken.astimezone(timezone.utc) <= LATEST
    except OverflowError:  # 9999-12-31 23:59:59 at -23:59 is past year 9999 in UTC
        plausible = False
    # Kept as text only: an absurd time cannot be stored as a datetime, nor compared with the case's.
    return (taken if plausible else None), text


def read_exif(path, default_tz="Asia/Shanghai"):
    """{lat, lon, taken_at (aware datetime), taken_at_text, make, model, orientation}; {} when none."""
    try:
        with open(path, "rb") as f:
            tags = exifread.process_file(f, details=False)
    except Exception:  # malformed EXIF must never fail an upload
        return {}
    if not tags:
        return {}
    out = {}
    try:
        lat = _degrees(tags.get("GPS GPSLatitude"), tags.get("GPS GPSLatitudeRef"))
        lon = _degrees(tags.get("GPS GPSLongitude"), tags.get("GPS GPSLongitudeRef"))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180 \
                and not (lat == 0 and lon == 0):
            out["lat"], out["lon"] = round(lat, 7), round(lon, 7)
        taken, text = _taken_at(tags, default_tz)
        if taken is not None:
            out["taken_at"] = taken
        if text:
            out["taken_at_text"] = text
        for key, name in (("make", "Image Make"), ("model", "Image Model")):
            value = _text(tags, name)
            if value:
                out[key] = value
        orientation = tags.get("Image Orientation")
        if orientation is not None and orientation.values:
            value = orientation.values[0]
            if isinstance(value, int) and 1 <= value <= 8:
                out["orientation"] = value
    except Exception:
        return out
    return out
