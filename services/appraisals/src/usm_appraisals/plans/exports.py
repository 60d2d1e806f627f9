"""A plan as a printable document (HTML, PDF) and as a CSV of its action tree.

Exports carry the plan and its objectives and actions only: who created or reported (member
subjects), progress narratives and evidence links stay out, so no member data leaves here.
Labels come from `LABELS` by language; the data itself is shown as the city wrote it.
"""

import csv
import html
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from usm_appraisals.models import PlanItem
from usm_appraisals.plans.schemas import PlanProgressRead, PlanRead, RolledItem
from usm_appraisals.printing import definitions, page

ExportLanguage = Literal["en", "es"]

LABELS: dict[ExportLanguage, dict[str, str]] = {
    "en": {
        "plan": "Human Security Plan",
        "status": "Status",
        "version": "Version",
        "districts": "Districts",
        "activated": "Active since",
        "progress": "Progress",
        "summary": "Summary",
        "objective": "Objective",
        "action": "Action",
        "lead_actor": "Lead",
        "partners": "Partners",
        "dates": "Dates",
        "budget": "Budget",
        "indicators": "Indicators (baseline → target)",
        "none": "—",
        "draft": "draft",
        "approved": "approved",
        "active": "active",
        "completed": "completed",
        "archived": "archived",
        "planned": "planned",
        "in_progress": "in progress",
        "delayed": "delayed",
        "cancelled": "cancelled",
    },
    "es": {
        "plan": "Plan de Seguridad Humana",
        "status": "Estado",
        "version": "Versión",
        "districts": "Distritos",
        "activated": "Activo desde",
        "progress": "Avance",
        "summary": "Resumen",
        "objective": "Objetivo",
        "action": "Acción",
        "lead_actor": "Responsable",
        "partners": "Socios",
        "dates": "Fechas",
        "budget": "Presupuesto",
        "indicators": "Indicadores (línea base → meta)",
        "none": "—",
        "draft": "borrador",
        "approved": "aprobado",
        "active": "activo",
        "completed": "completado",
        "archived": "archivado",
        "planned": "previsto",
        "in_progress": "en curso",
        "delayed": "retrasado",
        "cancelled": "cancelado",
    },
}

CSV_COLUMNS = (
    "id",
    "parent_id",
    "parent_title",
    "kind",
    "level",
    "title",
    "lead_actor",
    "partners",
    "districts",
    "start_date",
    "end_date",
    "status",
    "progress",
    "budget",
    "currency",
    "indicators",
)


@dataclass(frozen=True)
class Line:
    """An objective or action in reading order: depth-first, children in the order added."""

    item: PlanItem
    level: int
    parent: PlanItem | None
    progress: float


@dataclass(frozen=True)
class PlanDocument:
    plan: PlanRead
    progress: PlanProgressRead
    lines: list[Line]


