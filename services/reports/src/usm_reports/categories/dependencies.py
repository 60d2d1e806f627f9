from typing import Annotated

from fastapi import Depends, Header, Response

from usm_reports.categories.language import negotiate_language
from usm_reports.categories.schemas import Language


async def get_language(
    response: Response,
    accept_language: Annotated[
        str | None,
        Header(
            max_length=500,
            description="Preferred languages (en, es, zu); English when none is available.",
        ),
    ] = None,
) -> Language:
    """The negotiated language, also announced in `Content-Language`."""
    language = negotiate_language(accept_language)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return language


LanguageDep = Annotated[Language, Depends(get_language)]
