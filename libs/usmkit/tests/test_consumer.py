"""The consumer runner: inbox idempotency, retries and the dead-letter topic, for real."""

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from usmdev.broker import EmbeddedBroker
from usmdev.events import city_registered
from usmdev.pytest_plugin import KitDatabase
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CloudEvent, SchemaRegistry, event_type
from usmkit.events.consumer import ConsumerRunner, Subscription
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


def runner_for(
    kit: KitDatabase, broker: EmbeddedBroker, prefix: str, handler: Recorder
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

    dead = AIOKafkaConsumer(
        usm_topic_prefix + DEAD_LETTER_TOPIC,
        bootstrap_servers=usm_broker.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
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
