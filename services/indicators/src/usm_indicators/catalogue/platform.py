"""The platform catalogue: the reference indicators (SDG, ISO 37120) of
`reference_indicators.csv` with the formulas over data elements they need, and the local
indicators that make all seven human-security dimensions measurable."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

SEX = "sex"
AGE = "age_band"
DISABILITY = "disability"
ALL_DISAGGREGATIONS = [SEX, AGE, DISABILITY]


@dataclass(frozen=True)
class ElementSpec:
    code: str
    name_en: str
    name_es: str
    value_type: str
    aggregation: str
    disaggregations: tuple[str, ...]

    def row(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_en": self.name_en,
            "name_es": self.name_es,
            "value_type": self.value_type,
            "aggregation": self.aggregation,
            "disaggregations": list(self.disaggregations),
        }


def _count(code: str, name_en: str, name_es: str, *by: str) -> ElementSpec:
    return ElementSpec(code, name_en, name_es, "integer", "sum", by)


def _stock(code: str, name_en: str, name_es: str, *by: str) -> ElementSpec:
    return ElementSpec(code, name_en, name_es, "integer", "last", by)


_PEOPLE = (SEX, AGE, DISABILITY)

DATA_ELEMENTS: tuple[ElementSpec, ...] = (
    _stock("POPULATION", "Resident population", "Población residente", *_PEOPLE),
    _count(
        "HOMICIDES",
        "Victims of intentional homicide",
        "Víctimas de homicidio intencional",
        SEX,
        AGE,
    ),
    _count(
        "CONFLICT_DEATHS",
        "Conflict-related deaths",
        "Muertes relacionadas con conflictos",
        SEX,
        AGE,
    ),
    _count("SURVEY_RESPONDENTS", "Survey respondents", "Personas encuestadas", *_PEOPLE),
    _count(
        "VICTIMS_PHYSICAL_VIOLENCE",
        "Respondents subjected to physical violence (12 months)",
        "Personas encuestadas víctimas de violencia física (12 meses)",
        *_PEOPLE,
    ),
    _count(
        "VICTIMS_PSYCHOLOGICAL_VIOLENCE",
        "Respondents subjected to psychological violence (12 months)",
        "Personas encuestadas víctimas de violencia psicológica (12 meses)",
        *_PEOPLE,
    ),
    _count(
        "VICTIMS_SEXUAL_VIOLENCE",
        "Respondents subjected to sexual violence (12 months)",
        "Personas encuestadas víctimas de violencia sexual (12 meses)",
        *_PEOPLE,
    ),
    _count(
        "FEEL_SAFE_AFTER_DARK",
        "Respondents who feel safe walking alone after dark",
        "Personas encuestadas que se sienten seguras caminando solas de noche",
        *_PEOPLE,
    ),
    _count(
        "VIOLENCE_VICTIMS_SURVEYED",
        "Respondents who were victims of violence (12 months)",
        "Personas encuestadas víctimas de violencia (12 meses)",
        *_PEOPLE,
    ),
    _count(
        "VICTIMS_REPORTED",
        "Victims of violence who reported to the authorities",
        "Víctimas de violencia que denunciaron ante las autoridades",
        *_PEOPLE,
    ),
    _count(
        "HARASSMENT_VICTIMS",
        "Respondents subjected to physical or sexual harassment",
        "Personas encuestadas víctimas de acoso físico o sexual",
        *_PEOPLE,
    ),
    ElementSpec(
        "OPEN_PUBLIC_SPACE_HA",
        "Open public space (hectares)",
        "Espacio público abierto (hectáreas)",
        "number",
        "last",
        (),
    ),
    ElementSpec(
        "BUILT_UP_AREA_HA",
        "Built-up area (hectares)",
        "Superficie construida (hectáreas)",
        "number",
        "last",
        (),
    ),
    _count(
        "WOMEN_EVER_PARTNERED_SURVEYED",
        "Ever-partnered women and girls 15+ surveyed",
        "Mujeres y niñas de 15+ años que han tenido pareja, encuestadas",
        AGE,
        DISABILITY,
    ),
    _count(
        "IPV_VICTIMS",
        "Ever-partnered women and girls 15+ subjected to intimate partner violence",
        "Mujeres y niñas de 15+ años víctimas de violencia de pareja",
        AGE,
        DISABILITY,
    ),
    _count(
        "WOMEN_SURVEYED",
        "Women and girls 15+ surveyed",
        "Mujeres y niñas de 15+ años encuestadas",
        AGE,
        DISABILITY,
    ),
    _count(
        "NON_PARTNER_SEXUAL_VIOLENCE_VICTIMS",
        "Women and girls 15+ subjected to non-partner sexual violence",
        "Mujeres y niñas de 15+ años víctimas de violencia sexual por otras personas",
        AGE,
        DISABILITY,
    ),
    _count(
        "DISASTER_DEATHS_MISSING",
        "Deaths and missing persons attributed to disasters",
        "Personas muertas y desaparecidas por desastres",
        SEX,
        AGE,
    ),
    _stock("POLICE_OFFICERS", "Police officers", "Agentes de policía"),
    _count("PROPERTY_CRIMES", "Crimes against property", "Delitos contra la propiedad"),
    _count("VIOLENT_CRIMES", "Violent crimes", "Delitos violentos"),
    ElementSpec(
        "POLICE_RESPONSE_MINUTES",
        "Police response time from initial call (minutes)",
        "Tiempo de respuesta policial desde la llamada (minutos)",
        "number",
        "average",
        (),
    ),
    _count("FIRE_DEATHS", "Fire-related deaths", "Muertes relacionadas con incendios", SEX, AGE),
    _count(
        "NATURAL_DISASTER_DEATHS",
        "Natural-disaster-related deaths",
        "Muertes por desastres naturales",
        SEX,
        AGE,
    ),
    ElementSpec(
        "EMERGENCY_RESPONSE_MINUTES",
        "Emergency response time from initial call (minutes)",
        "Tiempo de respuesta de emergencias desde la llamada (minutos)",
        "number",
        "average",
        (),
    ),
    _count("CITIZEN_REPORTS", "Citizen reports received", "Reportes ciudadanos recibidos"),
    _stock("STREETLIGHTS", "Streetlights installed", "Luminarias instaladas"),
    _stock("STREETLIGHTS_WORKING", "Streetlights working", "Luminarias en funcionamiento"),
    _stock("LABOUR_FORCE", "Labour force", "Población económicamente activa", SEX, AGE, DISABILITY),
    _stock("UNEMPLOYED", "Unemployed people", "Personas desempleadas", SEX, AGE, DISABILITY),
    _count("HOUSEHOLDS_SURVEYED", "Households surveyed", "Hogares encuestados"),
    _count(
        "FOOD_INSECURE_HOUSEHOLDS",
        "Households with moderate or severe food insecurity",
        "Hogares con inseguridad alimentaria moderada o grave",
    ),
    _stock(
        "POPULATION_NEAR_CLINIC",
        "Residents within 2 km of a primary health clinic",
        "Residentes a menos de 2 km de un centro de salud",
        SEX,
        AGE,
        DISABILITY,
    ),
    _stock("REGISTERED_VOTERS", "Registered voters", "Personas inscritas para votar", SEX, AGE),
    _stock(
        "VOTES_CAST",
        "Votes cast in the last local election",
        "Votos emitidos en la última elección local",
        SEX,
        AGE,
    ),
)


def _rate(numerator: str, denominator: str) -> tuple[str, str]:
    return f"#{{{numerator}}}", f"#{{{denominator}}}"


# code → (Spanish name, numerator, denominator or None, goalpost min, goalpost max)
_REFERENCE_FORMULAS: dict[str, tuple[str, tuple[str, str | None], int, int]] = {
    "SDG_16_1_1": (
        "Víctimas de homicidio intencional por cada 100000 habitantes (por sexo y edad)",
        _rate("HOMICIDES", "POPULATION"),
        0,
        50,
    ),
    "SDG_16_1_2": (
        "Muertes relacionadas con conflictos por cada 100000 habitantes",
        _rate("CONFLICT_DEATHS", "POPULATION"),
        0,
        50,
    ),
    "SDG_16_1_3A": (
        "Población víctima de violencia física en los últimos 12 meses",
        _rate("VICTIMS_PHYSICAL_VIOLENCE", "SURVEY_RESPONDENTS"),
        0,
        50,
    ),
    "SDG_16_1_3B": (
        "Población víctima de violencia psicológica en los últimos 12 meses",
        _rate("VICTIMS_PSYCHOLOGICAL_VIOLENCE", "SURVEY_RESPONDENTS"),
        0,
        50,
    ),
    "SDG_16_1_3C": (
        "Población víctima de violencia sexual en los últimos 12 meses",
        _rate("VICTIMS_SEXUAL_VIOLENCE", "SURVEY_RESPONDENTS"),
        0,
        50,
    ),
    "SDG_16_1_4": (
        "Población que se siente segura caminando sola de noche en su zona",
        _rate("FEEL_SAFE_AFTER_DARK", "SURVEY_RESPONDENTS"),
        0,
        100,
    ),
    "SDG_16_3_1": (
        "Víctimas de violencia que denunciaron ante las autoridades competentes",
        _rate("VICTIMS_REPORTED", "VIOLENCE_VICTIMS_SURVEYED"),
        0,
        100,
    ),
    "SDG_11_7_2": (
        "Víctimas de acoso físico o sexual en los últimos 12 meses",
        _rate("HARASSMENT_VICTIMS", "SURVEY_RESPONDENTS"),
        0,
        50,
    ),
    "SDG_11_7_1": (
        "Proporción de la superficie construida que es espacio público abierto",
        _rate("OPEN_PUBLIC_SPACE_HA", "BUILT_UP_AREA_HA"),
        0,
        45,
    ),
    "SDG_5_2_1": (
        "Mujeres y niñas de 15+ años víctimas de violencia de pareja en los últimos 12 meses",
        _rate("IPV_VICTIMS", "WOMEN_EVER_PARTNERED_SURVEYED"),
        0,
        50,
    ),
    "SDG_5_2_2": (
        "Mujeres y niñas de 15+ años víctimas de violencia sexual por otras personas "
        "en los últimos 12 meses",
        _rate("NON_PARTNER_SEXUAL_VIOLENCE_VICTIMS", "WOMEN_SURVEYED"),
        0,
        30,
    ),
    "SDG_11_5_1": (
        "Muertes y personas desaparecidas por desastres por cada 100000 habitantes",
        _rate("DISASTER_DEATHS_MISSING", "POPULATION"),
        0,
        20,
    ),
    "ISO37120_14_1": (
        "Agentes de policía por cada 100000 habitantes",
        _rate("POLICE_OFFICERS", "POPULATION"),
        0,
        500,
    ),
    "ISO37120_14_2": (
        "Homicidios por cada 100000 habitantes",
        _rate("HOMICIDES", "POPULATION"),
        0,
        50,
    ),
    "ISO37120_14_3": (
        "Delitos contra la propiedad por cada 100000 habitantes",
        _rate("PROPERTY_CRIMES", "POPULATION"),
        0,
        5000,
    ),
    "ISO37120_14_4": (
        "Tiempo de respuesta policial desde la llamada inicial",
        ("#{POLICE_RESPONSE_MINUTES}", None),
        0,
        60,
    ),
    "ISO37120_14_5": (
        "Tasa de delitos violentos por cada 100000 habitantes",
        _rate("VIOLENT_CRIMES", "POPULATION"),
        0,
        2000,
    ),
    "ISO37120_10_2": (
        "Muertes relacionadas con incendios por cada 100000 habitantes",
        _rate("FIRE_DEATHS", "POPULATION"),
        0,
        10,
    ),
    "ISO37120_10_3": (
        "Muertes por desastres naturales por cada 100000 habitantes",
        _rate("NATURAL_DISASTER_DEATHS", "POPULATION"),
        0,
        20,
    ),
    "ISO37120_10_5": (
        "Tiempo de respuesta de emergencias desde la llamada inicial",
        ("#{EMERGENCY_RESPONSE_MINUTES}", None),
        0,
        60,
    ),
}

# Sexual and gender-based violence: published only with small-cell suppression.
_SENSITIVE = {"SDG_16_1_3C", "SDG_11_7_2", "SDG_5_2_1", "SDG_5_2_2"}

_LOCAL_INDICATORS: tuple[dict[str, Any], ...] = (
    {
        "code": "USM_REPORTS_PER_10K",
        "name_en": "Citizen reports per 10000 residents",
        "name_es": "Reportes ciudadanos por cada 10000 habitantes",
        "dimension": "community",
        "unit": "per 10000 population",
        "direction": "higher_is_better",
        "numerator": "#{CITIZEN_REPORTS}",
        "denominator": "#{POPULATION}",
        "multiplier": 10000,
        "goalposts": (0, 100),
        "definition": "Reports residents made through USM, a sign of trust and engagement.",
    },
    {
        "code": "USM_STREETLIGHT_COVERAGE",
        "name_en": "Streetlights in working order",
        "name_es": "Luminarias en funcionamiento",
        "dimension": "environmental",
        "unit": "percent",
        "direction": "higher_is_better",
        "numerator": "#{STREETLIGHTS_WORKING}",
        "denominator": "#{STREETLIGHTS}",
        "multiplier": 100,
        "goalposts": (0, 100),
        "definition": "Share of installed streetlights that work; lighting shapes safety at night.",
    },
    {
        "code": "USM_UNEMPLOYMENT_RATE",
        "name_en": "Unemployment rate",
        "name_es": "Tasa de desempleo",
        "dimension": "economic",
        "unit": "percent",
        "direction": "lower_is_better",
        "numerator": "#{UNEMPLOYED}",
        "denominator": "#{LABOUR_FORCE}",
        "multiplier": 100,
        "goalposts": (0, 50),
        "definition": "Unemployed people as a share of the labour force.",
    },
    {
        "code": "USM_FOOD_INSECURITY",
        "name_en": "Prevalence of moderate or severe food insecurity among households",
        "name_es": "Prevalencia de inseguridad alimentaria moderada o grave en los hogares",
        "dimension": "food",
        "unit": "percent",
        "direction": "lower_is_better",
        "numerator": "#{FOOD_INSECURE_HOUSEHOLDS}",
        "denominator": "#{HOUSEHOLDS_SURVEYED}",
        "multiplier": 100,
        "goalposts": (0, 100),
        "definition": "Households surveyed (FIES scale) with moderate or severe food insecurity.",
    },
    {
        "code": "USM_CLINIC_ACCESS",
        "name_en": "Residents within 2 km of a primary health clinic",
        "name_es": "Residentes a menos de 2 km de un centro de salud",
        "dimension": "health",
        "unit": "percent",
        "direction": "higher_is_better",
        "numerator": "#{POPULATION_NEAR_CLINIC}",
        "denominator": "#{POPULATION}",
        "multiplier": 100,
        "goalposts": (0, 100),
        "definition": "Share of residents living within 2 km of a primary health clinic.",
    },
    {
        "code": "USM_VOTER_TURNOUT",
        "name_en": "Voter turnout in the last local election",
        "name_es": "Participación electoral en la última elección local",
        "dimension": "political",
        "unit": "percent",
        "direction": "higher_is_better",
        "numerator": "#{VOTES_CAST}",
        "denominator": "#{REGISTERED_VOTERS}",
        "multiplier": 100,
        "goalposts": (0, 100),
        "definition": "Votes cast as a share of registered voters.",
    },
)


def _reference_rows() -> list[dict[str, Any]]:
    text = resources.files(__package__).joinpath("reference_indicators.csv").read_text("utf-8")
    rows = []
    for record in csv.DictReader(text.splitlines()):
        name_es, (numerator, denominator), low, high = _REFERENCE_FORMULAS[record["code"]]
        rows.append(
            {
                "code": record["code"],
                "name_en": record["name"],
                "name_es": name_es,
                "definition": f"{record['name']} ({record['standard']}; "
                f"source: {record['source_type']}).",
                "dimension": record["dimension"],
                "unit": record["unit"],
                "direction": record["direction"],
                "numerator": numerator,
                "denominator": denominator,
                "multiplier": Decimal(record["multiplier"]),
                "goalpost_min": Decimal(low),
                "goalpost_max": Decimal(high),
                "standard": record["standard"] or None,
                "sdmx_series": record["sdmx_series"] or None,
                "sensitivity": "sensitive" if record["code"] in _SENSITIVE else "normal",
            }
        )
    return rows


def _local_rows() -> list[dict[str, Any]]:
    rows = []
    for spec in _LOCAL_INDICATORS:
        low, high = spec["goalposts"]
        rows.append(
            {
                **{
                    key: value
                    for key, value in spec.items()
                    if key not in ("goalposts", "multiplier")
                },
                "multiplier": Decimal(spec["multiplier"]),
                "goalpost_min": Decimal(low),
                "goalpost_max": Decimal(high),
                "standard": None,
                "sdmx_series": None,
                "sensitivity": "normal",
            }
        )
    return rows


def platform_indicators() -> list[dict[str, Any]]:
    """Every indicator of the platform catalogue as column values, all active."""
    return [{**row, "is_active": True} for row in _reference_rows() + _local_rows()]


def platform_data_elements() -> list[dict[str, Any]]:
    return [spec.row() for spec in DATA_ELEMENTS]
