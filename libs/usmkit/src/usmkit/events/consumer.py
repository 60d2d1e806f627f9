"""The consumer runner: at-least-once delivery made effectively-once by the inbox."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usmkit.db import Database, is_transient
from usmkit.events.cloudevents import CloudEvent, InvalidEvent, SchemaRegistry
from usmkit.events.kafka import ProducerHolder, new_consumer
from usmkit.events.lifecycle import pause
from usmkit.events.outbox import EVENTS_WRITTEN
from usmkit.events.topics import DEAD_LETTER_TOPIC
from usmkit.observability import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from usmkit.settings import KitSettings
from usmkit.tables import KitTables

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, Sequence[CloudEvent]], Awaitable[None]]
MAX_BACKOFF_S = 5.0


@dataclass(frozen=True, eq=False)
class Together:
    """A handler given consecutive events of its types together, in order, in one transaction.

    Under load a partition brings events in runs: a run costs one transaction and one inbox
    statement instead of one each, and the handler can announce what the run changed once.
    If the run fails it is handled again one event at a time, so that only an event that
    fails on its own is retried and dead-lettered."""

    handle: BatchHandler


@dataclass(frozen=True)
class Subscription:
    """Which topics a service reads and the handler for each event type it cares about."""

    topics: tuple[str, ...]
    handlers: Mapping[str, Handler | Together]


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
        on_events_written: Callable[[], None] | None = None,
    ) -> None:
        """`on_events_written` is called once a handler's transaction committed events of
        its own (the relay's wake), so they need not wait for the relay's next poll."""
        self.service = service
        self.settings = settings
        self.database = database
        self.inbox = tables.inbox
        self.registry = registry
        self.producer = producer
        self.subscription = subscription
        self.on_events_written = on_events_written
        self._claim = insert(self.inbox).on_conflict_do_nothing().returning(self.inbox.c.event_id)
        self._consumer: AIOKafkaConsumer | None = None
        self._processed: dict[TopicPartition, int] = {}
        # Per partition, the events not yet handled as of its last fetch.
        self._lag: dict[TopicPartition, int] = {}

    async def handle(self, event: CloudEvent) -> bool:
        """Apply one event in one transaction with its inbox row; False if seen before."""
        return bool(await self.handle_all([event]))

    async def handle_all(self, events: Sequence[CloudEvent]) -> list[CloudEvent]:
        """Apply events of one handler in one transaction with their inbox rows; returns
        those not seen before, which are the ones the handler was given."""
        handler = self.subscription.handlers.get(events[0].type)
        async with self.database.transaction() as session:
            # Built once, run on the session's connection (no ORM execution layer).
            claimed = set(
                (
                    await (await session.connection()).execute(
                        self._claim,
                        [
                            {
                                "consumer": self.service,
                                "event_id": event.id,
                                "event_type": event.type,
                            }
                            for event in events
                        ],
                    )
                ).scalars()
            )
            fresh = []
            for event in events:
                # A run may hold one event twice (published twice): the first one applies.
                if event.id in claimed:
                    claimed.discard(event.id)
                    fresh.append(event)
            if not fresh or handler is None:
                return fresh
            if isinstance(handler, Together):
                await handler.handle(session, fresh)
            else:
                (event,) = fresh  # the other handlers are given one event at a time
                await handler(session, event)
        if session.info.get(EVENTS_WRITTEN) and self.on_events_written is not None:
            self.on_events_written()
        return fresh

    async def readable(self, record: ConsumerRecord) -> CloudEvent | None:
        """The record's event if this service handles it; a broken one is dead-lettered."""
        # The data is checked only for the events this service handles: a topic also carries
        # events for other readers, some large (a city's aggregates), whose contracts are theirs.
        try:
            event = self.registry.envelope(record.value or b"")
            if event.type not in self.subscription.handlers:
                return None
            self.registry.validate(event)
        except InvalidEvent as exc:
            await self.dead_letter(record, str(exc))
            return None
        return event

    async def process_all(
        self, partition: TopicPartition, records: Sequence[ConsumerRecord]
    ) -> None:
        """Handle a partition's fetched records in order, runs of a `Together` handler's
        events together; each record is marked processed once handled."""
        run: list[tuple[ConsumerRecord, CloudEvent]] = []
        for record in records:
            event = await self.readable(record)
            if event is None:
                if not run:
                    self._processed[partition] = record.offset + 1
                continue
            if run and not self._together(run[-1][1], event):
                await self._apply_run(partition, run)
                run = []
            run.append((record, event))
        if run:
            await self._apply_run(partition, run)
        if records:
            self._processed[partition] = records[-1].offset + 1

    def _together(self, earlier: CloudEvent, later: CloudEvent) -> bool:
        handler = self.subscription.handlers[earlier.type]
        return isinstance(handler, Together) and self.subscription.handlers[later.type] is handler

    async def _apply_run(
        self, partition: TopicPartition, run: Sequence[tuple[ConsumerRecord, CloudEvent]]
    ) -> None:
        if len(run) > 1:
            try:
                await self.handle_all([event for _, event in run])
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "%d events failed together; handling them one at a time",
                    len(run),
                    exc_info=True,
                )
            else:
                for _, event in run:
                    EVENTS_CONSUMED.labels(self.service, event.type).inc()
                self._processed[partition] = run[-1][0].offset + 1
                return
        for record, event in run:
            await self.apply(record, event)
            self._processed[partition] = record.offset + 1

    async def apply(self, record: ConsumerRecord, event: CloudEvent) -> None:
        """Handle one event with bounded retries; what still fails goes to the DLQ."""
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
            # Up to 500 at once: a consumer that fell behind catches up in longer runs, and a
            # `Together` handler's cost per run (a transaction, an announcement) is shared
            # by more events. What is there is returned at once, so nothing waits for more.
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                if not records:
                    continue
                self._note_lag(consumer, partition, records[0].offset)
                await self.process_all(partition, records)
                self._note_lag(consumer, partition, records[-1].offset + 1)
            await self.commit_processed()

    def _note_lag(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, next_offset: int
    ) -> None:
        """What is left on `partition` from `next_offset` on, by the end its fetch saw."""
        highwater = consumer.highwater(partition)
        if highwater is not None:
            self._lag[partition] = max(0, highwater - next_offset)
        assigned = consumer.assignment()
        CONSUMER_LAG.labels(self.service).set(
            sum(lag for owned, lag in self._lag.items() if owned in assigned)
        )

    async def _stop(self, consumer: AIOKafkaConsumer, *, commit: bool) -> None:
        try:
            if commit:
                await asyncio.wait_for(self.commit_processed(), 5)
        except Exception:
            logger.warning("final commit failed; events will be redelivered", exc_info=True)
        self._processed = {}
        self._lag = {}
        self._consumer = None
        try:
            await asyncio.wait_for(consumer.stop(), 10)
        except Exception:
            logger.warning("consumer stop failed", exc_info=True)
