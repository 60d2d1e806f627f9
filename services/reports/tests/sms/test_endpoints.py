from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select

from usm_reports.config import DEVELOPMENT_SMS_SECRET
from usm_reports.models import Report, SmsReceipt
from usm_reports.sms.service import signature_of
from usmdev.geography import CENTRAL
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
MODERATOR = principal(["city_admin"], ["durban"])
SENDER = "+27825551234"
SMS_PATH = "/api/v1/reports/cities/durban/sms"


def signed(
    fields: dict[str, str], secret: str = DEVELOPMENT_SMS_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = urlencode(fields).encode()
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-SMS-Signature": signature_of(secret, body),
    }


def message(text: str, **more: str) -> dict[str, str]:
    return {"from": SENDER, "body": text, "received_at": datetime.now(UTC).isoformat(), **more}


async def deliver(client: httpx.AsyncClient, fields: dict[str, str]) -> httpx.Response:
    body, headers = signed(fields)
    return await client.post(SMS_PATH, content=body, headers=headers)


async def report_count(harness: ServiceHarness) -> int:
    async with harness.runtime.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


async def test_a_signed_sms_becomes_a_report_and_the_reply_carries_the_tracking_code(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as gateway:
        await seed_city(reports, districts=[CENTRAL])
        received = await deliver(
            gateway, message("LIGHT out for a week at the rank @ -29.8512,31.0534", lang="zu")
        )
        assert received.status_code == 201, received.text
        reply = received.json()
        assert reply["tracking_code"] in reply["reply"]
        assert reply["reply"].startswith("Siyabonga")
        tracked = await gateway.get(f"/api/v1/reports/track/{reply['tracking_code']}")
        assert tracked.json()["category_code"] == "streetlight"
        # Required attributes (light_state) wait for a moderator; the number is sealed.
        async with reports.client(MODERATOR) as moderator:
            stored = (await moderator.get(f"/api/v1/reports/{reply['report_id']}")).json()
            assert stored["channel"] == "sms"
            assert stored["district_code"] == "DBN-CENTRAL"
            assert stored["description"] == "out for a week at the rank"
            assert stored["attributes"] == {}
            contact = await moderator.get(f"/api/v1/reports/{reply['report_id']}/contact")
            assert contact.json() == {"name": None, "email": None, "phone": SENDER}
        async with reports.runtime.database.sessions() as session:
            [report] = (await session.scalars(select(Report))).all()
            receipts = (await session.scalars(select(SmsReceipt))).all()
        assert report.contact_sealed is not None
        assert SENDER.encode() not in report.contact_sealed
        assert SENDER.lstrip("+").encode() not in report.contact_sealed
        assert [len(receipt.signature_hash) for receipt in receipts] == [64]

        by_address = await deliver(gateway, message("flood knee deep @ Umgeni Road bridge"))
        assert by_address.status_code == 201, by_address.text
        assert by_address.json()["reply"].startswith("Thank you.")


async def test_forged_stale_and_replayed_deliveries_are_refused(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as gateway:
        await seed_city(reports, districts=[CENTRAL])
        fields = message("LIGHT out @ -29.8512,31.0534")
        body, headers = signed(fields)
        forged_body, forged = signed(fields, secret="not-the-secret")
        assert (
            await gateway.post(SMS_PATH, content=forged_body, headers=forged)
        ).status_code == 401
        unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
        assert (await gateway.post(SMS_PATH, content=body, headers=unsigned)).status_code == 401
        # The signature covers the body: a changed body does not match.
        tampered = body.replace(b"out", b"OUT")
        assert (await gateway.post(SMS_PATH, content=tampered, headers=headers)).status_code == 401
        stale = message("LIGHT out @ -29.85,31.05")
        stale["received_at"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        assert (await deliver(gateway, stale)).status_code == 401
        first = await gateway.post(SMS_PATH, content=body, headers=headers)
        assert first.status_code == 201, first.text
        replay = await gateway.post(SMS_PATH, content=body, headers=headers)
        assert replay.status_code == 409
        assert replay.headers["content-type"] == "application/problem+json"
        assert await report_count(reports) == 1


async def test_messages_that_cannot_become_reports_say_why_and_store_nothing(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports, reports.client() as gateway:
        await seed_city(reports, districts=[CENTRAL])
        for fields, field in (
            (message("POTHOLE on Main Rd @ Main Rd"), "body"),
            (message("LIGHT out at the rank"), "body"),
            (message("LIGHT out @ " + "far " * 200), "body"),
            (message("LIGHT out @ 40.7,-74.0"), "latitude"),
            ({**message("LIGHT out @ x"), "received_at": "yesterday"}, "received_at"),
            ({**message("LIGHT out @ x"), "received_at": "2026-11-25T15:00:00"}, "received_at"),
            ({**message("LIGHT out @ x"), "from": ""}, "from"),
            ({**message("LIGHT out @ x"), "from": "1" * 41}, "from"),
            (message("   "), "body"),
            (message("LIGHT " + "x" * 1600 + " @ here"), "body"),
        ):
            refused = await deliver(gateway, fields)
            assert refused.status_code == 422, (fields, refused.text)
            assert refused.json()["errors"][0]["loc"][-1] == field, refused.json()
        body, headers = signed(message("LIGHT out @ x"))
        as_json = await gateway.post(
            SMS_PATH, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert as_json.status_code == 422
        broken = b"from=%2B2782&body=LIGHT%FF%FE%20%40%20x&received_at=" + (
            datetime.now(UTC).isoformat().replace("+", "%2B").encode()
        )
        broken_headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-SMS-Signature": signature_of(DEVELOPMENT_SMS_SECRET, broken),
        }
        assert (
            await gateway.post(SMS_PATH, content=broken, headers=broken_headers)
        ).status_code == 422
        elsewhere = signed(message("LIGHT out @ x"))
        unknown = await gateway.post(
            "/api/v1/reports/cities/atlantis/sms", content=elsewhere[0], headers=elsewhere[1]
        )
        assert unknown.status_code == 404
        assert await report_count(reports) == 0
