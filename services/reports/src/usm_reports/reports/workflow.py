"""Which status a report may move to from which (pure; the service enforces it).

submitted → under_review → accepted | rejected; accepted → in_progress → resolved → closed;
a resolved or closed report may be reopened (back to under_review). Rejected is final.
"""

from collections.abc import Mapping

ALLOWED_TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "submitted": ("under_review",),
    "under_review": ("accepted", "rejected"),
    "accepted": ("in_progress",),
    "rejected": (),
    "in_progress": ("resolved",),
    "resolved": ("closed", "under_review"),
    "closed": ("under_review",),
}
# Open311 knows two states only.
CLOSED_STATUSES = frozenset({"rejected", "resolved", "closed"})
OPEN_STATUSES = frozenset(ALLOWED_TRANSITIONS) - CLOSED_STATUSES
# Where a report's handling ends (closed may still be reopened): retention counts from here.
FINAL_STATUSES = ("closed", "rejected")


def refusal(current: str, target: str) -> str | None:
    """Why `current` → `target` is not allowed, or None when it is."""
    allowed = ALLOWED_TRANSITIONS[current]
    if target in allowed:
        return None
    if target == current:
        return f"The report is already {current!r}."
    if not allowed:
        return f"A {current!r} report is final; its status cannot change."
    return (
        f"A {current!r} report can move to {' or '.join(repr(s) for s in allowed)}, "
        f"not to {target!r}."
    )


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"
