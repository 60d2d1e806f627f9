"""Topic names: one per producing service, plus the dead-letter topic."""

from __future__ import annotations

SERVICES = ("indicators", "reports", "appraisals", "network")
DEAD_LETTER_TOPIC = "usm.dlq.v1"


def topic_for(service: str) -> str:
    return f"usm.{service}.v1"


ALL_TOPICS = (*(topic_for(service) for service in SERVICES), DEAD_LETTER_TOPIC)
