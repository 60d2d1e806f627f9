import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import h3
import httpx
import pytest
from sqlalchemy import select, text, update

from usm_reports.models import Report
from usmdev.geography import CENTRAL
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
APP_CLIENT = principal(["resident"], [], subject="client:fixmystreet-app")
MODERATOR = principal(["city_admin"], ["durban"])
DBN = {"jurisdiction_id": "durban"}
STREETLIGHT_FORM = {
    "jurisdiction_id": "durban",
    "service_code": "streetlight",
    "lat": "-29.851234",
    "long": "31.053456",
    "description": "Out since Monday. Call me on 082 555 1234 or mail thandi@example.org.",
    "attribute[light_state]": "flickering",
    "media_url": "https://photos.example.org/lamp.jpg",
    "email": "thandi@example.org",
    "first_name": "Thandi",
    "last_name": "Dlamini",
    "phone": "0825551234",
}
SENSITIVE_TEXT = "He waits for me at the rank on 14 Umgeni Road every evening."
HARASSMENT_JSON = {
    "jurisdiction_id": "durban",
    "service_code": "sexual-harassment",
    "lat": -29.8611,
    "long": 31.0222,
    "description": SENSITIVE_TEXT,
    "attribute": {"place_type": "transport"},
    "media_url": "https://photos.example.org/rank.jpg",
    "email": "victim@example.org",
}


def parse(response: httpx.Response, fmt: str) -> Any:
    """The document as plain data: JSON as is, XML as (tag, children or text) trees."""
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        return response.json()
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml")
    # Our own answer, not untrusted input.
    return ElementTree.fromstring(response.content)  # noqa: S314


def assert_open311_error(response: httpx.Response, fmt: str, status: int) -> str:
    assert response.status_code == status, response.text
    assert "problem" not in response.headers["content-type"]
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list) and body
        assert set(body[0]) == {"code", "description"}
        assert body[0]["code"] == status
        return str(body[0]["description"])
    root = parse(response, fmt)
    assert root.tag == "errors"
    error = root.find("error")
    assert error is not None
    assert error.findtext("code") == str(status)
    return error.findtext("description") or ""


async def seed(harness: ServiceHarness, seed_city: SeedCity) -> None:
    await seed_city(harness, districts=[CENTRAL])


