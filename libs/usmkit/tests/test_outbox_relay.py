"""The outbox and relay against real PostgreSQL and a real broker."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from usmdev.broker import EmbeddedBroker
from usmdev.events import city_registered
from usmdev.pytest_plugin import DatabaseFactory, KitDatabase, KitRuntimeFactory
from usmdev.stack import free_port
from usmdev.waiting import eventually
from usmkit.db import Database, new_metadata
from usmkit.events.cloudevents import CloudEvent, SchemaRegistry
from usmkit.events.consumer import Subscription
from usmkit.events.kafka import ProducerHolder
from usmkit.events.outbox import Outbox
from usmkit.events.relay import OutboxRelay, relay_lock_key
from usmkit.events.topics import topic_for
from usmkit.settings import KitSettings
from usmkit.tables import define_kit_tables
from usmkit.tenancy import CITY_REGISTERED

CITIES = ("durban", "ciudad-juarez")


def city_data(slug: str) -> dict[str, str]:
    return {"slug": slug, "name": slug.title(), "country_code": "ZA", "role": "pilot"}


def settings_for(bootstrap: str, prefix: str) -> KitSettings:
    return KitSettings(
        environment="test",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        kafka_request_timeout_ms=3000,
        kafka_send_timeout_s=3,
        outbox_poll_interval_s=0.05,
    )


def outbox_for(kit: KitDatabase, *, prefix: str = "") -> Outbox:
    return Outbox(
        service="network", tables=kit.tables, registry=SchemaRegistry(), topic_prefix=prefix
    )


def relay_for(kit: KitDatabase, producer: ProducerHolder, *, poll_interval_s: float) -> OutboxRelay:
    return OutboxRelay(
        service="network",
        database=kit.database,
        tables=kit.tables,
        producer=producer,
        poll_interval_s=poll_interval_s,
    )


async def record(kit: KitDatabase, outbox: Outbox, city: str) -> uuid.UUID:
    async with kit.database.transaction() as session:
        event = await outbox.record(
            session, "city.registered", subject=city, city=city, data=city_data(city)
        )
    return event.id


async def read_topic(bootstrap: str, topic: str, expected: int) -> list[dict[str, object]]:
    """Every message on `topic` from the beginning, once `expected` have arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # refreshes metadata so the partitions are known
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        messages: list[dict[str, object]] = []

        async def collect() -> list[dict[str, object]] | None:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                messages.extend(json.loads(record.value) for record in records)
            return messages if len(messages) >= expected else None

        return await eventually(collect, timeout_s=60, what=f"{expected} messages on {topic}")
    finally:
        await consumer.stop()


def in_order_per_city(events: list[dict[str, object]], expected: list[uuid.UUID]) -> None:
    for city in CITIES:
        wanted = [
            str(e)
            for e in expected
            if str(e) in {str(x["id"]) for x in events if x["city"] == city}
        ]
        seen = [str(x["id"]) for x in events if x["city"] == city]
        assert seen == wanted


@pytest.fixture
def own_broker(usm_base_dir: Path) -> Iterator[EmbeddedBroker]:
    """A broker this test may stop and restart without disturbing the others."""
    broker = EmbeddedBroker(
        port=free_port(), log_file=usm_base_dir / f"broker-{uuid.uuid4().hex}.log"
    )
    broker.start()
    yield broker
    broker.stop()


