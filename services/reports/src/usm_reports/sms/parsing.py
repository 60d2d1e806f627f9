"""The SMS syntax: `KEYWORD free text [@ where]` (pure; the service applies it).

KEYWORD is a category's code or one of its keywords, in any case. `where`, after the
last `@`, is `latitude,longitude` or words for an address. Without `@` there is no
location, and the report cannot be placed.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from usm_reports.models import Category

_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class SmsSyntaxError(ValueError):
    """The message does not follow the syntax; the text says what to send instead."""


@dataclass(frozen=True)
class ParsedSms:
    category_code: str
    description: str | None
    latitude: float | None
    longitude: float | None
    address: str | None


def match_category(keyword: str, categories: Sequence[Category]) -> Category | None:
    """The category whose code, or else one of whose keywords, is `keyword` (any case);
    categories come ordered by code, so a keyword two categories share picks one stably."""
    wanted = keyword.casefold()
    for category in categories:
        if category.code.casefold() == wanted:
            return category
    for category in categories:
        if any(word.casefold() == wanted for word in category.keywords):
            return category
    return None


def parse_sms(text: str, categories: Sequence[Category]) -> ParsedSms:
    words = text.strip().split(maxsplit=1)
    if not words:
        raise SmsSyntaxError("The message is empty.")
    category = match_category(words[0], categories)
    if category is None:
        codes = ", ".join(category.code.upper() for category in categories[:8])
        raise SmsSyntaxError(f"Start with what you report, one of: {codes}.")
    rest = words[1] if len(words) > 1 else ""
    what, at, where = rest.rpartition("@")
    if not at:
        raise SmsSyntaxError("Add @ and where it is, e.g. 'LIGHT out at the rank @ Smith St'.")
    where = where.strip()
    if not where:
        raise SmsSyntaxError("Say where after the @.")
    description = what.strip() or None
    coordinates = _COORDINATES.match(where)
    if coordinates:
        latitude, longitude = float(coordinates.group(1)), float(coordinates.group(2))
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            return ParsedSms(category.code, description, latitude, longitude, None)
    return ParsedSms(category.code, description, None, None, where)
