import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from usm_appraisals.dependencies import CityPath, IfMatch, Manager, Reader
from usm_appraisals.templates import service
from usm_appraisals.templates.repository import TemplateRepository
from usm_appraisals.templates.schemas import (
    TemplateCreate,
    TemplateRead,
    TemplateStatus,
    TemplateUpdate,
)
from usmkit.auth import require_city
from usmkit.concurrency import ETAG_HEADER, etag_for
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import IF_MATCH_PROBLEMS, PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/appraisals/cities/{city}/appraisal-templates",
    tags=["appraisal templates"],
    responses=PROBLEM_RESPONSES,
)

NOT_FOUND = (404, "No such template in this city")


@router.post(
    "",
    response_model=TemplateRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG_HEADER}, **problem_responses((409, "The name is taken"))},
)
async def create_template(
    city: CityPath,
    template_in: TemplateCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Manager,
) -> TemplateRead:
    """Create an appraisal template for the city's Working Groups (`appraisals:manage`).

    Sections each cover a human-security dimension with prompts for the group; scales give
    the labels of levels 1-5 (exactly five). Names are unique in the city (409).
    """

    async def write() -> TemplateRead:
        template = await service.create_template(
            session=session, principal=principal, city=city, template_in=template_in
        )
        return TemplateRead.model_validate(template)

    created = await idempotency.run(session, TemplateRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = (
        f"/api/v1/appraisals/cities/{city}/appraisal-templates/{created.id}"
    )
    return created


@router.get("", response_model=Page[TemplateRead])
async def list_templates(
    city: CityPath,
    session: SessionDep,
    principal: Reader,
    page: PageParamsDep,
    template_status: Annotated[
        TemplateStatus | None, Query(alias="status", description="Only templates in this state.")
    ] = None,
) -> Page[TemplateRead]:
    """The city's appraisal templates by name (`appraisals:read` in the city)."""
    require_city(principal, city)
    rows = await TemplateRepository(session).list(page, city=city, status=template_status)
    items, next_cursor = split_page(list(rows), page, lambda row: [row.name, str(row.id)])
    return Page[TemplateRead](
        items=[TemplateRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/{template_id}",
    response_model=TemplateRead,
    responses={200: {"headers": ETAG_HEADER}, **problem_responses(NOT_FOUND)},
)
async def get_template(
    city: CityPath,
    template_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> TemplateRead:
    """One template with its `ETag` (send it as `If-Match` to change or delete it)."""
    require_city(principal, city)
    template = await service.get_template(session=session, city=city, template_id=template_id)
    response.headers["ETag"] = etag_for(template.version)
    return TemplateRead.model_validate(template)


@router.patch(
    "/{template_id}",
    response_model=TemplateRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(NOT_FOUND, (409, "The name is taken"), *IF_MATCH_PROBLEMS),
    },
)
async def update_template(
    city: CityPath,
    template_id: uuid.UUID,
    template_in: TemplateUpdate,
    session: SessionDep,
    response: Response,
    principal: Manager,
    if_match: IfMatch = None,
) -> TemplateRead:
    """Change a template under `If-Match` (`appraisals:manage`); `status: retired` keeps it
    for the appraisals made from it but offers it no more. Those appraisals keep what they
    were given."""
    template = await service.update_template(
        session=session,
        principal=principal,
        city=city,
        template_id=template_id,
        template_in=template_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(template.version)
    return TemplateRead.model_validate(template)


@router.delete(
    "/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(
        NOT_FOUND, (409, "Appraisals were made from it"), *IF_MATCH_PROBLEMS
    ),
)
async def delete_template(
    city: CityPath,
    template_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    if_match: IfMatch = None,
) -> Response:
    """Delete a template no appraisal was made from (`appraisals:manage`, `If-Match`); a
    used template is retired instead (409)."""
    await service.delete_template(
        session=session, principal=principal, city=city, template_id=template_id, if_match=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
