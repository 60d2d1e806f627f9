from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, status

from usm_reports.config import reports_settings
from usm_reports.reports.contacts import vault_for
from usm_reports.reports.intake import IntakeDep
from usm_reports.reports.schemas import SLUG_PATTERN
from usm_reports.sms import service
from usm_reports.sms.schemas import SmsReply
from usmkit.auth import PublicDep
from usmkit.problems import PROBLEM_RESPONSES, UnprocessableContent
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/reports/cities/{city}/sms", tags=["sms"], responses=PROBLEM_RESPONSES
)
FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["from", "body", "received_at"],
                    "properties": {
                        "from": {"type": "string", "maxLength": 40},
                        "body": {"type": "string", "maxLength": 1600},
                        "received_at": {"type": "string", "description": "ISO 8601 or Unix s."},
                        "lang": {"type": "string", "enum": ["en", "es", "zu"]},
                    },
                },
                "example": {
                    "from": "+27825551234",
                    "body": "LIGHT out for a week at the taxi rank @ -29.8512,31.0534",
                    "received_at": "2026-11-25T15:00:00Z",
                },
            }
        },
    }
}


@router.post(
    "",
    response_model=SmsReply,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=FORM_BODY,
)
async def receive_sms(
    city: Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")],
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    intake: IntakeDep,
    _: PublicDep,
    x_sms_signature: Annotated[
        str | None,
        Header(
            max_length=200,
            description="`sha256=` and the hex HMAC-SHA256 of the raw body under the shared "
            "secret (`USM_REPORTS_SMS_SECRET`).",
        ),
    ] = None,
) -> SmsReply:
    """Webhook for an SMS or WhatsApp gateway: a message `KEYWORD free text @ where`
    becomes a report (channel `sms`), and the answer's `reply` — with the tracking
    code — is the text to send back.

    KEYWORD is a category code or keyword (`LIGHT`, `FLOOD`, ...); `where` is
    `latitude,longitude` or an address. Required attributes are left for moderators.
    The sender's number is stored only sealed, as the report's contact. Refused: a wrong
    or missing signature or a `received_at` too far from now (401), a replayed delivery
    (409), a message that does not follow the syntax (422, `detail` says what to send).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise UnprocessableContent("Send application/x-www-form-urlencoded.")
    settings = reports_settings(runtime)
    return await service.receive_sms(
        session=session,
        outbox=runtime.outbox,
        intake=intake,
        vault=vault_for(runtime),
        city=city,
        body=await request.body(),
        signature=x_sms_signature,
        secret=settings.sms_secret.get_secret_value(),
        max_skew=timedelta(seconds=settings.sms_max_skew_s),
        now=datetime.now(UTC),
    )
