"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from rules.clock import system_clock


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Store aware datetimes as UTC; always read them back aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        moment: dt.datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
# A JSON column whose Python None is SQL NULL (JSONType stores the JSON text `null`), for
# columns a partial index selects by IS NOT NULL.
NullableJSON = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def enum_column_type(enum_cls: type[enum.Enum]) -> sa.Enum:
    """Store an enum by its value as VARCHAR (no native PG enum: migrations stay simple)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTC moment column: now (the system clock) by default, unless it may be empty."""
    return Field(
        default_factory=system_clock if not nullable else None,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
    )
