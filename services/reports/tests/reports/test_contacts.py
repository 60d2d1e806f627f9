import base64
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from usm_reports.config import ReportsSettings
from usm_reports.models import Report
from usm_reports.reports.contacts import ContactVault
from usmdev.pytest_plugin import ServiceFactory, principal

SeedCity = Callable[..., Awaitable[None]]
KEY = base64.b64encode(os.urandom(32)).decode()
CONTACT = {"name": "Nomsa Zulu", "email": "nomsa@example.org", "phone": "+27 82 555 0101"}
GBV: dict[str, Any] = {
    "city": "durban",
    "category_code": "gbv",
    "latitude": -29.85,
    "longitude": 31.05,
    "description": "Please call me after 6 pm only.",
    "attributes": {"immediate_danger": "no"},
}


def test_a_sealed_contact_opens_only_for_its_report_and_key() -> None:
    vault = ContactVault(KEY)
    report_id = uuid.uuid4()
    sealed = vault.seal(report_id, CONTACT)
    assert b"nomsa" not in sealed
    assert vault.open(report_id, sealed) == CONTACT
    with pytest.raises(ValueError, match="does not open"):
        vault.open(uuid.uuid4(), sealed)
    with pytest.raises(ValueError, match="does not open"):
        ContactVault(base64.b64encode(os.urandom(32)).decode()).open(report_id, sealed)
    with pytest.raises(ValueError, match="32 bytes"):
        ContactVault(base64.b64encode(b"short").decode())


def test_production_refuses_the_development_key() -> None:
    secret = "a-production-secret-that-is-long-enough-0123456789"
    sms_secret = "a-production-sms-secret-0123456789"
    with pytest.raises(ValidationError, match="CONTACT_KEY must be set"):
        ReportsSettings(environment="production", internal_jwt_secret=secret, sms_secret=sms_secret)
    with pytest.raises(ValidationError, match="SMS_SECRET must be set"):
        ReportsSettings(environment="production", internal_jwt_secret=secret, contact_key=KEY)
    settings = ReportsSettings(
        environment="production",
        internal_jwt_secret=secret,
        contact_key=KEY,
        sms_secret=sms_secret,
    )
    assert settings.contact_key.get_secret_value() == KEY
    with pytest.raises(ValidationError, match="32 bytes"):
        ReportsSettings(contact_key=base64.b64encode(b"too short").decode())


async def test_contacts_are_stored_sealed_and_shown_to_the_citys_moderators_only(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports", contact_key=KEY) as reports:
        await seed_city(reports)
        async with reports.client() as anonymous:
            with_contact = await anonymous.post("/api/v1/reports", json={**GBV, "contact": CONTACT})
            without = await anonymous.post("/api/v1/reports", json=GBV)
        async with reports.client(principal(["resident"], [], subject="app")) as app:
            open311 = await app.post(
                "/open311/v2/requests.json",
                data={
                    "jurisdiction_id": "durban",
                    "service_code": "streetlight",
                    "lat": "-29.85",
                    "long": "31.05",
                    "attribute[light_state]": "out",
                    "first_name": "Sipho",
                    "last_name": "Ndlovu",
                    "email": "sipho@example.org",
                    "device_id": "abc",
                },
            )
        report_id = with_contact.json()["id"]
        moderator = principal(["city_admin"], ["durban"])
        async with reports.client(moderator) as client:
            shown = await client.get(f"/api/v1/reports/{report_id}/contact")
            assert shown.status_code == 200
            assert shown.json() == CONTACT
            none = await client.get(f"/api/v1/reports/{without.json()['id']}/contact")
            assert none.status_code == 404
            request_id = open311.json()[0]["service_request_id"]
            from_open311 = await client.get(f"/api/v1/reports/{request_id}/contact")
            assert from_open311.json() == {
                "name": "Sipho Ndlovu",
                "email": "sipho@example.org",
                "phone": None,
            }
            listed = await client.get("/api/v1/reports", params={"city": "durban"})
            assert "nomsa" not in listed.text
        for who in (
            None,
            principal(["city_analyst"], ["durban"]),
            principal(["city_admin"], ["ciudad-juarez"]),
        ):
            async with reports.client(who) as client:
                refused = await client.get(f"/api/v1/reports/{report_id}/contact")
                assert refused.status_code == 403
        async with reports.runtime.database.sessions() as session:
            stored = (await session.scalars(select(Report))).all()
        sealed = [report.contact_sealed for report in stored if report.contact_sealed]
        assert len(sealed) == 2
        assert all(b"nomsa" not in blob and b"sipho" not in blob for blob in sealed)
        outbox = reports.runtime.tables.outbox
        async with reports.runtime.database.sessions() as session:
            events = str([row.envelope for row in (await session.execute(outbox.select())).all()])
        for secret in ("Nomsa", "nomsa", "555 0101", "Sipho", "sipho"):
            assert secret not in events
