"""Events the indicators service consumes."""

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import city_directory
from usm_indicators.recompute.service import recompute_for_new_values
from usm_indicators.report_counts.service import ReportCell, ReportChange, record_report_events
from usm_indicators.targets.service import record_plan
from usmkit.events.cloudevents import CloudEvent, event_type
from usmkit.events.consumer import Subscription, Together
from usmkit.events.outbox import Outbox
from usmkit.events.topics import topic_for
from usmkit.tenancy import CITY_REGISTERED

REPORT_SUBMITTED = event_type("reports", "report.submitted")
REPORT_STATUS_CHANGED = event_type("reports", "report.status_changed")
REPORT_MERGED = event_type("reports", "report.merged")
VALUES_UPDATED = event_type("indicators", "values.updated")
PLAN_PUBLISHED = event_type("appraisals", "plan.published")


def _cell(data: dict[str, str]) -> ReportCell:
    return ReportCell(
        district_code=data["district_code"],
        category_code=data["category_code"],
        period=data["period"],
    )


def _submitted(event: CloudEvent) -> ReportChange:
    """A citizen report adds one to its district's, category's and month's count."""
    return ReportChange(cell=_cell(event.data), submitted=True)


def _status_changed(event: CloudEvent) -> ReportChange:
    """A rejected report stops counting; any later status (a reopening) counts it again."""
    changed_at = datetime.fromisoformat(event.data["changed_at"])
    return ReportChange(status=(event.data["to_status"], changed_at))


def _merged(event: CloudEvent) -> ReportChange:
    """A duplicate merged into another report stops counting on its own."""
    return ReportChange(cell=_cell(event.data), merged=True)


REPORT_CHANGES: dict[str, Callable[[CloudEvent], ReportChange]] = {
    REPORT_SUBMITTED: _submitted,
    REPORT_STATUS_CHANGED: _status_changed,
    REPORT_MERGED: _merged,
}


async def on_plan_published(session: AsyncSession, event: CloudEvent) -> None:
    """An active plan's indicator targets are kept to show progress toward them."""
    await record_plan(session=session, plan=event.data)


def subscription(outbox: Callable[[], Outbox]) -> Subscription:
    """What the service consumes; `outbox` gives the running service's outbox, which the
    recompute after new values writes its events to."""

    async def on_values_updated(session: AsyncSession, event: CloudEvent) -> None:
        """New values: evaluate alerts and publish aggregates for the periods they touch.

        The service consumes its own event so that a bulk load commits without waiting for
        this, and a recompute that fails is retried like any other handler.
        """
        await recompute_for_new_values(
            session=session,
            outbox=outbox(),
            city=event.data["city"],
            periods=event.data["periods"],
            written_in=event.data.get("written_in"),
        )

    async def on_reports(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        """Count the reports in order. The districts and months whose counts moved are
        announced on a schedule (`report_counts.schedule`), not here: a run of reports
        arrives several times a second under load, and each announcement recomputes the
        city's aggregates and alerts."""
        await record_report_events(
            session=session,
            events=[
                (
                    uuid.UUID(event.data["report_id"]),
                    event.data["city"],
                    REPORT_CHANGES[event.type](event),
                )
                for event in events
            ],
        )

    # One handler for the three: a run of them (a burst of reports) is counted in one
    # transaction.
    reports = Together(on_reports)
    return Subscription(
        topics=(
            topic_for("network"),
            topic_for("reports"),
            topic_for("indicators"),
            topic_for("appraisals"),
        ),
        handlers={
            CITY_REGISTERED: city_directory.record,
            REPORT_SUBMITTED: reports,
            REPORT_STATUS_CHANGED: reports,
            REPORT_MERGED: reports,
            VALUES_UPDATED: on_values_updated,
            PLAN_PUBLISHED: on_plan_published,
        },
    )


def _outside_a_service() -> Outbox:
    raise RuntimeError("Handlers that write events run inside the service (create_app).")


# The topics and event types consumed, as the contracts (AsyncAPI) describe them.
SUBSCRIPTION = subscription(_outside_a_service)
