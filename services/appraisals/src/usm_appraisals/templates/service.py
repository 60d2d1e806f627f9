"""Appraisal templates: a city's reusable structure for its Working Groups' appraisals."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import AppraisalTemplate
from usm_appraisals.templates.repository import TemplateRepository
from usm_appraisals.templates.schemas import TemplateCreate, TemplateUpdate
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent


async def _check_name_free(
    repository: TemplateRepository, city: str, name: str, template_id: uuid.UUID | None
) -> None:
    existing = await repository.named(city, name)
    if existing is not None and existing.id != template_id:
        raise Conflict(f"The city already has a template named {name!r}.")


async def create_template(
    *, session: AsyncSession, principal: Principal, city: str, template_in: TemplateCreate
) -> AppraisalTemplate:
    """A new active template; names are unique in the city (409)."""
    require_city(principal, city)
    repository = TemplateRepository(session)
    await _check_name_free(repository, city, template_in.name, None)
    return await repository.add(
        AppraisalTemplate(
            city=city,
            **template_in.model_dump(mode="json"),
            status="active",
            created_by=principal.subject,
            version=1,
        )
    )


async def get_template(
    *, session: AsyncSession, city: str, template_id: uuid.UUID, for_update: bool = False
) -> AppraisalTemplate:
    template = await TemplateRepository(session).get(city, template_id, for_update=for_update)
    if template is None:
        raise NotFound(f"No appraisal template {template_id} in {city!r}.")
    return template


async def update_template(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    template_id: uuid.UUID,
    template_in: TemplateUpdate,
    if_match: str | None,
) -> AppraisalTemplate:
    """Replace fields under `If-Match`. Appraisals already made keep what they were given."""
    require_city(principal, city)
    template = await get_template(
        session=session, city=city, template_id=template_id, for_update=True
    )
    require_if_match(if_match, template.version, "template")
    changes = template_in.model_dump(mode="json", exclude_unset=True)
    nulls = [
        FieldError(loc=["body", field], msg="May not be null.", type="null")
        for field, value in changes.items()
        if value is None and field != "description"
    ]
    if nulls:
        raise UnprocessableContent("Some fields may not be null.", errors=nulls)
    repository = TemplateRepository(session)
    if "name" in changes:
        await _check_name_free(repository, city, changes["name"], template.id)
    for field, value in changes.items():
        setattr(template, field, value)
    template.version += 1
    return await repository.save(template)


async def delete_template(
    *,
    session: AsyncSession,
    principal: Principal,
    city: str,
    template_id: uuid.UUID,
    if_match: str | None,
) -> None:
    """Delete a template no appraisal was made from; a used one is retired instead (409)."""
    require_city(principal, city)
    template = await get_template(
        session=session, city=city, template_id=template_id, for_update=True
    )
    require_if_match(if_match, template.version, "template")
    repository = TemplateRepository(session)
    uses = await repository.uses(template.id)
    if uses:
        raise Conflict(
            f"{uses} appraisal(s) were made from this template; retire it instead "
            '(PATCH {"status": "retired"}).'
        )
    await repository.delete(template)


async def shape_by_template(
    session: AsyncSession,
    city: str,
    template_id: uuid.UUID,
    insecurities: list[dict[str, Any]],
    *,
    new: bool,
) -> list[dict[str, Any]]:
    """The insecurities as the template shapes them: each on a dimension the template has a
    section for (else 422), and given the template's default affected groups when it names
    none. A `new` appraisal needs an active template of the city (else 422); one already made
    from a template keeps following it after it is retired."""
    template = await TemplateRepository(session).get(city, template_id)
    if template is None or (new and template.status != "active"):
        raise UnprocessableContent(
            "No active appraisal template with that id in this city.",
            errors=[
                FieldError(
                    loc=["body", "template_id"], msg="Unknown or retired.", type="unknown_template"
                )
            ],
        )
    dimensions = {section["dimension"] for section in template.sections}
    outside = [
        FieldError(
            loc=["body", "insecurities", index, "dimension"],
            msg=f"The template has no {insecurity['dimension']} section.",
            type="outside_template",
        )
        for index, insecurity in enumerate(insecurities)
        if insecurity["dimension"] not in dimensions
    ]
    if outside:
        raise UnprocessableContent("Insecurities outside the template's sections.", errors=outside)
    return [
        {
            **insecurity,
            "affected_groups": insecurity["affected_groups"]
            or list(template.default_affected_groups),
        }
        for insecurity in insecurities
    ]
