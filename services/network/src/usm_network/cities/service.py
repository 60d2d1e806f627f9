import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.cities.repository import CityRepository, PartnershipRepository
from usm_network.cities.schemas import CityCreate, CityRead, CityUpdate, PartnershipCreate
from usm_network.models import City, Partnership
from usm_network.sync.feed import city_payload, record_city
from usmkit.auth import Principal, require_city
from usmkit.concurrency import require_if_match
from usmkit.events.outbox import Outbox
from usmkit.problems import Conflict, FieldError, Forbidden, NotFound, UnprocessableContent

WRITE_SCOPE = "network:write"
ADMIN_SCOPE = "network:admin"
# Membership is the registry's business: only network admins change it.
ADMIN_ONLY_FIELDS = frozenset({"role", "member_since", "member_until"})


def may_see_contacts(principal: Principal, city: City) -> bool:
    return principal.has_scope(WRITE_SCOPE) and principal.acts_in(city.slug)


def to_read(city: City, principal: Principal) -> CityRead:
    """The city as `principal` may see it: contacts only for writers in that city."""
    read = CityRead.model_validate(city)
    if not may_see_contacts(principal, city):
        read.contacts = None
    return read


async def get_city(*, session: AsyncSession, slug: str, for_update: bool = False) -> City:
    """A member city, or 404."""
    city = await CityRepository(session).get(slug, for_update=for_update)
    if city is None:
        raise NotFound(f"No city {slug!r}.")
    return city


async def register_city(*, session: AsyncSession, outbox: Outbox, city_in: CityCreate) -> City:
    """Add a member city and tell the other services (`city.registered`)."""
    repository = CityRepository(session)
    if await repository.get(city_in.slug) is not None:
        raise Conflict(f"The city {city_in.slug!r} is already registered.")
    fields = city_in.model_dump(exclude={"member_since", "contacts"})
    city = City(
        **fields,
        member_since=city_in.member_since or datetime.now(UTC).date(),
        contacts=[contact.model_dump(exclude_none=True) for contact in city_in.contacts],
        version=1,
    )
    city = await repository.add(city)
    await record_city(session, city)
    await outbox.record(
        session,
        "city.registered",
        subject=city.slug,
        city=city.slug,
        data=city_in.model_dump(include={"slug", "name", "country_code", "role"}),
    )
    return city


async def update_city(
    *,
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    slug: str,
    city_in: CityUpdate,
    if_match: str | None,
) -> City:
    """Change a member city under `If-Match` and tell the other services (`city.updated`)."""
    require_city(principal, slug)
    city = await get_city(session=session, slug=slug, for_update=True)
    if city.origin_node is not None:
        raise Conflict(
            f"The city {slug!r} belongs to the node {city.origin_node!r}; edit it there."
        )
    changes = city_in.model_dump(exclude_unset=True)
    if ADMIN_ONLY_FIELDS & changes.keys() and not principal.has_scope(ADMIN_SCOPE):
        raise Forbidden("Changing role or membership dates needs the scope 'network:admin'.")
    require_if_match(if_match, city.version, "city")
    if "contacts" in changes:
        changes["contacts"] = [
            contact.model_dump(exclude_none=True) for contact in city_in.contacts or []
        ]
    since = changes.get("member_since", city.member_since)
    until = changes.get("member_until", city.member_until)
    if until is not None and until < since:
        raise UnprocessableContent(
            "member_until is before member_since.",
            errors=[
                FieldError(
                    loc=["body", "member_until"],
                    msg="Before member_since.",
                    type="membership_order",
                )
            ],
        )
    for name, value in changes.items():
        setattr(city, name, value)
    city.version += 1
    city.updated_at = datetime.now(UTC)
    city = await CityRepository(session).save(city)
    await record_city(session, city)
    await outbox.record(
        session, "city.updated", subject=city.slug, city=city.slug, data=city_payload(city)
    )
    return city


async def create_partnership(
    *, session: AsyncSession, principal: Principal, partnership_in: PartnershipCreate
) -> Partnership:
    """Link two member cities; the caller must act in one of them."""
    if not (principal.acts_in(partnership_in.city_a) or principal.acts_in(partnership_in.city_b)):
        raise Forbidden("You may only record partnerships of your own cities.")
    cities = CityRepository(session)
    errors = [
        FieldError(loc=["body", field], msg="Unknown city.", type="unknown_city")
        for field, slug in (("city_a", partnership_in.city_a), ("city_b", partnership_in.city_b))
        if await cities.get(slug) is None
    ]
    if errors:
        raise UnprocessableContent("Both cities must be member cities.", errors=errors)
    city_a, city_b = sorted((partnership_in.city_a, partnership_in.city_b))
    repository = PartnershipRepository(session)
    if await repository.find(city_a, city_b, partnership_in.kind) is not None:
        raise Conflict(f"{city_a} and {city_b} already have a {partnership_in.kind}.")
    return await repository.add(
        Partnership(
            id=uuid.uuid4(),
            city_a=city_a,
            city_b=city_b,
            kind=partnership_in.kind,
            since=partnership_in.since,
            description=partnership_in.description,
            created_by=principal.subject,
        )
    )
