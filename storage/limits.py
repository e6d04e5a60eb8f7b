"""What a row may hold, checked before every flush on SQLite and PostgreSQL alike.

SQLite stores a text of any length in a ``String(80)`` column and keeps NUL bytes;
PostgreSQL refuses both and the update would crash. So before a flush, every text
column of a new or changed row loses its NUL bytes, and a text longer than its column
is refused with a message naming the field (when people typed it) or cut to fit (when
the platform gave it, such as a display name or a chat's title). Only what a flush
writes is checked: every text of a new row, the changed texts of a stored one. The
flush raising rolls the whole update back: nothing is half-saved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from bot.errors import check_length
from bot.i18n import N_

# Texts people type, by (table, column): the name the error uses for the field.
TYPED: dict[tuple[str, str], str] = {
    ("meetings", "place"): N_("the place"),
    ("working_groups", "name"): N_("the working group's name"),
    ("working_groups", "place"): N_("the place"),
    ("sectors", "name"): N_("the sector's name"),
    ("sectors", "email"): N_("the e-mail address"),
    ("reporting_deadlines", "name"): N_("the deadline's name"),
    ("reporting_deadlines", "link"): N_("the link"),
    ("action_plans", "name"): N_("the plan's name"),
    ("atas", "file_name"): N_("the file's name"),
    ("flow_documents", "name"): N_("the document's name"),
    ("flow_versions", "file_name"): N_("the file's name"),
    ("networks", "signature"): N_("the signature"),
}


@event.listens_for(Session, "before_flush")
def _check_texts(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        _check_row(row)


def _check_row(row: Any) -> None:
    """A new row's every text; a stored row's changed texts only (a value stored before
    these checks existed must not block an unrelated change of its row)."""
    state = inspect(row)
    mapper = state.mapper
    table = mapper.local_table.name
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if state.persistent and not state.attrs[prop.key].history.added:
            continue
        value = getattr(row, prop.key, None)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            value = value.replace("\x00", "")
            setattr(row, prop.key, value)
        limit = column.type.length if isinstance(column.type, String) else None
        if limit is None or len(value) <= limit:
            continue
        field = TYPED.get((table, column.name))
        if field is None:
            setattr(row, prop.key, value[:limit])
            continue
        check_length(value, limit, field)
