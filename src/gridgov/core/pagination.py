"""Pagination with bounds: a limit of at most NINJA_PAGINATION_MAX_LIMIT and an offset small
enough for every database's integer type (an unbounded ?offset= overflowed SQLite's 64-bit
integers and answered 500 — found by the Schemathesis test)."""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 10_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
