"""Kafka clients with explicit settings (aiokafka's defaults are weak)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from usmkit.settings import KitSettings

logger = logging.getLogger(__name__)

# Below the broker's default limit on a record batch (Kafka's message.max.bytes, 1 MB).
RECORD_BATCH_BYTES = 512 * 1024
# How soon a consumer sees partitions added to a topic it reads (aiokafka's default: 5 min),
# and so reads what producers already send there. One small metadata request per interval.
METADATA_MAX_AGE_MS = 30_000


def new_producer(settings: KitSettings, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        retry_backoff_ms=200,
        # send_all queues a whole batch before waiting: lingering would only add latency.
        linger_ms=0,
        # The relay's batch of events (200 of 1-2 KB for one city) fits one request: with
        # aiokafka's 16 KB default it went as a dozen, one after the other per partition,
        # each waiting for the broker's answer.
        max_batch_size=RECORD_BATCH_BYTES,
    )


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def new_consumer(settings: KitSettings, *topics: str, group_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{group_id}-consumer",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=max(settings.kafka_request_timeout_ms, 40_000),
        retry_backoff_ms=200,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
    )


class ProducerHolder:
    """One started producer per process, (re)started on demand after broker outages."""

    def __init__(self, settings: KitSettings, *, client_id: str) -> None:
        self.settings = settings
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = new_producer(self.settings, client_id=self.client_id)
                try:
                    await asyncio.wait_for(producer.start(), self.settings.kafka_send_timeout_s)
                except BaseException:
                    await self._stop_quietly(producer)
                    raise
                self._producer = producer
            return self._producer

    async def discard(self) -> None:
        """Drop a producer that failed; the next `get` starts a fresh one."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await self._stop_quietly(producer)

    async def send(
        self, topic: str, *, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        await self.send_all([OutgoingMessage(topic, key, value, headers)])

    async def send_all(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send a batch and wait for every acknowledgement. aiokafka keeps one batch in flight
        per partition, so per-key order holds without waiting for each message in turn."""
        producer = await self.get()

        async def enqueue_and_wait() -> None:
            delivered = [
                await producer.send(
                    message.topic, value=message.value, key=message.key, headers=message.headers
                )
                for message in messages
            ]
            await asyncio.gather(*delivered)

        await asyncio.wait_for(enqueue_and_wait(), self.settings.kafka_send_timeout_s)

    async def ping(self) -> None:
        producer = await self.get()
        await asyncio.wait_for(producer.client.fetch_all_metadata(), 5)

    async def close(self) -> None:
        await self.discard()

    async def _stop_quietly(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(producer.stop(), 5)
        except Exception:  # a dead broker must not block shutdown
            logger.warning("producer stop failed; dropping what it still held", exc_info=True)
            await _abandon(producer)


async def _abandon(producer: AIOKafkaProducer) -> None:
    """End a producer whose stop() gave up. stop() flushes first, which never ends while the
    broker is away, and a producer left half-stopped keeps its sender running: it would deliver
    its batches when the broker returns, with partition metadata from before (seen with the
    in-memory broker after a restart: a record acknowledged on a topic it had not created yet,
    which no consumer could ever read). What it held is still in the outbox and goes out again
    through the next producer. aiokafka has no public abort: these are the two steps its own
    stop() ends with, after failing what is queued so that nobody waits on it."""
    producer._message_accumulator.fail_all(KafkaConnectionError("the producer was discarded"))
    try:
        await asyncio.wait_for(producer._sender.close(), 5)
        await asyncio.wait_for(producer.client.close(), 5)
    except Exception:
        logger.warning("producer abandon failed", exc_info=True)
