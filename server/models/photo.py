"""Photos of a case: declared by the phone first, received later, blobs addressed by SHA-256."""
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

ROLES = ("before", "after", "verify")


class Photo(db.Model):
    """One photo of a case; `id` is the phone's UUID."""

    __tablename__ = "photos"
    __table_args__ = (Index("ix_photos_case_position", "case_pk", "position"),
                      Index("ix_photos_sha256", "sha256"))
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.pk", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10), default="before")
    position: Mapped[int] = mapped_column(Integer, default=0)
    declared_sha256: Mapped[str] = mapped_column(String(64))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    declared_content_type: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(40))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    exif_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exif: Mapped[dict | None] = mapped_column(JSON)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped["Case"] = relationship(back_populates="photos")  # noqa: F821

    @property
    def received(self):
        """True once the bytes are stored and the row committed."""
        return self.received_at is not None
