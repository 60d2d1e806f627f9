"""The printable HTML page both exports (plans, appraisal summaries) are laid out on.

Everything passed in as text is escaped here; `body` is markup built from escaped parts.
"""

import html
from collections.abc import Sequence

STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:auto}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:0 1em}"
    "dt{font-weight:bold}section{break-inside:avoid}"
)


def definitions(rows: Sequence[tuple[str, object]]) -> str:
    """`<dt>label</dt><dd>value</dd>` pairs, escaped; empty values are left out."""
    return "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(str(value))}</dd>"
        for label, value in rows
        if value not in (None, "")
    )


def page(
    *, language: str, kind: str, title: str, heading: Sequence[tuple[str, object]], body: str
) -> str:
    escape = html.escape
    return (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><p>{escape(kind)}</p><h1>{escape(title)}</h1>"
        f"<dl>{definitions(heading)}</dl></header><main>{body}</main></body></html>"
    )
