"""Poison events on a service topic: the indicators process dead-letters them with a reason
and goes on counting the reports behind them."""

import json

import httpx
from aiokafka import AIOKafkaProducer
from tests.reliability.conftest import (
    RECOVERY_TIMEOUT_S,
    City,
    read_topic,
    report_count,
    submit_reports,
    wait_settled,
)

from usmdev.events import report_submitted
from usmdev.stack import Stack
from usmkit.events.topics import DEAD_LETTER_TOPIC, topic_for

REPORTS = 5


async def test_poison_events_are_dead_lettered_and_the_reports_behind_them_counted(
    fault_stack: Stack, gateway: httpx.AsyncClient, city: City
) -> None:
    bootstrap = fault_stack.broker.bootstrap_servers
    topic = topic_for("reports")
    not_json = b'{"specversion": "1.0", "id": '
    not_an_envelope = json.dumps({"hello": city.slug}).encode()
    # A well-formed envelope whose data breaks the report.submitted schema.
    bad_data = report_submitted(city.slug, period="last week", district_code=None).to_bytes()
    # Each poison message and how its dead letter must explain it.
    poison = {
        not_json: "not a valid CloudEvent",
        not_an_envelope: "not a valid CloudEvent",
        bad_data: "org.usm.reports.report.submitted.v1 data invalid at period",
    }
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        # Keyed by the city: the same partition as the city's real reports, ahead of them.
        for payload in poison:
            await producer.send_and_wait(topic, payload, key=city.slug.encode())
    finally:
        await producer.stop()
    await submit_reports(gateway, city, REPORTS)

    await wait_settled(fault_stack, timeout_s=RECOVERY_TIMEOUT_S)
    assert await report_count(gateway, city) == REPORTS

    letters = [
        record
        for record in await read_topic(bootstrap, DEAD_LETTER_TOPIC)
        if record.key == city.slug.encode()
    ]
    assert sorted(record.value for record in letters) == sorted(poison)
    for record in letters:
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["usm-dlq-reason"].startswith(poison[record.value]), headers
        assert headers["usm-dlq-consumer"] == "indicators"
        assert json.loads(headers["usm-dlq-origin"])["topic"] == topic
