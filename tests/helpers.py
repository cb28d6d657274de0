"""Test helpers: case bodies and real photos from ../shared/samples/."""
import hashlib
import io
import uuid
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
# A spot in 阳和工业新区, Liuzhou (WGS-84).
YANGHE = {"lat": 24.3672, "lon": 109.4895}


def sample(relpath):
    """Bytes of a sample photo."""
    return (SAMPLES / relpath).read_bytes()


def generated_jpeg(size=(800, 600), color=(200, 40, 40), **save):
    """A JPEG made here, for cases where a sample's content does not matter."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", **save)
    return buf.getvalue()


def declare(data, content_type="image/jpeg", photo_id=None):
    """A photo declaration for these bytes."""
    return {"id": str(photo_id or uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data), "content_type": content_type}


def case_body(category="a1-piling", photos=(), lat=None, lon=None, captured_at=None, **extra):
    """A valid case body as the PWA sends it."""
    body = {
        "category": category,
        "description": "背街小巷堆放杂物",
        "location": {"lat": YANGHE["lat"] if lat is None else lat,
                     "lon": YANGHE["lon"] if lon is None else lon,
                     "accuracy_m": 12.5, "source": "device"},
        "captured_at": (captured_at or datetime.now(timezone.utc)).isoformat(),
        "photos": list(photos),
    }
    body.update(extra)
    return body


def put_case_with_photos(client, headers, photo_bytes, category="a1-piling", **extra):
    """PUT a case declaring these photos, then upload each; returns (case_id, case JSON, photo ids)."""
    decls = [declare(b) for b in photo_bytes]
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=case_body(category, decls, **extra),
                   headers=headers)
    assert r.status_code == 201, r.json
    for d, data in zip(decls, photo_bytes):
        r = client.put(f"/api/reports/{case_id}/photos/{d['id']}", data=data,
                       headers={**headers, "Content-Type": d["content_type"]})
        assert r.status_code == 201, r.json
    r = client.get(f"/api/reports/{case_id}", headers=headers)
    return case_id, r.json, [d["id"] for d in decls]
