import pytest

from usm_reports.categories.language import localized, negotiate_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("es", "es"),
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("zu-ZA", "zu"),
        ("fr, zu;q=0.8, es;q=0.9", "es"),
        ("fr, de", "en"),
        ("*", "en"),
        ("es;q=0, zu;q=0.1", "zu"),
        ("es;q=abc, zu;q=0.2", "zu"),
        ("en;q=0.5, es;q=0.5", "en"),
    ],
)
def test_negotiation_picks_the_preferred_supported_language(
    header: str | None, expected: str
) -> None:
    assert negotiate_language(header) == expected


def test_missing_translations_fall_back_to_english() -> None:
    assert localized({"en": "Flooding", "es": "Inundación"}, "zu") == "Flooding"
    assert localized({"en": "Flooding", "es": "Inundación"}, "es") == "Inundación"
    assert localized({}, "es") is None
