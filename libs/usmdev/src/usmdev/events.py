"""Events as the producing services send them, for tests of the consumers."""

from __future__ import annotations

from typing import Any

from usmkit.events.cloudevents import CloudEvent, new_event


def city_registered(
    slug: str = "durban", *, name: str | None = None, country_code: str = "ZA", role: str = "pilot"
) -> CloudEvent:
    data = {"slug": slug, "name": name or slug.title(), "country_code": country_code, "role": role}
    return new_event(service="network", name="city.registered", subject=slug, city=slug, data=data)


def geography_updated(city: str, districts: list[dict[str, Any]]) -> CloudEvent:
    return new_event(
        service="indicators",
        name="geography.updated",
        subject=city,
        city=city,
        data={"city": city, "districts": districts},
    )


def report_submitted(city: str = "durban", **fields: Any) -> CloudEvent:
    data = {
        "report_id": "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "city": city,
        "category_code": "streetlight",
        "sensitivity": "normal",
        "district_code": "DBN-CENTRAL",
        "period": "2026-11",
        "submitted_at": "2026-11-25T10:15:00Z",
        **fields,
    }
    return new_event(
        service="reports", name="report.submitted", subject=data["report_id"], city=city, data=data
    )
