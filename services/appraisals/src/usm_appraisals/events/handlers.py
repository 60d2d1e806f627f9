"""Events the appraisals service consumes."""

from usm_appraisals.models import known_cities
from usmkit.events.consumer import Subscription
from usmkit.events.topics import topic_for
from usmkit.tenancy import CITY_REGISTERED, CityDirectory

SUBSCRIPTION = Subscription(
    topics=(topic_for("network"),),
    handlers={CITY_REGISTERED: CityDirectory(known_cities).record},
)
