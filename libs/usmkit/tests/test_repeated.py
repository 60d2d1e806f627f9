"""Work a service repeats in the background (`Repeated`), in a running runtime on the
session's PostgreSQL and broker."""

import asyncio

from usmdev.pytest_plugin import KitRuntimeFactory
from usmdev.waiting import eventually
from usmkit.runtime import Repeated


async def test_repeated_work_runs_at_start_outlives_a_failure_and_stops_with_the_service(
    usm_kit_runtime: KitRuntimeFactory,
) -> None:
    rounds: list[int] = []

    async def work() -> None:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 2:
            raise RuntimeError("a database hiccup")

    async def four_rounds() -> bool:
        return len(rounds) >= 4

    async with usm_kit_runtime(repeated=[Repeated(name="count", interval_s=0.01, work=work)]):
        # The first round at start; the failed second did not end the loop.
        await eventually(four_rounds, what="four rounds")
    assert rounds[:4] == [1, 2, 3, 4]
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "network-count"]