def plan_document(
    plan: PlanRead, items: Sequence[PlanItem], progress: PlanProgressRead
) -> PlanDocument:
    rolled: dict[object, float] = {}

    def collect(nodes: list[RolledItem]) -> None:
        for node in nodes:
            rolled[node.id] = node.progress
            collect(node.children)

    collect(progress.objectives)
    by_id = {item.id: item for item in items}
    children: dict[object, list[PlanItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    lines: list[Line] = []

    def walk(parent_id: object, level: int) -> None:
        for item in children.get(parent_id, []):
            parent = by_id.get(item.parent_id) if item.parent_id else None
            lines.append(Line(item, level, parent, rolled.get(item.id, float(item.progress))))
            walk(item.id, level + 1)

    walk(None, 0)
    return PlanDocument(plan, progress, lines)


def _indicators(item: PlanItem) -> str:
    return "; ".join(
        f"{indicator['code']}: {indicator['baseline']:g} → {indicator['target']:g}"
        + (f" {indicator['unit']}" if indicator.get("unit") else "")
        for indicator in item.indicators
    )


def _dates(item: PlanItem, none: str) -> str:
    if item.start_date is None and item.end_date is None:
        return none
    start = item.start_date.isoformat() if item.start_date else "…"
    end = item.end_date.isoformat() if item.end_date else "…"
    return f"{start} \u2013 {end}"


def _budget(item: PlanItem, none: str) -> str:
    return f"{item.budget:,.2f} {item.currency}" if item.budget is not None else none


def _details(line: Line, labels: dict[str, str]) -> list[tuple[str, str]]:
    """Label/value pairs shown under an item's title, in both printable formats."""
    item, none = line.item, labels["none"]
    return [
        (labels["status"], labels[item.status]),
        (labels["progress"], f"{line.progress:g} %"),
        (labels["lead_actor"], item.lead_actor or none),
        (labels["partners"], ", ".join(item.partners) or none),
        (labels["districts"], ", ".join(item.districts) or none),
        (labels["dates"], _dates(item, none)),
        (labels["budget"], _budget(item, none)),
        (labels["indicators"], _indicators(item) or none),
    ]


def _heading(document: PlanDocument, labels: dict[str, str]) -> list[tuple[str, str]]:
    plan = document.plan
    return [
        (labels["status"], labels[plan.status]),
        (labels["version"], str(plan.revision)),
        (labels["districts"], ", ".join(plan.districts) or labels["none"]),
        (
            labels["activated"],
            plan.activated_at.date().isoformat() if plan.activated_at else labels["none"],
        ),
        (labels["progress"], f"{document.progress.progress:g} %"),
    ]


def render_html(document: PlanDocument, language: ExportLanguage) -> str:
    """A self-contained printable page; every value the city wrote is escaped."""
    labels = LABELS[language]
    escape = html.escape
    plan = document.plan
    items = "".join(
        f'<section class="{line.item.kind}" style="margin-left:{line.level * 1.5}em">'
        f"<h{min(line.level + 2, 6)}>{escape(labels[line.item.kind])}: "
        f"{escape(line.item.title)}</h{min(line.level + 2, 6)}>"
        + (f"<p>{escape(line.item.description)}</p>" if line.item.description else "")
        + f"<dl>{definitions(_details(line, labels))}</dl></section>"
        for line in document.lines
    )
    return page(
        language=language,
        kind=labels["plan"],
        title=plan.title,
        heading=_heading(document, labels),
        body=f"<section><h2>{escape(labels['summary'])}</h2><p>{escape(plan.summary)}</p>"
        f"</section>{items}",
    )


def _spreadsheet_safe(value: str) -> str:
    """A cell starting with = + - @ would run as a formula in spreadsheet programs."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def render_csv(document: PlanDocument) -> str:
    """One row per objective or action, parents before children; machine column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in document.lines:
        item = line.item
        writer.writerow(
            [
                str(item.id),
                str(item.parent_id) if item.parent_id else "",
                _spreadsheet_safe(line.parent.title) if line.parent else "",
                item.kind,
                line.level,
                _spreadsheet_safe(item.title),
                _spreadsheet_safe(item.lead_actor or ""),
                _spreadsheet_safe("; ".join(item.partners)),
                "; ".join(item.districts),
                item.start_date.isoformat() if item.start_date else "",
                item.end_date.isoformat() if item.end_date else "",
                item.status,
                f"{line.progress:g}",
                f"{item.budget:.2f}" if item.budget is not None else "",
                item.currency or "",
                _spreadsheet_safe(_indicators(item)),
            ]
        )
    return out.getvalue()


# PDF core fonts (no font files, nothing fetched) cover Latin-1 only: typographic marks get
# their ASCII forms and other letters lose their accents; HTML and CSV keep full Unicode.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2192": "->",
        "\u20ac": "EUR",
    }
)


def pdf_text(text: str) -> str:
    """`text` in the Latin-1 the PDF core fonts can show."""
    plain = []
    for char in text.translate(_TYPOGRAPHY):
        if ord(char) < 256:
            plain.append(char)
            continue
        base = "".join(
            part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
        )
        plain.append(base if base and all(ord(part) < 256 for part in base) else "?")
    return "".join(plain)


def render_pdf(document: PlanDocument, language: ExportLanguage) -> bytes:
    labels = LABELS[language]
    pdf = FPDF(format="A4")
    pdf.set_title(pdf_text(document.plan.title))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def write(text: str, size: int, style: str = "", indent: float = 0) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(
            width - indent, size * 0.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    write(labels["plan"], 10)
    write(document.plan.title, 16, "B")
    for label, value in _heading(document, labels):
        write(f"{label}: {value}", 10)
    pdf.ln(2)
    write(labels["summary"], 12, "B")
    write(document.plan.summary, 10)
    for line in document.lines:
        # Deep trees stop indenting at level 8 so the text keeps a usable width.
        indent = min(line.level, 8) * 6.0
        pdf.ln(3)
        write(
            f"{labels[line.item.kind]}: {line.item.title}",
            12 if line.level == 0 else 11,
            "B",
            indent,
        )
        if line.item.description:
            write(line.item.description, 10, "", indent)
        for label, value in _details(line, labels):
            write(f"{label}: {value}", 9, "", indent + 2)
    return bytes(pdf.output())
