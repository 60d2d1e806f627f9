"""A consumer killed between applying events and committing their offsets: the broker
redelivers them after the restart and the inbox makes each count exactly once."""

import httpx
from tests.reliability.conftest import (
    RECOVERY_TIMEOUT_S,
    City,
    connect,
    group_offsets,
    kill,
    read_topic,
    report_count,
    restart,
    submit_reports,
    wait_settled,
)

from usmdev.stack import Stack
from usmdev.waiting import eventually
from usmkit.events.cloudevents import event_type
from usmkit.events.topics import topic_for

REPORTS = 6
REPORT_SUBMITTED = event_type("reports", "report.submitted")


async def test_events_applied_but_not_committed_count_once_after_a_crash(
    fault_stack: Stack, gateway: httpx.AsyncClient, city: City
) -> None:
    bootstrap = fault_stack.broker.bootstrap_servers
    topic = topic_for("reports")
    # Stopped cleanly first, so everything before this test is committed and the restarted
    # consumer fetches all of this test's events in one batch.
    fault_stack.stop_process("indicators")
    await submit_reports(gateway, city, REPORTS)

    reports_db = await connect(fault_stack, "reports")
    try:

        async def all_published() -> list[str] | None:
            rows = await reports_db.fetch(
                "SELECT event_id::text, published_at FROM outbox"
                " WHERE message_key = $1 AND event_type = $2 ORDER BY id",
                city.slug,
                REPORT_SUBMITTED,
            )
            published = len(rows) == REPORTS and all(row["published_at"] for row in rows)
            return [row["event_id"] for row in rows] if published else None

        event_ids = await eventually(all_published, what="the reports to be published")
    finally:
        await reports_db.close()
    records = [r for r in await read_topic(bootstrap, topic) if r.key == city.slug.encode()]
    assert len(records) == REPORTS
    first_offset = min(record.offset for record in records)

    # An uncommitted inbox row for the last event makes the consumer wait on it, inside its
    # transaction, once it has applied and committed the others.
    blocker = await connect(fault_stack, "indicators")
    # A second connection: one inside a transaction sees a frozen pg_stat_activity.
    observer = await connect(fault_stack, "indicators")
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute(
            "INSERT INTO inbox (consumer, event_id, event_type) VALUES ('indicators', $1, $2)",
            event_ids[-1],
            REPORT_SUBMITTED,
        )
        await restart(fault_stack, "indicators")

        async def applied_all_but_the_last() -> bool:
            applied = await observer.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id::text = ANY($1::text[])",
                event_ids[:-1],
            )
            waiting = await observer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'usm_indicators'"
                " AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO inbox%'"
            )
            return bool(applied == REPORTS - 1 and waiting)

        await eventually(applied_all_but_the_last, timeout_s=60, what="the consumer to block")
        # The effect is there for all to see, yet the broker has no commit for any of them.
        assert await report_count(gateway, city) == REPORTS - 1
        committed, _ = await group_offsets(bootstrap, "indicators", topic)
        partition = next(p for p in committed if p.partition == records[0].partition)
        assert committed[partition] <= first_offset

        kill(fault_stack, "indicators")
        await transaction.rollback()
    finally:
        await observer.close()
        await blocker.close()

    await restart(fault_stack, "indicators")

    await wait_settled(fault_stack, timeout_s=RECOVERY_TIMEOUT_S)
    assert await report_count(gateway, city) == REPORTS
