"""Dependency aliases shared by the city-scoped routers."""

from typing import Annotated

from fastapi import Depends, Header, Path

from usm_appraisals.lessons.schemas import SLUG_PATTERN
from usmkit.auth import Principal, require_scope

CityPath = Annotated[
    str, Path(max_length=100, pattern=SLUG_PATTERN, description="Slug of the city.")
]
Reader = Annotated[Principal, Depends(require_scope("appraisals:read"))]
Writer = Annotated[Principal, Depends(require_scope("appraisals:write"))]
Manager = Annotated[Principal, Depends(require_scope("appraisals:manage"))]
IfMatch = Annotated[str | None, Header(max_length=200, description='The current ETag, e.g. `"1"`.')]
