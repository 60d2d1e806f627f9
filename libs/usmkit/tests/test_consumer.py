"""The consumer runner: inbox idempotency, retries and the dead-letter topic, for real."""

import asyncio
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession

from usmdev.broker import EmbeddedBroker
from usmdev.events import city_registered
from usmdev.pytest_plugin import KitDatabase
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CloudEvent, SchemaRegistry, event_type
from usmkit.events.consumer import ConsumerRunner, Handler, Subscription, Together
from usmkit.events.kafka import ProducerHolder
from usmkit.events.topics import DEAD_LETTER_TOPIC, topic_for
from usmkit.settings import KitSettings

CITY_REGISTERED = event_type("network", "city.registered")


class Recorder:
    """A handler that remembers what it applied and can be told to fail."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.applied: list[str] = []
        self.failing = failing or set()

    async def __call__(self, session: AsyncSession, event: CloudEvent) -> None:
        if event.subject in self.failing:
            raise ValueError(f"cannot apply {event.subject}")
        self.applied.append(event.subject)


class RunRecorder:
    """A handler of events together: it remembers each run it was given."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.runs: list[list[str]] = []
        self.failing = failing or set()

    async def __call__(self, session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        if self.failing & {event.subject for event in events}:
            raise ValueError("cannot apply this run")
        self.runs.append([event.subject for event in events])


def dead_letter_reader(broker: EmbeddedBroker, prefix: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        prefix + DEAD_LETTER_TOPIC,
        bootstrap_servers=broker.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )


def runner_for(
    kit: KitDatabase, broker: EmbeddedBroker, prefix: str, handler: Handler | Together
) -> tuple[ConsumerRunner, ProducerHolder]:
    settings = KitSettings(
        environment="test",
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_topic_prefix=prefix,
        consumer_max_attempts=3,
        consumer_retry_backoff_s=0.01,
    )
    producer = ProducerHolder(settings, client_id="test")
    runner = ConsumerRunner(
        service="kit-test",
        settings=settings,
        database=kit.database,
        tables=kit.tables,
        registry=SchemaRegistry(),
        producer=producer,
        subscription=Subscription(
            topics=(topic_for("network"),), handlers={CITY_REGISTERED: handler}
        ),
    )
    return runner, producer


async def test_a_redelivered_event_changes_nothing(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    handler = Recorder()
    runner, producer = runner_for(usm_kit_database, usm_broker, usm_topic_prefix, handler)
    event = city_registered("durban")
    try:
        assert await runner.handle(event) is True
        assert await runner.handle(event) is False
    finally:
        await producer.close()
    assert handler.applied == ["durban"]


async def test_a_failed_effect_leaves_no_inbox_row_so_a_retry_applies_it(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    handler = Recorder(failing={"durban"})
    runner, producer = runner_for(usm_kit_database, usm_broker, usm_topic_prefix, handler)
    event = city_registered("durban")
    try:
        with pytest.raises(ValueError, match="cannot apply"):
            await runner.handle(event)
        handler.failing.clear()
        assert await runner.handle(event) is True
    finally:
        await producer.close()
    assert handler.applied == ["durban"]


async def test_poison_events_go_to_the_dead_letter_topic_and_the_consumer_carries_on(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    handler = Recorder(failing={"always-fails"})
    runner, producer = runner_for(usm_kit_database, usm_broker, usm_topic_prefix, handler)
    source = AIOKafkaProducer(bootstrap_servers=usm_broker.bootstrap_servers, acks="all")
    await source.start()
    topic = usm_topic_prefix + topic_for("network")
    stopping = asyncio.Event()
    task = asyncio.create_task(runner.run(stopping))
    try:
        good_first = city_registered("durban")
        broken = city_registered("broken")
        # Another reader's event, its data broken: not this consumer's to judge.
        not_handled = broken.model_copy(update={"type": event_type("network", "city.updated")})
        for payload in (
            good_first.to_bytes(),
            b"\x00 not json at all",
            broken.model_copy(update={"data": {**broken.data, "slug": 5}}).to_bytes(),
            not_handled.model_copy(update={"data": {"slug": 5}}).to_bytes(),
            city_registered("always-fails").to_bytes(),
            city_registered("ciudad-juarez").to_bytes(),
            good_first.to_bytes(),  # a redelivery: applied once only
        ):
            await source.send_and_wait(topic, payload, key=b"durban")

        async def both_applied() -> bool:
            return handler.applied == ["durban", "ciudad-juarez"]

        await eventually(both_applied, timeout_s=60, what="good events applied")
    finally:
        stopping.set()
        await task
        await source.stop()
        await producer.close()

    dead = dead_letter_reader(usm_broker, usm_topic_prefix)
    await dead.start()
    letters: list[dict[str, str]] = []
    try:

        async def three_letters() -> bool:
            batch = await dead.getmany(timeout_ms=200)
            for records in batch.values():
                letters.extend(
                    {key: value.decode() for key, value in record.headers} for record in records
                )
            return len(letters) >= 3

        await eventually(three_letters, timeout_s=30, what="three dead letters")
        # Letters were sent before the last good event was applied: the topic holds no more.
        ends = await dead.end_offsets(list(dead.assignment()))
        assert sum(ends.values()) == 3
    finally:
        await dead.stop()
    reasons = sorted(letter["usm-dlq-reason"] for letter in letters)
    assert reasons[0].startswith("ValueError: cannot apply always-fails")
    assert reasons[1].startswith("not a valid CloudEvent")
    assert reasons[2].startswith(f"{CITY_REGISTERED} data invalid at slug")
    assert {letter["usm-dlq-consumer"] for letter in letters} == {"kit-test"}


class Gate:
    """A handler that holds the first event until opened."""

    def __init__(self) -> None:
        self.holding = asyncio.Event()
        self.opened = asyncio.Event()
        self.applied: list[str] = []

    async def __call__(self, session: AsyncSession, event: CloudEvent) -> None:
        self.holding.set()
        await self.opened.wait()
        self.applied.append(event.subject)


async def test_the_consumer_shows_how_many_events_it_has_yet_to_handle(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    handler = Gate()
    runner, producer = runner_for(usm_kit_database, usm_broker, usm_topic_prefix, handler)
    source = AIOKafkaProducer(bootstrap_servers=usm_broker.bootstrap_servers, acks="all")
    await source.start()
    cities = [f"city-{index}" for index in range(5)]
    for city in cities:
        # One key: one partition, in this order.
        await source.send_and_wait(
            usm_topic_prefix + topic_for("network"), city_registered(city).to_bytes(), key=b"k"
        )
    await source.stop()

    def lag() -> float | None:
        return REGISTRY.get_sample_value("usm_consumer_lag_events", {"service": "kit-test"})

    stopping = asyncio.Event()
    task = asyncio.create_task(runner.run(stopping))
    try:
        await asyncio.wait_for(handler.holding.wait(), 60)
        # The five came in one fetch; the first is being handled.
        assert lag() == 5
        handler.opened.set()

        async def all_handled() -> bool:
            return handler.applied == cities and lag() == 0

        await eventually(all_handled, what="the five handled and the lag back to 0")
    finally:
        handler.opened.set()
        stopping.set()
        await task
        await producer.close()


def record_of(offset: int, payload: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="network",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"durban",
        value=payload,
        checksum=None,
        serialized_key_size=6,
        serialized_value_size=len(payload),
        headers=[],
    )


async def test_events_handled_together_apply_once_each(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    handler = RunRecorder()
    runner, producer = runner_for(usm_kit_database, usm_broker, usm_topic_prefix, Together(handler))
    durban, juarez, cape_town = (city_registered(c) for c in ("durban", "juarez", "cape-town"))
    try:
        # Published twice within one run, then again in the next: applied once.
        assert await runner.handle_all([durban, juarez, durban]) == [durban, juarez]
        assert await runner.handle_all([juarez, cape_town]) == [cape_town]
        assert await runner.handle_all([cape_town]) == []
    finally:
        await producer.close()
    assert handler.runs == [["durban", "juarez"], ["cape-town"]]


async def test_a_run_that_fails_together_is_handled_one_event_at_a_time(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    handler = RunRecorder(failing={"always-fails"})
    runner, producer = runner_for(usm_kit_database, usm_broker, usm_topic_prefix, Together(handler))
    events = [city_registered(c) for c in ("durban", "always-fails", "juarez", "cape-town")]
    partition = TopicPartition("network", 0)
    try:
        await runner.process_all(
            partition, [record_of(10 + n, event.to_bytes()) for n, event in enumerate(events)]
        )
        # Nothing of the failed run stayed; each good event applied alone, once.
        assert handler.runs == [["durban"], ["juarez"], ["cape-town"]]
        assert runner._processed[partition] == 14
        # The next fetch: the good events are in the inbox, the poison one is not.
        await runner.process_all(
            partition, [record_of(14 + n, event.to_bytes()) for n, event in enumerate(events)]
        )
    finally:
        await producer.close()
    assert handler.runs == [["durban"], ["juarez"], ["cape-town"]]
    dead = dead_letter_reader(usm_broker, usm_topic_prefix)
    await dead.start()
    try:
        ends = await dead.end_offsets(
            [
                TopicPartition(usm_topic_prefix + DEAD_LETTER_TOPIC, p)
                for p in dead.partitions_for_topic(usm_topic_prefix + DEAD_LETTER_TOPIC) or []
            ]
        )
    finally:
        await dead.stop()
    # Dead-lettered on each delivery that could not apply it (twice), never the good ones.
    assert sum(ends.values()) == 2
