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


def report_status_changed(city: str = "durban", **fields: Any) -> CloudEvent:
    data = {
        "report_id": "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "city": city,
        "category_code": "streetlight",
        "sensitivity": "normal",
        "district_code": "DBN-CENTRAL",
        "from_status": "in_progress",
        "to_status": "resolved",
        "changed_at": "2026-11-27T08:30:00Z",
        "public_note": "The lamp was replaced on Thursday.",
        **fields,
    }
    return new_event(
        service="reports",
        name="report.status_changed",
        subject=data["report_id"],
        city=city,
        data=data,
    )


def appraisal_finalized(city: str = "durban", **fields: Any) -> CloudEvent:
    data = {
        "appraisal_id": "0193a3c4-0000-7000-8000-0000000000c1",
        "city": city,
        "working_group_id": "0193a3c4-0000-7000-8000-0000000000b1",
        "districts": ["DBN-CENTRAL"],
        "period": "2026-Q1",
        "series_id": "0193a3c4-0000-7000-8000-0000000000c1",
        "sequence": 1,
        "corrects_id": None,
        "finalized_at": "2026-11-25T10:15:00+00:00",
        "priorities_by_dimension": {
            "personal": [{"rank": 1, "title": "Light the footpaths", "votes": 23}]
        },
        **fields,
    }
    return new_event(
        service="appraisals",
        name="appraisal.finalized",
        subject=data["appraisal_id"],
        city=city,
        data=data,
    )


def plan_published(city: str = "durban", **fields: Any) -> CloudEvent:
    data = {
        "plan_id": "0193a3c4-0000-7000-8000-0000000000e1",
        "city": city,
        "working_group_id": "0193a3c4-0000-7000-8000-0000000000b1",
        "title": "Central Human Security Plan 2026",
        "districts": ["DBN-CENTRAL"],
        "appraisal_ids": ["0193a3c4-0000-7000-8000-0000000000c1"],
        "activated_at": "2026-11-25T10:15:00+00:00",
        "indicator_targets": [
            {
                "action_id": "0193a3c4-0000-7000-8000-0000000000f1",
                "indicator_code": "SDG_16_1_1",
                "districts": ["DBN-CENTRAL"],
                "baseline": 41.0,
                "target": 30.0,
                "unit": None,
                "target_date": "2026-06-30",
            }
        ],
        **fields,
    }
    return new_event(
        service="appraisals", name="plan.published", subject=data["plan_id"], city=city, data=data
    )


def action_progressed(city: str = "durban", **fields: Any) -> CloudEvent:
    data = {
        "plan_id": "0193a3c4-0000-7000-8000-0000000000e1",
        "action_id": "0193a3c4-0000-7000-8000-0000000000f1",
        "city": city,
        "districts": ["DBN-CENTRAL"],
        "reported_on": "2026-03-31",
        "percent": 40,
        "action_progress": 40,
        "action_status": "in_progress",
        "plan_progress": 40.0,
        "plan_weighting": "budget",
        **fields,
    }
    return new_event(
        service="appraisals",
        name="action.progressed",
        subject=data["action_id"],
        city=city,
        data=data,
    )


def values_updated(
    city: str = "durban",
    *,
    data_elements: list[str] | None = None,
    periods: list[str] | None = None,
    districts: list[str | None] | None = None,
    written_in: str | None = None,
) -> CloudEvent:
    data: dict[str, Any] = {
        "city": city,
        "data_elements": data_elements or ["HOMICIDES"],
        "periods": periods or ["2025-03"],
        "districts": districts or ["DBN-CENTRAL"],
    }
    if written_in is not None:
        data["written_in"] = written_in
    return new_event(
        service="indicators", name="values.updated", subject=city, city=city, data=data
    )
