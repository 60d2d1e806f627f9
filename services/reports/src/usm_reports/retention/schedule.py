"""The retention purge on a schedule, inside the service process (every
`retention_interval_s`). Several replicas may run it at once: each purge is one UPDATE
that only touches rows still holding a contact, so concurrent runs change nothing twice."""

from functools import partial

from usm_reports.config import ReportsSettings
from usm_reports.retention.service import purge
from usmkit.runtime import Repeated, ServiceRuntime


def scheduled_retention(runtime: ServiceRuntime, settings: ReportsSettings) -> Repeated:
    return Repeated(
        name="retention",
        interval_s=settings.retention_interval_s,
        work=partial(purge, runtime.database, settings),
    )
