"""`Accept-Language` negotiation among the languages categories are written in."""

from usm_reports.categories.schemas import LANGUAGES, Language

DEFAULT_LANGUAGE: Language = "en"


def negotiate_language(accept_language: str | None) -> Language:
    """The supported language the caller prefers most (RFC 9110 q-values, primary subtag
    only: `es-MX` means `es`); English when none of them is acceptable."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0].lower()
        language: Language | None = None
        if primary == "*":
            language = DEFAULT_LANGUAGE
        else:
            for supported in LANGUAGES:
                if supported == primary:
                    language = supported
        if language is None or quality <= 0:
            continue
        # Highest quality wins; among equals, the one listed first.
        candidate = (quality, -position, language)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else DEFAULT_LANGUAGE


def localized(texts: dict[str, str] | None, language: Language) -> str | None:
    """The text in `language`, else the English one."""
    if not texts:
        return None
    return texts.get(language) or texts.get(DEFAULT_LANGUAGE)
