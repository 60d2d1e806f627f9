"""An appraisal's summary as a printable HTML page, ranked the way a group reads it.

Only the appraisal's findings are shown: who drafted or finalized it (member subjects) never is.
Labels come from `LABELS` by language; the findings are shown as the group wrote them.
"""

import html
from typing import Literal

from usm_appraisals.appraisals.schemas import AppraisalRead
from usm_appraisals.printing import definitions, page

SummaryLanguage = Literal["en", "es"]

LABELS: dict[SummaryLanguage, dict[str, str]] = {
    "en": {
        "appraisal": "Human Security Participatory Appraisal",
        "period": "Period",
        "districts": "Districts",
        "status": "Status",
        "version": "Version",
        "insecurities": "Insecurities (by severity and likelihood)",
        "root_causes": "Root causes",
        "capacities": "Capacities",
        "priorities": "Priorities (as ranked by the group)",
        "affected_groups": "Most affected",
        "severity": "Severity",
        "likelihood": "Likelihood",
        "trend": "Trend",
        "evidence": "Indicators",
        "strength": "Strength",
        "votes": "Votes",
        "score": "Score",
        "protection": "Protection (institutions)",
        "empowerment": "Empowerment (communities)",
        "draft": "draft",
        "in_review": "in review",
        "finalized": "finalized",
        "improving": "improving",
        "stable": "stable",
        "worsening": "worsening",
        "economic": "Economic",
        "food": "Food",
        "health": "Health",
        "environmental": "Environmental",
        "personal": "Personal",
        "community": "Community",
        "political": "Political",
    },
    "es": {
        "appraisal": "Diagnóstico Participativo de Seguridad Humana",
        "period": "Periodo",
        "districts": "Distritos",
        "status": "Estado",
        "version": "Versión",
        "insecurities": "Inseguridades (por gravedad y probabilidad)",
        "root_causes": "Causas de fondo",
        "capacities": "Capacidades",
        "priorities": "Prioridades (según el grupo)",
        "affected_groups": "Más afectados",
        "severity": "Gravedad",
        "likelihood": "Probabilidad",
        "trend": "Tendencia",
        "evidence": "Indicadores",
        "strength": "Fortaleza",
        "votes": "Votos",
        "score": "Puntuación",
        "protection": "Protección (instituciones)",
        "empowerment": "Empoderamiento (comunidades)",
        "draft": "borrador",
        "in_review": "en revisión",
        "finalized": "finalizado",
        "improving": "mejora",
        "stable": "estable",
        "worsening": "empeora",
        "economic": "Económica",
        "food": "Alimentaria",
        "health": "Sanitaria",
        "environmental": "Ambiental",
        "personal": "Personal",
        "community": "Comunitaria",
        "political": "Política",
    },
}


def render_summary_html(appraisal: AppraisalRead, language: SummaryLanguage) -> str:
    labels = LABELS[language]
    escape = html.escape
    insecurities = sorted(
        appraisal.insecurities, key=lambda found: found.severity * found.likelihood, reverse=True
    )
    sections = [
        (
            "insecurities",
            [
                f"<h3>{escape(labels[found.dimension])}: {escape(found.description)}</h3><dl>"
                + definitions(
                    [
                        (labels["affected_groups"], ", ".join(found.affected_groups)),
                        (labels["severity"], f"{found.severity}/5"),
                        (labels["likelihood"], f"{found.likelihood}/5"),
                        (labels["trend"], labels[found.trend]),
                        (labels["evidence"], ", ".join(found.evidence.indicator_codes)),
                    ]
                )
                + "</dl>"
                for found in insecurities
            ],
        ),
        (
            "root_causes",
            [
                f"<p>{escape(cause.description)}"
                + (
                    f" ({escape(', '.join(labels[d] for d in cause.dimensions))})"
                    if cause.dimensions
                    else ""
                )
                + "</p>"
                for cause in appraisal.root_causes
            ],
        ),
        (
            "capacities",
            [
                f"<h3>{escape(labels[capacity.kind])}: {escape(capacity.actor)}</h3>"
                + (f"<p>{escape(capacity.description)}</p>" if capacity.description else "")
                + f"<dl>{definitions([(labels['strength'], f'{capacity.strength}/5')])}</dl>"
                for capacity in appraisal.capacities
            ],
        ),
        (
            "priorities",
            [
                f'<li value="{priority.rank}">{escape(priority.title)} '
                f"({escape(labels[priority.dimension])})<dl>"
                + definitions(
                    [(labels["votes"], priority.votes), (labels["score"], priority.score)]
                )
                + "</dl></li>"
                for priority in sorted(appraisal.priorities, key=lambda ranked: ranked.rank)
            ],
        ),
    ]
    body = "".join(
        f"<section><h2>{escape(labels[name])}</h2>"
        + (f"<ol>{''.join(parts)}</ol>" if name == "priorities" else "".join(parts))
        + "</section>"
        for name, parts in sections
        if parts
    )
    return page(
        language=language,
        kind=labels["appraisal"],
        title=appraisal.title,
        heading=[
            (labels["period"], appraisal.period),
            (labels["districts"], ", ".join(appraisal.districts)),
            (labels["status"], labels[appraisal.status]),
            (labels["version"], appraisal.sequence),
        ],
        body=body,
    )
