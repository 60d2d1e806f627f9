"""Events the network service consumes."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.aggregates import service as aggregates_service
from usm_network.knowledge.repository import KnowledgeRepository
from usm_network.sync.feed import record_knowledge_item
from usmkit.events.cloudevents import CloudEvent, event_type
from usmkit.events.consumer import Subscription
from usmkit.events.topics import topic_for


async def on_lesson_published(session: AsyncSession, event: CloudEvent) -> None:
    """A Working Group's lesson becomes a knowledge item other cities can read."""
    data = event.data
    item = await KnowledgeRepository(session).add_if_new(
        {
            "id": uuid.uuid4(),
            "kind": "lesson",
            "origin_city": data["city"],
            "origin_ref": f"appraisals:lesson:{data['lesson_id']}",
            "title": data["title"],
            "summary": data["summary"],
            # Other languages are searched with the English configuration.
            "language": data["language"],
            "version": 1,
            "published_at": event.time,
            "updated_at": event.time,
        }
    )
    if item is not None:
        await record_knowledge_item(session, item)


def _number(value: float) -> str:
    return f"{value:g}"


def plan_summary_body(data: dict[str, Any]) -> str:
    """The plan's indicator targets as Markdown (only structured data: no free text)."""
    lines = ["## Indicator targets", ""]
    for target in data["indicator_targets"]:
        unit = f" {target['unit']}" if target.get("unit") else ""
        by = f" by {target['target_date']}" if target.get("target_date") else ""
        districts = ", ".join(target["districts"]) or "whole city"
        lines.append(
            f"- `{target['indicator_code']}` ({districts}): "
            f"{_number(target['baseline'])} → {_number(target['target'])}{unit}{by}"
        )
    if not data["indicator_targets"]:
        lines.append("No indicator targets yet.")
    return "\n".join(lines)


async def on_plan_published(session: AsyncSession, event: CloudEvent) -> None:
    """A published Human Security Plan becomes a plan summary other cities can read."""
    data = event.data
    districts = ", ".join(data["districts"]) or "the whole city"
    count = len(data["indicator_targets"])
    item = await KnowledgeRepository(session).add_if_new(
        {
            "id": uuid.uuid4(),
            "kind": "plan_summary",
            "origin_city": data["city"],
            "origin_ref": f"appraisals:plan:{data['plan_id']}",
            "title": data["title"],
            "summary": (
                f"Human Security Plan for {districts}, drawn from "
                f"{len(data['appraisal_ids'])} appraisal(s), with {count} indicator target(s)."
            ),
            "body": plan_summary_body(data),
            "language": "en",
            "version": 1,
            "published_at": datetime.fromisoformat(data["activated_at"]),
            "updated_at": event.time,
        }
    )
    if item is not None:
        await record_knowledge_item(session, item)


async def on_aggregates_published(session: AsyncSession, event: CloudEvent) -> None:
    """A city's public aggregates for a period: kept for benchmarks and shared with peers.

    The kit's inbox makes a redelivery a no-op; an older computation arriving late changes
    nothing (the latest `computed_at` wins).
    """
    await aggregates_service.keep_published(session=session, data=event.data)


SUBSCRIPTION = Subscription(
    topics=(topic_for("appraisals"), topic_for("indicators")),
    handlers={
        event_type("appraisals", "lesson.published"): on_lesson_published,
        event_type("appraisals", "plan.published"): on_plan_published,
        event_type("indicators", "aggregates.published"): on_aggregates_published,
    },
)
