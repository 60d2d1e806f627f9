"""Inbound SMS (or WhatsApp) through a gateway that signs each delivery.

The gateway posts a form (`from`, `body`, `received_at`; Twilio-style `From` and `Body`
are accepted too) with `X-SMS-Signature: sha256=<hex HMAC-SHA256 of the raw body under
the shared secret>`. A delivery is refused when the signature is wrong, when
`received_at` is further than `sms_max_skew_s` from now, or when the same signature was
accepted before (a replay). The sender's number becomes the report's sealed contact:
it is never stored in clear, logged or echoed.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.categories.repository import CategoryRepository
from usm_reports.reports.contacts import ContactVault
from usm_reports.reports.intake import Intake
from usm_reports.reports.schemas import ReportContact, ReportCreate
from usm_reports.reports.service import submit_report
from usm_reports.sms.parsing import SmsSyntaxError, parse_sms
from usm_reports.sms.repository import SmsReceiptRepository
from usm_reports.sms.schemas import SmsReply
from usmkit.events.outbox import Outbox
from usmkit.problems import Conflict, FieldError, NotFound, Unauthorized, UnprocessableContent

SIGNATURE_PREFIX = "sha256="
SENDER_MAX_LENGTH = 40
TEXT_MAX_LENGTH = 1600  # ten concatenated SMS
# The reply, per language the gateway may ask for (`lang`); English otherwise.
REPLIES = {
    "en": "Thank you. Your report is received. Tracking code: {code} - keep it to follow "
    "your report.",
    "es": "Gracias. Recibimos su reporte. Código de seguimiento: {code} - guárdelo para "
    "seguir su reporte.",
    "zu": "Siyabonga. Umbiko wakho wamukelwe. Ikhodi yokulandelela: {code} - yigcine "
    "ukuze ulandelele umbiko wakho.",
}


def signature_of(secret: str, body: bytes) -> str:
    """What the gateway sends in `X-SMS-Signature` for this body."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(*, secret: str, body: bytes, signature: str | None) -> str:
    """The digest of a valid signature (what replays are recognised by); 401 otherwise."""
    if not signature or not hmac.compare_digest(signature, signature_of(secret, body)):
        raise Unauthorized("The X-SMS-Signature header is missing or does not match the body.")
    return hashlib.sha256(signature.encode()).hexdigest()


@dataclass(frozen=True)
class InboundSms:
    sender: str
    text: str
    received_at: datetime
    language: str


def _invalid(field: str, msg: str) -> UnprocessableContent:
    return UnprocessableContent(
        f"{field}: {msg}", errors=[FieldError(loc=["body", field], msg=msg, type="invalid")]
    )


def _moment(raw: str) -> datetime:
    try:
        moment = (
            datetime.fromtimestamp(float(raw), UTC)
            if raw.replace(".", "", 1).isdigit()
            else datetime.fromisoformat(raw.replace("Z", "+00:00"))
        )
    except (ValueError, OverflowError, OSError):
        raise _invalid("received_at", "An ISO 8601 time with offset, or Unix seconds.") from None
    if moment.tzinfo is None:
        raise _invalid("received_at", "The time needs a UTC offset.")
    return moment


def read_form(body: bytes) -> InboundSms:
    """The delivery's fields (names in any case), checked."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _invalid("body", "The form is not UTF-8 URL-encoded.") from None
    fields = {name.casefold(): value for name, value in pairs}
    sender, text, received = fields.get("from"), fields.get("body"), fields.get("received_at")
    if not sender or len(sender) > SENDER_MAX_LENGTH:
        raise _invalid("from", f"The sender's number is required (at most {SENDER_MAX_LENGTH}).")
    if text is None or not text.strip():
        raise _invalid("body", "The message text is required.")
    if len(text) > TEXT_MAX_LENGTH:
        raise _invalid("body", f"At most {TEXT_MAX_LENGTH} characters.")
    if not received:
        raise _invalid("received_at", "When the gateway received the message is required.")
    language = fields.get("lang", "en")
    return InboundSms(
        sender=sender,
        text=text,
        received_at=_moment(received),
        language=language if language in REPLIES else "en",
    )


async def receive_sms(
    *,
    session: AsyncSession,
    outbox: Outbox,
    intake: Intake,
    vault: ContactVault,
    city: str,
    body: bytes,
    signature: str | None,
    secret: str,
    max_skew: timedelta,
    now: datetime,
) -> SmsReply:
    """Turn a signed SMS into a report (channel `sms`) and the reply to text back."""
    signature_hash = verify_signature(secret=secret, body=body, signature=signature)
    sms = read_form(body)
    if abs(now - sms.received_at) > max_skew:
        raise Unauthorized("received_at is too far from now: a late delivery or a replay.")
    if not await SmsReceiptRepository(session).claim(signature_hash, now):
        raise Conflict("This delivery was accepted before; a replay is refused.")
    categories = await CategoryRepository(session).list_all_active(city)
    if not categories:
        raise NotFound(f"{city!r} takes no reports (no member city, or no categories).")
    try:
        parsed = parse_sms(sms.text, sorted(categories, key=lambda category: category.code))
    except SmsSyntaxError as exc:
        raise _invalid("body", str(exc)) from exc
    try:
        report_in = ReportCreate(
            city=city,
            category_code=parsed.category_code,
            latitude=parsed.latitude,
            longitude=parsed.longitude,
            address_string=parsed.address,
            description=parsed.description,
            contact=ReportContact(phone=sms.sender),
        )
    except ValidationError as exc:
        # Only the place can be out of bounds here (an address longer than intake takes).
        raise _invalid("body", "Say where in fewer words after the @.") from exc
    report, tracking_code = await submit_report(
        session=session,
        outbox=outbox,
        intake=intake,
        report_in=report_in,
        vault=vault,
        channel="sms",
        require_answers=False,
    )
    return SmsReply(
        reply=REPLIES[sms.language].format(code=tracking_code),
        report_id=report.id,
        tracking_code=tracking_code,
    )
