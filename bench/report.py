"""One table for every benchmark: figure, value, target, ratio to the same-run ceiling."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str | None
    ceiling: float | None
    detail: str = ""
    met: bool | None = None

    def row(self) -> str:
        ratio = f"{self.value / self.ceiling:.2f}" if self.ceiling else ""
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        value = f"{self.value:,.1f} {self.unit}".strip()
        if self.detail:
            value += f" ({self.detail})"
        return f"| {self.name} | {value} | {self.target or ''} {verdict} | {ratio} |"


def table(figures: list[Figure]) -> str:
    header = "| figure | value | target | ratio to ceiling |\n|---|---|---|---|"
    return "\n".join([header, *(figure.row() for figure in figures)])
