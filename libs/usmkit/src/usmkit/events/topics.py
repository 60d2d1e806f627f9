"""Topic names: one per producing service, plus the dead-letter topic."""

from __future__ import annotations

SERVICES = ("indicators", "reports", "appraisals", "network")
DEAD_LETTER_TOPIC = "usm.dlq.v1"
# How long the topics keep events: 7 days, Kafka's default, stated wherever USM creates them
# (`usm topics`, deploy/k8s/platform/kafka-topics.yaml). A consumer's inbox must remember
# events longer (`inbox_retention_days`, usmkit.housekeeping).
TOPIC_RETENTION_MS = 7 * 24 * 3600 * 1000


def topic_for(service: str) -> str:
    return f"usm.{service}.v1"


ALL_TOPICS = (*(topic_for(service) for service in SERVICES), DEAD_LETTER_TOPIC)
