"""Events the network service consumes."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.knowledge.repository import KnowledgeRepository
from usmkit.events.cloudevents import CloudEvent, event_type
from usmkit.events.consumer import Subscription
from usmkit.events.topics import topic_for


async def on_lesson_published(session: AsyncSession, event: CloudEvent) -> None:
    """A Working Group's lesson becomes a knowledge item other cities can read."""
    data = event.data
    await KnowledgeRepository(session).add_if_new(
        {
            "id": uuid.uuid4(),
            "kind": "lesson",
            "origin_city": data["city"],
            "origin_ref": f"appraisals:lesson:{data['lesson_id']}",
            "title": data["title"],
            "summary": data["summary"],
            "language": data["language"],
        }
    )


SUBSCRIPTION = Subscription(
    topics=(topic_for("appraisals"),),
    handlers={event_type("appraisals", "lesson.published"): on_lesson_published},
)
