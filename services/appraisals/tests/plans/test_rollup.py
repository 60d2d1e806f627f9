"""Progress roll-up on a worked example (pure logic, no fixtures)."""

import uuid
from decimal import Decimal

from usm_appraisals.plans.rollup import Node, Rolled, roll_up, rounded


def ids(count: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(count)]


def find(tree: Rolled, node_id: uuid.UUID) -> Rolled:
    if tree.id == node_id:
        return tree
    for child in tree.children:
        try:
            return find(child, node_id)
        except LookupError:
            continue
    raise LookupError(node_id)


def test_worked_example() -> None:
    a, a1, a2, b, b1, b1a, b1b, b2, b3 = ids(9)
    zar = "ZAR"
    nodes = [
        # Objective A (no budget): two budgeted actions.
        Node(a, None, 0, None, None),
        Node(a1, a, 50, Decimal("30000"), zar),
        Node(a2, a, 100, Decimal("10000"), zar),
        # Objective B (no budget):
        Node(b, None, 0, None, None),
        #   B1 has no budget and one unbudgeted child, so it stands for no budget.
        Node(b1, b, 0, None, None),
        Node(b1a, b1, 20, None, None),
        Node(b1b, b1, 60, Decimal("5000"), zar),
        Node(b2, b, 10, Decimal("20000"), zar),
        #   B3 was cancelled: left out of B's mean.
        Node(b3, b, 0, Decimal("1000"), zar, cancelled=True),
    ]
    tree = roll_up(nodes)

    # A = (50 x 30000 + 100 x 10000) / 40000 = 62.5, budget-weighted; A stands for 40000.
    assert rounded(find(tree, a).progress) == 62.5
    assert find(tree, a).weighting == "budget"
    assert find(tree, a).weight == (Decimal("40000"), zar)
    # B1 = (20 + 60) / 2 = 40: B1a has no budget, so equal weights.
    assert rounded(find(tree, b1).progress) == 40.0
    assert find(tree, b1).weighting == "equal"
    assert find(tree, b1).weight is None
    # B = (40 + 10) / 2 = 25: B1 stands for no budget; B3 is cancelled and left out.
    assert rounded(find(tree, b).progress) == 25.0
    assert find(tree, b).weighting == "equal"
    # Plan = (62.5 + 25) / 2 = 43.75 -> 43.8: B has no budget, so equal weights.
    assert tree.weighting == "equal"
    assert rounded(tree.progress) == 43.8
    # Leaves keep their own progress.
    assert find(tree, b3).weighting == "own"
    assert rounded(find(tree, a1).progress) == 50.0


def test_budget_weighting_reaches_the_plan_when_every_budget_is_known() -> None:
    a, a1, b, b1 = ids(4)
    nodes = [
        Node(a, None, 0, None, None),
        Node(a1, a, 100, Decimal("3000"), "USD"),
        Node(b, None, 0, None, None),
        Node(b1, b, 0, Decimal("1000"), "USD"),
    ]
    tree = roll_up(nodes)
    # Plan = (100 x 3000 + 0 x 1000) / 4000 = 75.
    assert tree.weighting == "budget"
    assert rounded(tree.progress) == 75.0


def test_mixed_currencies_fall_back_to_equal_weights_and_empty_plans_are_zero() -> None:
    a, a1, a2 = ids(3)
    nodes = [
        Node(a, None, 0, None, None),
        Node(a1, a, 100, Decimal("3000"), "USD"),
        Node(a2, a, 0, Decimal("1000"), "ZAR"),
    ]
    assert rounded(roll_up(nodes).progress) == 50.0
    assert find(roll_up(nodes), a).weighting == "equal"
    empty = roll_up([])
    assert (empty.progress, empty.children) == (Decimal(0), [])
