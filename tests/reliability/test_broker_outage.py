"""The broker down for a while during intake: every report is accepted, published once when
the broker is back, and counted once by the indicators service."""

import json

import httpx
from tests.reliability.conftest import (
    City,
    connect,
    read_topic,
    readyz,
    report_count,
    submit_reports,
    wait_settled,
)

from usmdev.stack import Stack
from usmkit.events.cloudevents import event_type
from usmkit.events.topics import topic_for

# Five or more, so the count is published rather than suppressed as a small cell.
REPORTS_WHILE_DOWN = 6
REPORT_SUBMITTED = event_type("reports", "report.submitted")


async def test_intake_goes_on_while_the_broker_is_down_and_nothing_is_lost_or_doubled(
    fault_stack: Stack, gateway: httpx.AsyncClient, city: City
) -> None:
    broker = fault_stack.broker
    broker.stop()
    try:
        report_ids = await submit_reports(gateway, city, REPORTS_WHILE_DOWN)

        # /readyz tells the truth meanwhile, on the service and on the gateway.
        for url in (fault_stack.layout.service_url("reports"), fault_stack.layout.gateway_url):
            down = await readyz(url)
            assert down.status_code == 503, url
            assert down.json()["checks"]["broker"].startswith("unavailable"), down.text
        # The events wait in the outbox, committed with the reports.
        connection = await connect(fault_stack, "reports")
        try:
            waiting = await connection.fetch(
                "SELECT envelope->>'subject' AS subject FROM outbox"
                " WHERE message_key = $1 AND event_type = $2 AND published_at IS NULL",
                city.slug,
                REPORT_SUBMITTED,
            )
        finally:
            await connection.close()
        assert sorted(row["subject"] for row in waiting) == sorted(report_ids)
    finally:
        broker.start()  # same port; the in-memory broker comes back empty

    await wait_settled(fault_stack, timeout_s=90)
    assert await report_count(gateway, city) == REPORTS_WHILE_DOWN

    records = await read_topic(broker.bootstrap_servers, topic_for("reports"))
    published = [json.loads(record.value) for record in records if record.key == city.slug.encode()]
    assert sorted(e["subject"] for e in published if e["type"] == REPORT_SUBMITTED) == sorted(
        report_ids
    )
