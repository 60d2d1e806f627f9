"""Progress roll-up from actions to their parents, objectives and the plan.

Pure logic: the rule is stated once here (`METHOD`) and returned with every roll-up.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

METHOD = (
    "A leaf item's progress is its own, as last reported (0-100). A parent's progress is the "
    "mean of its children's: weighted by budget when every child has a budget in the same "
    "currency (an item without a budget of its own counts the sum of its children's budgets, "
    "when all of them have one), otherwise with equal weights. The plan's progress is the same "
    "mean over its objectives. Cancelled items are left out of their parent's mean. Results "
    "are rounded half up to one decimal."
)

Weighting = Literal["budget", "equal", "own"]


@dataclass(frozen=True)
class Node:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    progress: int
    budget: Decimal | None
    currency: str | None
    cancelled: bool = False


@dataclass
class Rolled:
    id: uuid.UUID | None
    progress: Decimal
    weighting: Weighting
    # The budget this item stands for when its parent weighs by budget (None: unknown).
    weight: tuple[Decimal, str] | None
    children: list["Rolled"] = field(default_factory=list)


def rounded(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _mean(counted: list[Rolled]) -> tuple[Decimal, Weighting]:
    """Budget-weighted mean when every child stands for a budget in one currency, else equal."""
    if not counted:
        return Decimal(0), "equal"
    weights = [child.weight for child in counted]
    currencies = {weight[1] for weight in weights if weight is not None}
    total = sum((weight[0] for weight in weights if weight is not None), Decimal(0))
    if all(weight is not None for weight in weights) and len(currencies) == 1 and total > 0:
        weighted = sum(
            (child.progress * child.weight[0] for child in counted if child.weight is not None),
            Decimal(0),
        )
        return weighted / total, "budget"
    return sum((child.progress for child in counted), Decimal(0)) / len(counted), "equal"


def roll_up(nodes: Sequence[Node]) -> Rolled:
    """The plan's roll-up tree: a root (`id` None) whose children are the objectives."""
    by_parent: dict[uuid.UUID | None, list[Node]] = defaultdict(list)
    for node in nodes:
        by_parent[node.parent_id].append(node)

    def build(node: Node) -> Rolled:
        children = [build(child) for child in by_parent.get(node.id, [])]
        own_weight = (node.budget, node.currency) if node.budget is not None else None
        if not children:
            weight = own_weight if own_weight and own_weight[1] else None
            return Rolled(node.id, Decimal(node.progress), "own", _typed(weight), [])
        counted = [
            child
            for child, source in zip(children, by_parent[node.id], strict=True)
            if not source.cancelled
        ]
        progress, weighting = _mean(counted)
        weight = _typed(own_weight) or _sum_weights(counted)
        return Rolled(node.id, progress, weighting, weight, children)

    objectives = [build(node) for node in by_parent.get(None, [])]
    counted = [
        rolled
        for rolled, source in zip(objectives, by_parent.get(None, []), strict=True)
        if not source.cancelled
    ]
    progress, weighting = _mean(counted)
    return Rolled(None, progress, weighting, None, objectives)


def _typed(weight: tuple[Decimal, str | None] | None) -> tuple[Decimal, str] | None:
    if weight is None or weight[1] is None:
        return None
    return weight[0], weight[1]


def _sum_weights(children: list[Rolled]) -> tuple[Decimal, str] | None:
    """A parent without a budget stands for the sum of its children's, if all are known."""
    if not children or any(child.weight is None for child in children):
        return None
    currencies = {child.weight[1] for child in children if child.weight is not None}
    if len(currencies) != 1:
        return None
    total = sum((child.weight[0] for child in children if child.weight is not None), Decimal(0))
    return total, currencies.pop()
