"""The plan's seven actions, the problem categories, routing zones and the work calendar."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .unit import Unit

action_lead_units = Table(
    "action_lead_units", db.metadata,
    Column("action_id", ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)
action_cooperating_units = Table(
    "action_cooperating_units", db.metadata,
    Column("action_id", ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)
category_cooperating_units = Table(
    "category_cooperating_units", db.metadata,
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Action(db.Model):
    """One of the seven special actions (七大专项), numbered 1–7 as in the plan."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    lead_units: Mapped[list[Unit]] = relationship(secondary=action_lead_units, order_by=Unit.id)
    cooperating_units: Mapped[list[Unit]] = relationship(
        secondary=action_cooperating_units, order_by=Unit.id)


class Category(db.Model):
    """A problem type an inspector picks; it carries its routing and deadline."""

    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    deadline_value: Mapped[int] = mapped_column(Integer)
    deadline_kind: Mapped[str] = mapped_column(String(10))  # hours | workdays
    auto_dispatch: Mapped[bool] = mapped_column(Boolean, default=True)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=True)
    basis: Mapped[str | None] = mapped_column(Text)  # the plan's words behind the routing
    keywords: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    action: Mapped[Action] = relationship()
    lead_unit: Mapped[Unit] = relationship()
    cooperating_units: Mapped[list[Unit]] = relationship(
        secondary=category_cooperating_units, order_by=Unit.id)


class Zone(db.Model):
    """A named area (urban village, market, site) whose polygon can override the lead unit."""

    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    geometry: Mapped[dict] = mapped_column(JSON)  # GeoJSON Polygon or MultiPolygon, WGS-84
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    category_codes: Mapped[list | None] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    lead_unit: Mapped[Unit] = relationship()


class CatalogMeta(db.Model):
    """The catalog's version, bumped whenever its content changes, so phones refresh their copy."""

    __tablename__ = "catalog_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(db.Model):
    """An office-kept exception to the work calendar: a holiday or an adjusted working day (调休)."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(80))
