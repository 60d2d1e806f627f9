"""Decoding the sort keys inside this service's page cursors."""

import uuid
from datetime import datetime

from usmkit.problems import BadRequest


def cursor_key(after: list[object]) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, row_id = after
        return datetime.fromisoformat(str(created_at)), uuid.UUID(str(row_id))
    except ValueError as exc:
        raise BadRequest("The cursor is not valid; start again without one.") from exc
