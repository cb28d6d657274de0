"""Marshmallow schemas for every resource, in one place."""
from .auth import TokenIn, TokenOut, UserOut
from .cases import CaseIn, CaseListQuery, CaseOut, CasePage, NearbyOut, TransitionIn
from .catalog import CatalogOut
from .common import ErrorOut

__all__ = ["NearbyOut", "TransitionIn", "CaseIn", "CaseListQuery", "CaseOut", "CasePage", "CatalogOut", "ErrorOut", "TokenIn",
           "TokenOut", "UserOut"]
