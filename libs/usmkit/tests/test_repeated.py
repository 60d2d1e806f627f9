"""Work a service repeats in the background (`Repeated`), in a running runtime on the
session's PostgreSQL and broker."""

import asyncio

from usmdev.broker import EmbeddedBroker
from usmdev.pytest_plugin import DatabaseFactory
from usmdev.waiting import eventually
from usmkit.db import new_metadata
from usmkit.runtime import Repeated, ServiceRuntime
from usmkit.settings import KitSettings
from usmkit.tables import define_kit_tables


async def test_repeated_work_runs_at_start_outlives_a_failure_and_stops_with_the_service(
    usm_database: DatabaseFactory, usm_broker: EmbeddedBroker, usm_topic_prefix: str
) -> None:
    rounds: list[int] = []

    async def work() -> None:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 2:
            raise RuntimeError("a database hiccup")

    async def four_rounds() -> bool:
        return len(rounds) >= 4

    async with usm_database("network") as url:
        runtime = ServiceRuntime(
            service_name="network",
            settings=KitSettings(
                environment="test",
                database_url=url,
                kafka_bootstrap_servers=usm_broker.bootstrap_servers,
                kafka_topic_prefix=usm_topic_prefix,
            ),
            tables=define_kit_tables(new_metadata()),
            subscription=None,
        )
        runtime.repeat(Repeated(name="count", interval_s=0.01, work=work))
        runtime.start_background()
        try:
            # The first round at start; the failed second did not end the loop.
            await eventually(four_rounds, what="four rounds")
        finally:
            await runtime.stop()
    assert rounds[:4] == [1, 2, 3, 4]
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "network-count"]
