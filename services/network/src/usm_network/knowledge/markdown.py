"""Markdown made safe to show: raw HTML stripped, and a small safe subset rendered to HTML.

Stdlib only. Everything is HTML-escaped first and only then are the few constructs we
support turned into tags we write ourselves, so no input can produce a tag or attribute
of its choosing. Supported: paragraphs, headings, bullet and numbered lists, block quotes,
fenced code, inline code, bold, italics, and links to http(s) or mailto addresses.
"""

import html
import re

_RAW_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*|\b_(?=\S)(.+?)(?<=\S)_\b")
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
_SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s]+$", re.IGNORECASE)


def strip_html(markdown: str) -> str:
    """The Markdown with raw HTML tags and comments removed (their text content stays)."""
    return _RAW_HTML.sub("", markdown)


def _link(match: re.Match[str]) -> str:
    text, url = match.group(1), match.group(2)
    if not _SAFE_URL.match(html.unescape(url)):
        return text
    return f'<a href="{url}" rel="nofollow noopener">{text}</a>'


def _inline(text: str) -> str:
    parts = html.escape(text, quote=True).split("`")
    # Odd parts were between backticks; an unpaired last backtick stays literal.
    if len(parts) % 2 == 0:
        parts[-2] = parts[-2] + "`" + parts.pop()
    rendered: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            rendered.append(f"<code>{part}</code>")
            continue
        part = _LINK.sub(_link, part)
        part = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", part)
        part = _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", part)
        rendered.append(part)
    return "".join(rendered)


def render_html(markdown: str) -> str:
    """Render the safe subset of `markdown` (after stripping raw HTML) to HTML."""
    out: list[str] = []
    paragraph: list[str] = []
    list_tag: str | None = None
    quote: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if list_tag:
            out.append(f"</{list_tag}>")
            list_tag = None
        if quote:
            out.append(f"<blockquote><p>{_inline(' '.join(quote))}</p></blockquote>")
            quote.clear()

    for line in strip_html(markdown).splitlines():
        if code is not None:
            if _FENCE.match(line):
                out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
                code = None
            else:
                code.append(line)
            continue
        if _FENCE.match(line):
            flush()
            code = []
            continue
        if not line.strip():
            flush()
            continue
        if heading := _HEADING.match(line):
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            continue
        item = _BULLET.match(line) or _NUMBERED.match(line)
        if item:
            tag = "ul" if _BULLET.match(line) else "ol"
            if list_tag != tag:
                flush()
                out.append(f"<{tag}>")
                list_tag = tag
            out.append(f"<li>{_inline(item.group(1))}</li>")
            continue
        if quoted := _QUOTE.match(line):
            if not quote:
                flush()
            quote.append(quoted.group(1))
            continue
        if list_tag or quote:
            flush()
        paragraph.append(line.strip())
    if code is not None:
        out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
    flush()
    return "\n".join(out)
