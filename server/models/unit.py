"""Units of the plan: bureaus, agencies, the sub-district office, the campaign office."""
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Unit(db.Model):
    """A responsible unit (单位), named exactly as the plan writes it."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500))  # e.g. a WeCom group robot

    def ref(self):
        """The {code, name} object used for a unit everywhere in the API."""
        return {"code": self.code, "name": self.name}
