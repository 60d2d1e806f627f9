import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from usm_reports.audit.repository import AuditRepository
from usm_reports.audit.schemas import SensitiveReadRead
from usm_reports.reports.schemas import SLUG_PATTERN
from usmkit.auth import Principal, require_city, require_scope
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, FieldError, UnprocessableContent
from usmkit.runtime import SessionDep

# No auditor role exists (ARCHITECTURE §5): the city's administrators hold `reports:admin`.
AUDIT_READ_SCOPE = "reports:admin"

router = APIRouter(prefix="/api/v1/reports/cities", tags=["audit"], responses=PROBLEM_RESPONSES)


@router.get("/{city}/sensitive-reads", response_model=Page[SensitiveReadRead])
async def list_sensitive_reads(
    city: Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN)],
    session: SessionDep,
    page: PageParamsDep,
    principal: Annotated[Principal, Depends(require_scope(AUDIT_READ_SCOPE))],
    report_id: Annotated[uuid.UUID | None, Query(description="Only reads of this report.")] = None,
    actor: Annotated[
        str | None, Query(max_length=200, description="Only reads by this subject.")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Reads at or after this time.")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="Reads before this time.")] = None,
) -> Page[SensitiveReadRead]:
    """The audit log of the city: every time staff were shown a sensitive report's exact
    location or text, or any reporter's contact details; newest first.

    For the city's administrators (`reports:admin`). The log is append-only: the database
    refuses to change or delete an entry.
    """
    require_city(principal, city)
    if since is not None and until is not None and since >= until:
        raise UnprocessableContent(
            "`since` must be before `until`.",
            errors=[FieldError(loc=["query", "until"], msg="Before `since`.", type="range")],
        )
    rows = await AuditRepository(session).list(
        page, city=city, report_id=report_id, actor=actor, since=since, until=until
    )
    items, next_cursor = split_page(
        list(rows), page, lambda entry: [entry.read_at.isoformat(), str(entry.id)]
    )
    return Page[SensitiveReadRead](
        items=[SensitiveReadRead.model_validate(entry) for entry in items],
        next_cursor=next_cursor,
    )
