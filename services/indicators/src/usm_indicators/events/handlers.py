"""Events the indicators service consumes."""

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import city_directory
from usm_indicators.report_counts import service as report_counts
from usmkit.events.cloudevents import CloudEvent, event_type
from usmkit.events.consumer import Subscription
from usmkit.events.topics import topic_for
from usmkit.tenancy import CITY_REGISTERED

REPORT_SUBMITTED = event_type("reports", "report.submitted")


async def on_report_submitted(session: AsyncSession, event: CloudEvent) -> None:
    """A citizen report adds one to its district's, category's and month's count."""
    data = event.data
    await report_counts.count_report(
        session=session,
        city=data["city"],
        district_code=data["district_code"],
        category_code=data["category_code"],
        period=data["period"],
    )


SUBSCRIPTION = Subscription(
    topics=(topic_for("network"), topic_for("reports")),
    handlers={
        CITY_REGISTERED: city_directory.record,
        REPORT_SUBMITTED: on_report_submitted,
    },
)
