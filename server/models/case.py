"""A case (案件): one problem found, its routing, status and integrity flags."""
import uuid
from datetime import datetime

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table,
                        Text, Uuid)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .catalog import Action, Category
from .types import UTCDateTime, utcnow
from .unit import Unit
from .user import ApiKey, User

STATUSES = ("submitted", "dispatched", "accepted", "resolved", "closed", "rejected")
OPEN_STATUSES = ("submitted", "dispatched", "accepted", "resolved")
SOURCES = ("inspector", "public", "open311")

case_cooperating_units = Table(
    "case_cooperating_units", db.metadata,
    Column("case_pk", ForeignKey("cases.pk", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Case(db.Model):
    """A reported problem. `id` is the phone's UUID; `pk` orders cases and makes the number."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_lead_status_due", "lead_unit_id", "status", "due_at"),
        Index("ix_cases_reporter_pk", "reporter_id", "pk"),
        Index("ix_cases_status_pk", "status", "pk"),
        Index("ix_cases_updated_at", "updated_at"),
        Index("ix_cases_received_at", "received_at"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    source: Mapped[str] = mapped_column(String(10))
    covert: Mapped[bool] = mapped_column(Boolean, default=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(255))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # First dispatch and last resolve, kept by the lifecycle so the evaluation need not scan events.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    routing_rule: Mapped[str] = mapped_column(String(120))
    routing_reason: Mapped[str] = mapped_column(Text)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    body_hash: Mapped[str] = mapped_column(String(64))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    contact: Mapped[dict | None] = mapped_column(JSON)  # a member of the public's optional contact
    media_url: Mapped[str | None] = mapped_column(String(500))
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_pk: Mapped[int | None] = mapped_column(ForeignKey("cases.pk"))
    extension_request: Mapped[dict | None] = mapped_column(JSON)  # {due_at, note, by, at} until decided
    receipt_hash: Mapped[str | None] = mapped_column(String(64))  # a public complainant's status code
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship()
    action: Mapped[Action] = relationship()
    lead_unit: Mapped[Unit] = relationship()
    cooperating_units: Mapped[list[Unit]] = relationship(
        secondary=case_cooperating_units, order_by=Unit.id)
    reporter: Mapped[User | None] = relationship()
    api_key: Mapped[ApiKey | None] = relationship()
    photos: Mapped[list["Photo"]] = relationship(  # noqa: F821
        back_populates="case", order_by="Photo.position", cascade="all, delete-orphan")

    duplicate_of: Mapped["Case | None"] = relationship(remote_side=[pk])

    @property
    def is_open(self):
        """Not yet closed or rejected."""
        return self.status in OPEN_STATUSES