async def test_relay_publishes_committed_events_in_order_per_city(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    settings = settings_for(usm_broker.bootstrap_servers, usm_topic_prefix)
    outbox = outbox_for(usm_kit_database, prefix=usm_topic_prefix)
    ids = [await record(usm_kit_database, outbox, CITIES[index % 2]) for index in range(10)]
    producer = ProducerHolder(settings, client_id="test")
    relay = relay_for(usm_kit_database, producer, poll_interval_s=0.05)
    try:
        # Another replica's relay in the middle of a batch: this one reads nothing meanwhile.
        async with usm_kit_database.database.transaction() as other:
            await other.execute(select(func.pg_advisory_xact_lock(relay_lock_key("network"))))
            assert await relay.publish_pending() == 0
        assert await relay.publish_pending() == 10
        assert await relay.publish_pending() == 0
    finally:
        await producer.close()
    events = await read_topic(
        usm_broker.bootstrap_servers, usm_topic_prefix + topic_for("network"), 10
    )
    assert sorted(str(event["id"]) for event in events) == sorted(str(i) for i in ids)
    in_order_per_city(events, ids)
    assert all(event["type"] == "org.usm.network.city.registered.v1" for event in events)


async def test_rolled_back_transaction_publishes_nothing(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    outbox = outbox_for(usm_kit_database, prefix=usm_topic_prefix)
    with pytest.raises(RuntimeError, match="change refused"):
        async with usm_kit_database.database.transaction() as session:
            await outbox.record(
                session,
                "city.registered",
                subject="durban",
                city="durban",
                data=city_data("durban"),
            )
            raise RuntimeError("change refused")
    producer = ProducerHolder(
        settings_for(usm_broker.bootstrap_servers, usm_topic_prefix), client_id="test"
    )
    relay = relay_for(usm_kit_database, producer, poll_interval_s=0.05)
    try:
        assert await relay.publish_pending() == 0
    finally:
        await producer.close()
    assert await relay.backlog() == 0


async def test_outbox_survives_the_broker_stopping_mid_stream(
    usm_kit_database: KitDatabase, own_broker: EmbeddedBroker
) -> None:
    settings = settings_for(own_broker.bootstrap_servers, "")
    outbox = outbox_for(usm_kit_database)
    producer = ProducerHolder(settings, client_id="test")
    relay = relay_for(usm_kit_database, producer, poll_interval_s=0.05)
    stopping = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stopping))
    try:
        before = [await record(usm_kit_database, outbox, CITIES[index % 2]) for index in range(6)]
        await eventually(lambda: _drained(relay), what="first events published")
        own_broker.stop()
        # Written while the broker is away: committed, so they must not be lost.
        during = [await record(usm_kit_database, outbox, CITIES[index % 2]) for index in range(10)]
        assert await relay.backlog() == 10
        own_broker.start()  # same port; the in-memory broker comes back empty
        await eventually(lambda: _drained(relay), timeout_s=60, what="backlog published")
    finally:
        stopping.set()
        await relay_task
        await producer.close()
    events = await read_topic(own_broker.bootstrap_servers, topic_for("network"), len(during))
    published = {str(event["id"]) for event in events}
    assert {str(event_id) for event_id in during} <= published
    assert published <= {str(event_id) for event_id in before + during}
    in_order_per_city(events, before + during)


async def _drained(relay: OutboxRelay) -> bool:
    return await relay.backlog() == 0


async def test_backlog_counts_unpublished_rows(usm_kit_database: KitDatabase) -> None:
    outbox = outbox_for(usm_kit_database)
    await record(usm_kit_database, outbox, "durban")
    async with usm_kit_database.database.sessions() as session:
        total = await session.scalar(
            select(func.count()).select_from(usm_kit_database.tables.outbox)
        )
    assert total == 1


async def test_a_discarded_producer_delivers_nothing_when_the_broker_returns(
    own_broker: EmbeddedBroker,
) -> None:
    # Batches outlive stop()'s patience, as with the services' settings.
    settings = settings_for(own_broker.bootstrap_servers, "").model_copy(
        update={"kafka_request_timeout_ms": 30_000}
    )
    holder = ProducerHolder(settings, client_id="test")
    topic = topic_for("network")
    await holder.send(topic, key=b"durban", value=b'{"sent": "before"}', headers=[])
    producer = await holder.get()
    own_broker.stop()
    # Queued while the broker is away; its stop() cannot flush it and gives up.
    queued = await producer.send(topic, key=b"durban", value=b'{"sent": "stale"}')
    await holder.discard()
    # Nothing is left to send it: the batch failed and the sender is gone.
    assert queued.done()
    assert isinstance(queued.exception(), Exception)
    assert producer._sender.sender_task.done()
    own_broker.start()
    try:
        await holder.send(topic, key=b"durban", value=b'{"sent": "after"}', headers=[])
    finally:
        await holder.close()
    # The restarted in-memory broker is empty: only what the new producer sent is there.
    assert await read_topic(own_broker.bootstrap_servers, topic, 1) == [{"sent": "after"}]


