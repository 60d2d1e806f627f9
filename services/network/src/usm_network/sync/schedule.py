"""Sync on a schedule: every `sync_interval_s`, pull each enabled peer in turn.

Runs inside the service process next to the kit's relay and consumer. Several replicas may
run it at once: a page is applied only if the peer's cursor is still the one it was fetched
with, so concurrent runs never apply a page twice or move a cursor backwards.
"""

from usm_network.config import NetworkSettings
from usm_network.sync.repository import PeerRepository
from usm_network.sync.runner import SyncRunner
from usmkit.runtime import Repeated, ServiceRuntime


def scheduled_sync(runtime: ServiceRuntime, settings: NetworkSettings) -> Repeated:
    runner = SyncRunner(database=runtime.database, outbox=runtime.outbox, settings=settings)

    async def sync_enabled_peers() -> None:
        async with runtime.database.transaction() as session:
            peers = await PeerRepository(session).enabled_ids()
        for node_id in peers:
            if runtime.stopping:
                return
            await runner.run(node_id)
            runtime.relay.wake()

    return Repeated(name="sync", interval_s=settings.sync_interval_s, work=sync_enabled_peers)