async def post_form(
    harness: ServiceHarness, data: dict[str, Any], fmt: str = "json", **kwargs: Any
) -> httpx.Response:
    async with harness.client(APP_CLIENT) as client:
        return await client.post(f"/open311/v2/requests.{fmt}", data=data, **kwargs)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_discovery(usm_service: ServiceFactory, fmt: str) -> None:
    async with (
        usm_service("reports", public_base_url="https://usm.example.org/") as reports,
        reports.client() as anonymous,
    ):
        response = await anonymous.get(f"/open311/v2/discovery.{fmt}")
        assert response.status_code == 200
        document = parse(response, fmt)
        if fmt == "json":
            [endpoint] = document["endpoints"]
            assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
            assert endpoint["url"] == "https://usm.example.org/open311/v2"
            assert endpoint["formats"] == ["application/json", "text/xml"]
        else:
            assert document.tag == "discovery"
            assert document.findtext("endpoints/endpoint/url") == (
                "https://usm.example.org/open311/v2"
            )
            formats = document.findall("endpoints/endpoint/formats/format")
            assert [f.text for f in formats] == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_services_and_their_definitions(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports, reports.client() as anonymous:
        await seed(reports, seed_city)
        listed = await anonymous.get(
            f"/open311/v2/services.{fmt}", params=DBN, headers={"Accept-Language": "es"}
        )
        assert listed.status_code == 200
        assert listed.headers["content-language"] == "es"
        document = parse(listed, fmt)
        if fmt == "json":
            by_code = {entry["service_code"]: entry for entry in document}
            assert set(by_code["streetlight"]) == {
                "service_code",
                "service_name",
                "description",
                "metadata",
                "type",
                "keywords",
                "group",
            }
            assert by_code["streetlight"]["service_name"] == "Alumbrado público descompuesto"
            assert by_code["streetlight"]["metadata"] is True
            assert by_code["streetlight"]["type"] == "realtime"
            assert "luminaria" in by_code["streetlight"]["keywords"]
        else:
            assert document.tag == "services"
            services = {s.findtext("service_code"): s for s in document.findall("service")}
            assert len(services) == 8
            assert services["gbv"].findtext("service_name") == "Violencia de género"
            assert services["gbv"].findtext("metadata") == "true"

        definition = await anonymous.get(f"/open311/v2/services/streetlight.{fmt}", params=DBN)
        assert definition.status_code == 200
        document = parse(definition, fmt)
        if fmt == "json":
            assert document["service_code"] == "streetlight"
            first = document["attributes"][0]
            assert first["code"] == "light_state"
            assert first["variable"] is True
            assert first["datatype"] == "singlevaluelist"
            assert first["required"] is True
            assert {"key": "out", "name": "It is out"} in first["values"]
            assert [a["order"] for a in document["attributes"]] == [1, 2]
        else:
            assert document.tag == "service_definition"
            attribute = document.find("attributes/attribute")
            assert attribute is not None
            assert attribute.findtext("code") == "light_state"
            assert attribute.findtext("required") == "true"
            keys = [value.findtext("key") for value in attribute.findall("values/value")]
            assert keys == ["out", "flickering", "day", "damaged"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_post_form_then_read_it_back_by_id_token_and_list(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        created = await post_form(reports, STREETLIGHT_FORM, fmt)
        assert created.status_code == 200, created.text
        document = parse(created, fmt)
        if fmt == "json":
            [receipt] = document
        else:
            assert document.tag == "service_requests"
            element = document.find("request")
            assert element is not None
            receipt = {child.tag: child.text for child in element}
        request_id, token = receipt["service_request_id"], receipt["token"]
        assert request_id and token

        async with reports.client() as anonymous:
            one = await anonymous.get(f"/open311/v2/requests/{request_id}.{fmt}", params=DBN)
            assert one.status_code == 200
            by_token = await anonymous.get(f"/open311/v2/tokens/{token}.{fmt}", params=DBN)
            assert by_token.status_code == 200
            listed = await anonymous.get(f"/open311/v2/requests.{fmt}", params=DBN)
        if fmt == "json":
            [item] = one.json()
            assert by_token.json() == [{"service_request_id": request_id, "token": token}]
            notes = item.pop("notes")
            assert [(note["status"], note["workflow_status"]) for note in notes] == [
                ("open", "submitted")
            ]
            assert listed.json() == [item]
        else:
            element = parse(one, fmt).find("request")
            assert element is not None
            assert element.findtext("notes/note/workflow_status") == "submitted"
            item = {child.tag: child.text for child in element}
            token_element = parse(by_token, fmt).find("request")
            assert token_element is not None
            assert token_element.findtext("service_request_id") == request_id
            assert [r.findtext("service_request_id") for r in parse(listed, fmt)] == [request_id]
        assert item["service_request_id"] == request_id
        assert item["status"] == "open"
        assert item["service_code"] == "streetlight"
        assert item["service_name"] == "Broken streetlight"
        assert item["agency_responsible"] == "eThekwini Electricity"
        assert item["media_url"] == "https://photos.example.org/lamp.jpg"
        # Snapped to the centre of the report's H3 cell and scrubbed of contact details.
        centre = h3.cell_to_latlng(h3.latlng_to_cell(-29.851234, 31.053456, 9))
        assert (float(item["lat"]), float(item["long"])) == (
            round(centre[0], 6),
            round(centre[1], 6),
        )
        assert (float(item["lat"]), float(item["long"])) != (-29.851234, 31.053456)
        assert item["description"] == (
            "Out since Monday. Call me on [phone removed] or mail [email removed]."
        )
        for field in ("requested_datetime", "updated_datetime"):
            assert datetime.fromisoformat(str(item[field])).tzinfo is not None

        async with reports.runtime.database.sessions() as session:
            [stored] = (await session.scalars(select(Report))).all()
            raw = await session.execute(text("SELECT row_to_json(reports)::text FROM reports"))
            row_text = raw.scalar_one()
        assert stored.channel == "open311"
        assert stored.attributes == {"light_state": "flickering"}
        # Contact details are not stored (no encryption at rest yet).
        for contact in ("Thandi", "Dlamini", "0825551234"):
            assert contact not in row_text


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_post_json_with_multivalue_attributes_and_address_only(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        async with reports.client(APP_CLIENT) as client:
            created = await client.post(
                f"/open311/v2/requests.{fmt}",
                json={
                    "jurisdiction_id": "durban",
                    "service_code": "dark-path",
                    "address_string": "Footpath behind Warwick Junction market",
                    "attribute[problems][]": ["no_lighting", "overgrown"],
                },
            )
            assert created.status_code == 200, created.text
            form = await client.post(
                f"/open311/v2/requests.{fmt}?jurisdiction_id=durban",
                content="service_code=dark-path&address_id=ETH-000123"
                "&attribute[problems]=isolated&attribute[problems]=abandoned",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert form.status_code == 200, form.text
        async with reports.runtime.database.sessions() as session:
            stored = (await session.scalars(select(Report).order_by(Report.submitted_at))).all()
        assert [report.attributes for report in stored] == [
            {"problems": ["no_lighting", "overgrown"]},
            {"problems": ["isolated", "abandoned"]},
        ]
        assert stored[0].address_string == "Footpath behind Warwick Junction market"
        assert stored[0].latitude is None
        assert stored[0].outside_districts is True
        assert stored[1].address_id == "ETH-000123"


async def test_get_requests_filters_pages_and_the_default_window(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        ids = []
        for code, attributes in (
            ("streetlight", {"attribute[light_state]": "out"}),
            ("flooding", {}),
            ("flooding", {}),
            ("burglary", {"attribute[reported_to_police]": "no"}),
        ):
            body = {**DBN, "service_code": code, "lat": "-29.85", "long": "31.05", **attributes}
            created = await post_form(reports, body)
            assert created.status_code == 200, created.text
            ids.append(created.json()[0]["service_request_id"])
        async with reports.runtime.database.sessions() as session, session.begin():
            # One report from long ago: outside the default 90 days.
            await session.execute(
                update(Report)
                .where(Report.id == ids[3])
                .values(submitted_at=datetime.now(UTC) - timedelta(days=120))
            )
        async with reports.client(MODERATOR) as moderator:
            for status in ("under_review", "rejected"):
                etag = (await moderator.get(f"/api/v1/reports/{ids[1]}")).headers["etag"]
                moved = await moderator.post(
                    f"/api/v1/reports/{ids[1]}/status",
                    json={"status": status, "public_note": "Duplicate of an earlier report."},
                    headers={"If-Match": etag},
                )
                assert moved.status_code == 200

        async def listed(**params: str) -> list[dict[str, Any]]:
            async with reports.client() as anonymous:
                response = await anonymous.get(
                    "/open311/v2/requests.json", params={**DBN, **params}
                )
            assert response.status_code == 200, response.text
            items: list[dict[str, Any]] = response.json()
            return items

        newest_first = [ids[2], ids[1], ids[0]]
        assert [i["service_request_id"] for i in await listed()] == newest_first
        assert [i["service_request_id"] for i in await listed(service_code="flooding")] == [
            ids[2],
            ids[1],
        ]
        closed = await listed(status="closed")
        assert [i["service_request_id"] for i in closed] == [ids[1]]
        assert closed[0]["status_notes"] == "Duplicate of an earlier report."
        async with reports.client() as anonymous:
            [one] = (await anonymous.get(f"/open311/v2/requests/{ids[1]}.json", params=DBN)).json()
        assert [(n["workflow_status"], n["description"]) for n in one["notes"]] == [
            ("submitted", None),
            ("under_review", "Duplicate of an earlier report."),
            ("rejected", "Duplicate of an earlier report."),
        ]
        assert one["notes"][-1]["status"] == "closed"
        assert len(await listed(status="open,closed")) == 3
        assert [i["service_request_id"] for i in await listed(status="open")] == [ids[2], ids[0]]
        old = (datetime.now(UTC) - timedelta(days=200)).isoformat()
        assert len(await listed(start_date=old)) == 4
        before = (datetime.now(UTC) - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert [i["service_request_id"] for i in await listed(end_date=before)] == [ids[3]]
        # By id: the other filters no longer apply, old reports included.
        by_id = await listed(service_request_id=f"{ids[3]},{ids[0]}", service_code="flooding")
        assert {i["service_request_id"] for i in by_id} == {ids[3], ids[0]}
        first = await listed(page_size="2")
        second = await listed(page_size="2", page="2")
        assert [i["service_request_id"] for i in first + second] == newest_first
        assert await listed(page="3", page_size="2") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_sensitive_requests_show_their_district_only(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        async with reports.client(APP_CLIENT) as client:
            created = await client.post(f"/open311/v2/requests.{fmt}", json=HARASSMENT_JSON)
            assert created.status_code == 200, created.text
        request_id = (
            created.json()[0]["service_request_id"]
            if fmt == "json"
            else parse(created, fmt).findtext("request/service_request_id")
        )
        async with reports.client(MODERATOR) as moderator:
            etag = (await moderator.get(f"/api/v1/reports/{request_id}")).headers["etag"]
            await moderator.post(
                f"/api/v1/reports/{request_id}/status",
                json={"status": "under_review", "public_note": "A counsellor will call you."},
                headers={"If-Match": etag},
            )
        async with reports.client() as anonymous:
            responses = [
                await anonymous.get(f"/open311/v2/requests.{fmt}", params=DBN),
                await anonymous.get(f"/open311/v2/requests/{request_id}.{fmt}", params=DBN),
            ]
        for response in responses:
            assert response.status_code == 200
            for secret in (
                "Umgeni",
                "29.861",
                "31.022",
                "-29.86",
                "rank.jpg",
                "victim",
                "counsellor",
            ):
                assert secret not in response.text
            if fmt == "json":
                [item] = response.json()
                assert all(note["description"] is None for note in item.get("notes", []))
                assert "lat" not in item and "long" not in item
                assert item["description"] is None
                assert item["status_notes"] is None
                assert item["media_url"] is None
                assert item["address"] == "Central"
                assert item["service_code"] == "sexual-harassment"
            else:
                element = parse(response, fmt).find("request")
                assert element is not None
                assert element.find("lat") is None and element.find("long") is None
                assert element.findtext("address") == "Central"
        outbox = reports.runtime.tables.outbox
        async with reports.runtime.database.sessions() as session:
            envelopes = json.dumps(
                [row.envelope for row in (await session.execute(outbox.select())).all()]
            )
        for secret in ("Umgeni", "29.861", "31.022", "victim", "counsellor", "rank.jpg"):
            assert secret not in envelopes


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_every_error_case_answers_in_open311_shape(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        base = "/open311/v2"
        async with reports.client() as anonymous:
            gets: list[tuple[str, dict[str, str], int, str]] = [
                (f"{base}/services.{fmt}", {}, 400, "jurisdiction_id is required"),
                (f"{base}/services.{fmt}", {"jurisdiction_id": "atlantis"}, 404, "atlantis"),
                (f"{base}/services/potholes.{fmt}", DBN, 404, "potholes"),
                (f"{base}/services/streetlight.{fmt}", {"jurisdiction_id": "x"}, 404, "'x'"),
                (f"{base}/requests.{fmt}", {}, 400, "jurisdiction_id"),
                (f"{base}/requests.{fmt}", {"jurisdiction_id": "atlantis"}, 404, "atlantis"),
                (f"{base}/requests.{fmt}", {**DBN, "start_date": "last week"}, 400, "start_date"),
                (f"{base}/requests.{fmt}", {**DBN, "end_date": "2026-13-01"}, 400, "end_date"),
                (
                    f"{base}/requests.{fmt}",
                    {**DBN, "start_date": "2026-11-20", "end_date": "2026-11-01"},
                    400,
                    "after",
                ),
                (f"{base}/requests.{fmt}", {**DBN, "status": "pending"}, 400, "status"),
                (f"{base}/requests.{fmt}", {**DBN, "page_size": "1001"}, 400, "page_size"),
                (f"{base}/requests.{fmt}", {**DBN, "page": "0"}, 400, "page"),
                (f"{base}/requests.{fmt}", {**DBN, "page": "two"}, 400, "page"),
                (f"{base}/requests.{fmt}", {**DBN, "service_request_id": "1; DROP"}, 400, "id"),
                (
                    f"{base}/requests/0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d.{fmt}",
                    DBN,
                    404,
                    "not found",
                ),
                (f"{base}/requests/not-a-uuid.{fmt}", DBN, 404, "not found"),
                (f"{base}/tokens/not-a-token.{fmt}", DBN, 404, "token"),
                (f"{base}/tokens/not-a-token.{fmt}", {}, 400, "jurisdiction_id"),
                (f"{base}/no-such-thing.{fmt}", {}, 404, "no-such-thing"),
            ]
            for path, params, status, says in gets:
                description = assert_open311_error(
                    await anonymous.get(path, params=params), fmt, status
                )
                assert says in description, (path, params, description)
            # Only json and xml exist; a wrong extension is bad input.
            other = await anonymous.get(f"{base}/services.html", params=DBN)
            assert_open311_error(other, "json", 400)
            refused = await anonymous.post(f"{base}/requests.{fmt}", data=STREETLIGHT_FORM)
            assert "api_key" in assert_open311_error(refused, fmt, 403)

        posts: list[tuple[dict[str, Any], int, str]] = [
            ({**STREETLIGHT_FORM, "jurisdiction_id": ""}, 400, "jurisdiction_id"),
            ({**STREETLIGHT_FORM, "jurisdiction_id": "atlantis"}, 404, "atlantis"),
            ({**STREETLIGHT_FORM, "service_code": ""}, 400, "service_code"),
            ({**STREETLIGHT_FORM, "service_code": "potholes"}, 400, "service_code"),
            ({**STREETLIGHT_FORM, "lat": ""}, 400, "lat and long"),
            (
                {k: v for k, v in STREETLIGHT_FORM.items() if k not in ("lat", "long")},
                400,
                "location",
            ),
            ({**STREETLIGHT_FORM, "lat": "91"}, 400, "lat"),
            ({**STREETLIGHT_FORM, "long": "east"}, 400, "long"),
            ({**STREETLIGHT_FORM, "lat": "nan"}, 400, "lat"),
            ({**STREETLIGHT_FORM, "description": "x" * 4001}, 400, "description"),
            ({**STREETLIGHT_FORM, "media_url": "javascript:alert(1)"}, 400, "media_url"),
            ({**STREETLIGHT_FORM, "attribute[light_state]": "exploded"}, 400, "light_state"),
            (
                {k: v for k, v in STREETLIGHT_FORM.items() if k != "attribute[light_state]"},
                400,
                "attribute[light_state]",
            ),
            ({**STREETLIGHT_FORM, "attribute[colour]": "red"}, 400, "attribute[colour]"),
        ]
        for body, status, says in posts:
            description = assert_open311_error(await post_form(reports, body, fmt), fmt, status)
            assert says in description, (body, description)
        async with reports.client(APP_CLIENT) as client:
            for content, content_type, says in (
                (b"{not json", "application/json", "JSON"),
                (b"[1, 2]", "application/json", "object"),
                (b"<request/>", "application/xml", "form"),
            ):
                response = await client.post(
                    f"{base}/requests.{fmt}",
                    content=content,
                    headers={"Content-Type": content_type},
                )
                assert says in assert_open311_error(response, fmt, 400)
            upload = await client.post(
                f"{base}/requests.{fmt}",
                data={**STREETLIGHT_FORM},
                files={"photo": ("lamp.jpg", b"\xff\xd8", "image/jpeg")},
            )
            assert "media_url" in assert_open311_error(upload, fmt, 400)
            short_key = await client.post(
                f"{base}/requests.{fmt}", data=STREETLIGHT_FORM, headers={"Idempotency-Key": "x"}
            )
            assert_open311_error(short_key, fmt, 400)
        async with reports.runtime.database.sessions() as session:
            assert (await session.scalars(select(Report))).all() == []


async def test_an_idempotent_retry_creates_one_request(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        headers = {"Idempotency-Key": "b6f4c1e2-open311-retry"}
        first = await post_form(reports, STREETLIGHT_FORM, headers=headers)
        second = await post_form(reports, STREETLIGHT_FORM, headers=headers)
        assert first.status_code == second.status_code == 200
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        other_body = await post_form(
            reports, {**STREETLIGHT_FORM, "description": "changed"}, headers=headers
        )
        assert_open311_error(other_body, "json", 400)
        async with reports.runtime.database.sessions() as session:
            assert len((await session.scalars(select(Report))).all()) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_calls_without_the_gateway_token_or_the_submit_scope_are_refused(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        bare = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=reports.app), base_url="http://testserver"
        )
        async with bare:
            response = await bare.get(f"/open311/v2/services.{fmt}", params=DBN)
            assert_open311_error(response, fmt, 401)
        async with reports.client(principal(["partner_node"], ["durban"])) as partner:
            refused = await partner.post(f"/open311/v2/requests.{fmt}", data=STREETLIGHT_FORM)
            assert_open311_error(refused, fmt, 403)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_control_characters_in_any_input_are_an_open311_400(
    usm_service: ServiceFactory, seed_city: SeedCity, fmt: str
) -> None:
    async with usm_service("reports") as reports:
        await seed(reports, seed_city)
        base = "/open311/v2"
        nul = {"jurisdiction_id": "nul\x00byte"}
        async with reports.client() as anonymous:
            for path, params in (
                (f"{base}/services.{fmt}", nul),
                (f"{base}/requests.{fmt}", nul),
                (f"{base}/requests.{fmt}", {**DBN, "service_code": "nul\x00byte"}),
                (f"{base}/requests.{fmt}", {**DBN, "status": "open\x1b"}),
                (f"{base}/services/nul%00byte.{fmt}", DBN),
                (f"{base}/tokens/nul%00byte.{fmt}", DBN),
                (f"{base}/tokens/not-a-token.{fmt}", nul),
                (f"{base}/requests/0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d.{fmt}", nul),
            ):
                response = await anonymous.get(path, params=params)
                assert "control characters" in assert_open311_error(response, fmt, 400), path
        for body in (
            {**STREETLIGHT_FORM, "description": "nul\x00byte"},
            {**STREETLIGHT_FORM, "attribute[light_state]": "out\x00"},
            {**STREETLIGHT_FORM, "jurisdiction_id": "nul\x00byte"},
        ):
            response = await post_form(reports, body, fmt)
            assert "control characters" in assert_open311_error(response, fmt, 400)
        async with reports.client(APP_CLIENT) as client:
            response = await client.post(
                f"{base}/requests.{fmt}",
                json={**HARASSMENT_JSON, "attribute": {"place_type": "transport\x00"}},
            )
            assert "control characters" in assert_open311_error(response, fmt, 400)
        # Tabs and line breaks are text: such a description is taken.
        created = await post_form(
            reports, {**STREETLIGHT_FORM, "description": "Out since Monday.\r\n\tStill out."}, fmt
        )
        assert created.status_code == 200, created.text
        async with reports.runtime.database.sessions() as session:
            assert len((await session.scalars(select(Report))).all()) == 1
