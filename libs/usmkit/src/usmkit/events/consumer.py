"""The consumer runner: at-least-once delivery made effectively-once by the inbox."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.db import Database, is_transient
from usmkit.events.cloudevents import CloudEvent, InvalidEvent, SchemaRegistry
from usmkit.events.kafka import ProducerHolder, new_consumer
from usmkit.events.lifecycle import pause
from usmkit.events.topics import DEAD_LETTER_TOPIC
from usmkit.observability import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from usmkit.settings import KitSettings
from usmkit.tables import KitTables

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
MAX_BACKOFF_S = 5.0


@dataclass(frozen=True)
class Subscription:
    """Which topics a service reads and the handler for each event type it cares about."""

    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.runner.commit_processed()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


class ConsumerRunner:
    """Consumes with group = service name; each handled event is recorded in the inbox."""

    def __init__(
        self,
        *,
        service: str,
        settings: KitSettings,
        database: Database,
        tables: KitTables,
        registry: SchemaRegistry,
        producer: ProducerHolder,
        subscription: Subscription,
    ) -> None:
        self.service = service
        self.settings = settings
        self.database = database
        self.inbox = tables.inbox
        self.registry = registry
        self.producer = producer
        self.subscription = subscription
        self._claim = insert(self.inbox).on_conflict_do_nothing().returning(self.inbox.c.event_id)
        self._consumer: AIOKafkaConsumer | None = None
        self._processed: dict[TopicPartition, int] = {}

    async def handle(self, event: CloudEvent) -> bool:
        """Apply one event in one transaction with its inbox row; False if seen before."""
        handler = self.subscription.handlers.get(event.type)
        async with self.database.transaction() as session:
            # Built once, run on the session's connection (no ORM execution layer).
            inserted = await (await session.connection()).execute(
                self._claim,
                {"consumer": self.service, "event_id": event.id, "event_type": event.type},
            )
            if inserted.first() is None:
                return False
            if handler is not None:
                await handler(session, event)
        return True

    async def process(self, record: ConsumerRecord) -> None:
        """Handle one record with bounded retries; what still fails goes to the DLQ."""
        # The data is checked only for the events this service handles: a topic also carries
        # events for other readers, some large (a city's aggregates), whose contracts are theirs.
        try:
            event = self.registry.envelope(record.value or b"")
            if event.type not in self.subscription.handlers:
                return
            self.registry.validate(event)
        except InvalidEvent as exc:
            await self.dead_letter(record, str(exc))
            return
        backoff = self.settings.consumer_retry_backoff_s
        for attempt in range(1, self.settings.consumer_max_attempts + 1):
            try:
                await self.handle(event)
                EVENTS_CONSUMED.labels(self.service, event.type).inc()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "handler failed (attempt %d) for %s %s",
                    attempt,
                    event.type,
                    event.id,
                    exc_info=True,
                )
                reason = f"{type(exc).__name__}: {exc}"
                if attempt == self.settings.consumer_max_attempts:
                    if is_transient(exc):
                        raise
                    await self.dead_letter(record, reason)
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        headers = [
            ("usm-dlq-reason", reason[:1000].encode()),
            ("usm-dlq-consumer", self.service.encode()),
            (
                "usm-dlq-origin",
                json.dumps(
                    {"topic": record.topic, "partition": record.partition, "offset": record.offset}
                ).encode(),
            ),
        ]
        await self.producer.send(
            self.settings.kafka_topic_prefix + DEAD_LETTER_TOPIC,
            key=record.key or b"",
            value=record.value or b"",
            headers=headers,
        )
        EVENTS_DEAD_LETTERED.labels(self.service).inc()
        logger.error("event dead-lettered from %s: %s", record.topic, reason)

    async def commit_processed(self) -> None:
        if self._consumer is None or not self._processed:
            return
        offsets, self._processed = self._processed, {}
        await self._consumer.commit(offsets)

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until `stopping` is set; reconnects with backoff when the broker is away."""
        backoff = self.settings.consumer_retry_backoff_s
        while not stopping.is_set():
            consumer = new_consumer(self.settings, group_id=self.service)
            topics = [
                self.settings.kafka_topic_prefix + topic for topic in self.subscription.topics
            ]
            consumer.subscribe(topics, listener=_CommitOnRevoke(self))
            try:
                await consumer.start()
                self._consumer = consumer
                backoff = self.settings.consumer_retry_backoff_s
                await self._consume(consumer, stopping)
            except asyncio.CancelledError:
                await self._stop(consumer, commit=True)
                raise
            except Exception:
                logger.warning("consumer failed; restarting in %.1fs", backoff, exc_info=True)
                await self._stop(consumer, commit=False)
                await pause(stopping, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            await self._stop(consumer, commit=True)

    async def _consume(self, consumer: AIOKafkaConsumer, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=100)
            for partition, records in batches.items():
                for record in records:
                    await self.process(record)
                    self._processed[partition] = record.offset + 1
            await self.commit_processed()

    async def _stop(self, consumer: AIOKafkaConsumer, *, commit: bool) -> None:
        try:
            if commit:
                await asyncio.wait_for(self.commit_processed(), 5)
        except Exception:
            logger.warning("final commit failed; events will be redelivered", exc_info=True)
        self._processed = {}
        self._consumer = None
        try:
            await asyncio.wait_for(consumer.stop(), 10)
        except Exception:
            logger.warning("consumer stop failed", exc_info=True)
