"""Where photo bytes live: a directory with content-addressed blobs and derivatives.

Every file is written to a temp name, fsynced and renamed, so a crash leaves either the whole
file or nothing under its final name. An S3-compatible store can implement the same methods.
"""
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CHUNK = 256 * 1024


class TooLarge(Exception):
    """The body went past the byte limit while streaming."""


@dataclass
class TempUpload:
    """Bytes received into a temp file, with their digest and size."""

    path: Path
    sha256: str
    size: int
    head: bytes  # the first bytes, for sniffing the real type


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DirectoryPhotoStore:
    """Photos under one root: tmp/, blobs/ab/cd/<sha256>, derived/ab/<sha256>-<variant>.jpg."""

    def __init__(self, root):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        for sub in ("tmp", "blobs", "derived"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def blob_path(self, sha256):
        """Final path of an original."""
        return self.root / "blobs" / sha256[:2] / sha256[2:4] / sha256

    def derivative_path(self, sha256, variant):
        """Final path of a derivative (thumb, medium)."""
        return self.root / "derived" / sha256[:2] / f"{sha256}-{variant}.jpg"

    def receive(self, stream, max_bytes):
        """Stream a body into a temp file, hashing on the way; raises TooLarge past max_bytes."""
        path = self.tmp / f"{uuid.uuid4().hex}.part"
        h = hashlib.sha256()
        size = 0
        head = b""
        try:
            with open(path, "wb") as f:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge()
                    if len(head) < 64:
                        head += chunk[: 64 - len(head)]
                    h.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return TempUpload(path, h.hexdigest(), size, head)

    def keep_original(self, upload: TempUpload):
        """Move a verified upload to its content address (a no-op when those bytes are stored)."""
        final = self.blob_path(upload.sha256)
        if final.exists():
            upload.path.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.path, final)
        _fsync_dir(final.parent)
        return final

    def write_derivative(self, sha256, variant, data):
        """Write a derivative atomically."""
        final = self.derivative_path(sha256, variant)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp / f"{uuid.uuid4().hex}.part"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return final

    def discard(self, upload: TempUpload):
        """Drop a refused upload."""
        upload.path.unlink(missing_ok=True)

    def sweep_temp(self, older_than_s=3600):
        """Remove temp files left by a crashed worker; returns how many."""
        cutoff = time.time() - older_than_s
        removed = 0
        for p in self.tmp.glob("*.part"):
            try:
                if p.stat().st_mtime < cutoff:
                    p.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed


def get_store(app):
    """The app's photo store, made once per app."""
    store = app.extensions.get("xuncha_photo_store")
    if store is None:
        store = DirectoryPhotoStore(app.config["PHOTO_STORE"])
        # A SIGKILLed worker cannot remove its temp file: each process clears stale ones once.
        store.sweep_temp()
        app.extensions["xuncha_photo_store"] = store
    return store
