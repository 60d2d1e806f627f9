import pytest

from usm_reports.models import Category
from usm_reports.sms.parsing import ParsedSms, SmsSyntaxError, match_category, parse_sms

CATEGORIES = [
    Category(code="dark-path", keywords=["path", "dark"]),
    Category(code="streetlight", keywords=["light", "lamp", "dark"]),
]


def test_the_keyword_is_a_code_or_a_keyword_in_any_case() -> None:
    assert match_category("STREETLIGHT", CATEGORIES) is CATEGORIES[1]
    assert match_category("Lamp", CATEGORIES) is CATEGORIES[1]
    # Shared keywords pick the first category by code: stable.
    assert match_category("dark", CATEGORIES) is CATEGORIES[0]
    assert match_category("pothole", CATEGORIES) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "LIGHT out for a week @ -29.8512, 31.0534",
            ParsedSms("streetlight", "out for a week", -29.8512, 31.0534, None),
        ),
        (
            "lamp broken near me@home @ corner of Smith St and Field St",
            ParsedSms(
                "streetlight", "broken near me@home", None, None, "corner of Smith St and Field St"
            ),
        ),
        (
            "path @ Umgeni Rd underpass",
            ParsedSms("dark-path", None, None, None, "Umgeni Rd underpass"),
        ),
        # Not coordinates on Earth: kept as words for a moderator.
        ("light @ 95.1,31.0", ParsedSms("streetlight", None, None, None, "95.1,31.0")),
    ],
)
def test_messages_that_follow_the_syntax(text: str, expected: ParsedSms) -> None:
    assert parse_sms(text, CATEGORIES) == expected


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("   ", "empty"),
        ("pothole on Main Rd @ Main Rd", "Start with what you report"),
        ("light out for a week", "Add @"),
        ("light out @   ", "after the @"),
    ],
)
def test_messages_that_do_not_say_what_to_send_instead(text: str, complaint: str) -> None:
    with pytest.raises(SmsSyntaxError, match=complaint):
        parse_sms(text, CATEGORIES)
