"""Events the appraisals service consumes."""

from usm_appraisals.districts.service import on_geography_updated
from usm_appraisals.indicators.service import on_aggregates_published
from usm_appraisals.models import known_cities
from usm_appraisals.signals.service import on_alert_raised
from usmkit.events.cloudevents import event_type
from usmkit.events.consumer import Subscription
from usmkit.events.topics import topic_for
from usmkit.tenancy import CITY_REGISTERED, CityDirectory

SUBSCRIPTION = Subscription(
    topics=(topic_for("network"), topic_for("indicators")),
    handlers={
        CITY_REGISTERED: CityDirectory(known_cities).record,
        event_type("indicators", "geography.updated"): on_geography_updated,
        event_type("indicators", "alert.raised"): on_alert_raised,
        event_type("indicators", "aggregates.published"): on_aggregates_published,
    },
)
