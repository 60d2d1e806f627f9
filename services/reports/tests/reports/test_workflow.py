import itertools

import pytest

from usm_reports.reports.workflow import ALLOWED_TRANSITIONS, open311_status, refusal

HAPPY_PATH = ["submitted", "under_review", "accepted", "in_progress", "resolved", "closed"]


def test_the_happy_path_and_reopening_are_allowed() -> None:
    for current, target in itertools.pairwise(HAPPY_PATH):
        assert refusal(current, target) is None
    assert refusal("under_review", "rejected") is None
    assert refusal("resolved", "under_review") is None
    assert refusal("closed", "under_review") is None


@pytest.mark.parametrize(
    ("current", "target", "says"),
    [
        ("submitted", "resolved", "can move to 'under_review', not to 'resolved'"),
        ("submitted", "submitted", "already 'submitted'"),
        ("rejected", "under_review", "final"),
        ("in_progress", "closed", "not to 'closed'"),
        ("accepted", "under_review", "not to 'under_review'"),
    ],
)
def test_other_moves_are_refused_with_a_reason(current: str, target: str, says: str) -> None:
    reason = refusal(current, target)
    assert reason is not None and says in reason


def test_every_status_maps_to_open311_open_or_closed() -> None:
    assert {status: open311_status(status) for status in ALLOWED_TRANSITIONS} == {
        "submitted": "open",
        "under_review": "open",
        "accepted": "open",
        "rejected": "closed",
        "in_progress": "open",
        "resolved": "closed",
        "closed": "closed",
    }