async def test_a_paused_relay_publishes_when_woken(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    outbox = outbox_for(usm_kit_database, prefix=usm_topic_prefix)
    producer = ProducerHolder(
        settings_for(usm_broker.bootstrap_servers, usm_topic_prefix), client_id="test"
    )
    # A poll interval no test waits out: only a wake gets these events out in time.
    relay = relay_for(usm_kit_database, producer, poll_interval_s=600)
    stopping = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stopping))
    try:
        for round_ in range(2):
            await record(usm_kit_database, outbox, CITIES[round_])
            relay.wake()
            await eventually(
                lambda: _drained(relay), timeout_s=20, what=f"round {round_} published"
            )
    finally:
        stopping.set()
        await relay_task
        await producer.close()
    events = await read_topic(
        usm_broker.bootstrap_servers, usm_topic_prefix + topic_for("network"), 2
    )
    assert sorted(str(event["city"]) for event in events) == sorted(CITIES)


async def test_events_a_consumed_event_writes_are_published_without_waiting_for_the_poll(
    usm_kit_runtime: KitRuntimeFactory, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    async def welcome(session: AsyncSession, event: CloudEvent) -> None:
        """A handler that answers with an event of its own."""
        partner = f"{event.subject}-partner"
        await runtime.outbox.record(
            session, "city.registered", subject=partner, city=partner, data=city_data(partner)
        )

    async with usm_kit_runtime(
        subscription=Subscription(
            topics=(topic_for("network"),), handlers={CITY_REGISTERED: welcome}
        ),
        # A poll no test waits out, and events given to the consumer by hand.
        outbox_poll_interval_s=600,
        consumers_enabled=False,
    ) as runtime:
        assert runtime.consumer is not None
        # The relay's first look, at start, found nothing; it now pauses for the poll.
        await eventually(lambda: _drained(runtime.relay), what="an empty outbox")
        assert await runtime.consumer.handle(city_registered("durban"))
        await eventually(lambda: _drained(runtime.relay), timeout_s=20, what="the answer published")
    events = await read_topic(
        usm_broker.bootstrap_servers, usm_topic_prefix + topic_for("network"), 1
    )
    assert [event["subject"] for event in events] == ["durban-partner"]


async def test_each_batch_is_marked_with_a_plan_for_the_outbox_as_it_is_now(
    usm_database: DatabaseFactory, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    # One pooled connection, so that every batch meets the statements it prepared before.
    # PostgreSQL would use a generic plan from the sixth run on, made once for the outbox as
    # it was then: a sequential scan while it is small, kept as it grows.
    async with usm_database("network") as url:
        kit = KitDatabase(
            database=Database(url, pool_size=1), tables=define_kit_tables(new_metadata())
        )
        outbox = outbox_for(kit, prefix=usm_topic_prefix)
        producer = ProducerHolder(
            settings_for(usm_broker.bootstrap_servers, usm_topic_prefix), client_id="test"
        )
        relay = relay_for(kit, producer, poll_interval_s=0.05)
        try:
            for index in range(8):
                await record(kit, outbox, CITIES[index % 2])
                assert await relay.publish_pending() == 1
            async with kit.database.sessions() as session:
                plans = (
                    await session.execute(
                        text(
                            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                            "WHERE statement LIKE 'UPDATE outbox SET published_at%'"
                        )
                    )
                ).all()
        finally:
            await producer.close()
            await kit.database.dispose()
    assert [tuple(row) for row in plans] == [(0, 8)]


def oldest_waiting_s() -> float | None:
    return REGISTRY.get_sample_value("usm_outbox_oldest_waiting_seconds", {"service": "network"})


async def test_the_relay_shows_how_long_the_first_waiting_event_has_waited(
    usm_kit_database: KitDatabase, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    kit = usm_kit_database
    outbox = outbox_for(kit, prefix=usm_topic_prefix)
    await record(kit, outbox, "durban")
    async with kit.database.transaction() as session:
        # Recorded a minute ago.
        await session.execute(
            kit.tables.outbox.update().values(created_at=func.now() - timedelta(minutes=1))
        )
    away = ProducerHolder(
        settings_for(f"127.0.0.1:{free_port()}", usm_topic_prefix), client_id="test"
    )
    with pytest.raises(KafkaConnectionError):
        await relay_for(kit, away, poll_interval_s=0.05).publish_pending()
    # The broker is away: the wait shows at each try.
    assert (oldest_waiting_s() or 0) >= 60
    producer = ProducerHolder(
        settings_for(usm_broker.bootstrap_servers, usm_topic_prefix), client_id="test"
    )
    relay = relay_for(kit, producer, poll_interval_s=0.05)
    try:
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0
    finally:
        await producer.close()
    assert oldest_waiting_s() == 0
