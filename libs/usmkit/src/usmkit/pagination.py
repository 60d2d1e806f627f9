"""Cursor pagination: opaque cursors over a stable sort key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from usmkit.problems import BadRequest

T = TypeVar("T")

MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next one."""

    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int
    after: list[Any] | None


def encode_cursor(sort_key: list[Any]) -> str:
    raw = json.dumps(sort_key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise BadRequest("The cursor is not valid; start again without one.") from exc
    if not isinstance(value, list):
        raise BadRequest("The cursor is not valid; start again without one.")
    return value


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def split_page(rows: list[T], params: PageParams, sort_key: Any) -> tuple[list[T], str | None]:
    """Rows were fetched with limit+1; the extra one only says whether more exist."""
    items = rows[: params.limit]
    if len(rows) > params.limit and items:
        return items, encode_cursor(sort_key(items[-1]))
    return items, None


def cursor_parts(after: list[Any], *parsers: Callable[[str], Any]) -> list[Any]:
    """Parse a decoded cursor's parts (e.g. `datetime.fromisoformat, uuid.UUID`); anything
    malformed is the client's 400, never a 500."""
    if len(after) != len(parsers):
        raise BadRequest("The cursor is not valid; start again without one.")
    try:
        return [parse(str(part)) for parse, part in zip(parsers, after, strict=True)]
    except (ValueError, TypeError) as exc:
        raise BadRequest("The cursor is not valid; start again without one.") from exc
