"""Integrity flags: where a photo's EXIF disagrees with the device's fix or the capture time."""
from flask import current_app

from . import geo


EXIF_FLAG_CODES = ("exif_gps_far", "exif_time_far")


def refreshed_flags(case):
    """The case's flags with the EXIF ones recomputed (others, e.g. recurrence, kept)."""
    kept = [f for f in (case.flags or []) if f.get("code") not in EXIF_FLAG_CODES]
    return kept + exif_flags(case)


def exif_flags(case):
    """Flags from the case's received before-photos whose EXIF disagrees with the case."""
    cfg = current_app.config
    flags = []
    for photo in case.photos:
        if not photo.received or photo.role != "before":
            continue
        if photo.exif_lat is not None and case.lat is not None and case.location_source != "exif":
            d = geo.distance_m(case.lat, case.lon, photo.exif_lat, photo.exif_lon)
            if d > cfg["INTEGRITY_GPS_METERS"]:
                flags.append({"code": "exif_gps_far", "photo_id": str(photo.id),
                              "distance_m": round(d),
                              "message": f"照片 GPS 与设备定位相距 {round(d)} 米"})
        if photo.exif_taken_at is not None and case.captured_at is not None:
            hours = abs((photo.exif_taken_at - case.captured_at).total_seconds()) / 3600
            if hours > cfg["INTEGRITY_TIME_HOURS"]:
                flags.append({"code": "exif_time_far", "photo_id": str(photo.id),
                              "hours": round(hours, 1),
                              "message": f"照片拍摄时间与上报时间相差 {round(hours, 1)} 小时"})
    return flags
