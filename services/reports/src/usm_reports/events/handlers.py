"""Events the reports service consumes."""

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.districts.service import replace_districts
from usm_reports.models import city_directory
from usmkit.events.cloudevents import CloudEvent, event_type
from usmkit.events.consumer import Subscription
from usmkit.events.topics import topic_for
from usmkit.tenancy import CITY_REGISTERED


async def on_geography_updated(session: AsyncSession, event: CloudEvent) -> None:
    """The event carries the city's full district list: it replaces the local copy."""
    data = event.data
    await replace_districts(session=session, city=data["city"], districts=data["districts"])


SUBSCRIPTION = Subscription(
    topics=(topic_for("network"), topic_for("indicators")),
    handlers={
        CITY_REGISTERED: city_directory.record,
        event_type("indicators", "geography.updated"): on_geography_updated,
    },
)
