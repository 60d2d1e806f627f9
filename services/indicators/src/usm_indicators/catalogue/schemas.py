from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

INDICATOR_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,49}$"

Dimension = Literal[
    "economic", "food", "health", "environmental", "personal", "community", "political"
]
Direction = Literal["lower_is_better", "higher_is_better"]
Sensitivity = Literal["normal", "sensitive"]
ValueType = Literal["integer", "number", "percentage"]
Aggregation = Literal["sum", "average", "last"]
Disaggregation = Literal["sex", "age_band", "disability"]
Formula = Annotated[str, Field(min_length=1, max_length=1000)]


class DataElementRead(BaseModel):
    """A raw quantity collected per district, period and disaggregation."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "HOMICIDES",
                    "name_en": "Victims of intentional homicide",
                    "name_es": "Víctimas de homicidio intencional",
                    "value_type": "integer",
                    "aggregation": "sum",
                    "disaggregations": ["sex", "age_band"],
                }
            ]
        },
    )

    code: str
    name_en: str
    name_es: str
    value_type: ValueType
    aggregation: Aggregation = Field(
        description=(
            "How finer periods roll up: `sum` (flows, e.g. homicides), `average` (e.g. "
            "response times) or `last` (stocks, e.g. population: the latest period; "
            "districts are summed)."
        )
    )
    disaggregations: list[Disaggregation]


_LOCAL_EXAMPLE: JsonDict = {
    "name_en": "Women reporting harassment on public transport",
    "name_es": "Mujeres que reportan acoso en el transporte público",
    "definition": "Share of women surveyed harassed on public transport in 12 months.",
    "dimension": "personal",
    "unit": "percent",
    "direction": "lower_is_better",
    "numerator": "#{HARASSMENT_VICTIMS.sex=female}",
    "denominator": "#{SURVEY_RESPONDENTS.sex=female}",
    "multiplier": 100,
    "goalpost_min": 0,
    "goalpost_max": 60,
    "sensitivity": "sensitive",
}


class LocalIndicatorDefinition(BaseModel):
    """The definition of an indicator only this city uses."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_LOCAL_EXAMPLE]})

    name_en: str = Field(min_length=1, max_length=300)
    name_es: str = Field(min_length=1, max_length=300)
    definition: str = Field(min_length=1, max_length=5000)
    dimension: Dimension
    unit: str = Field(min_length=1, max_length=100)
    direction: Direction
    numerator: Formula = Field(description="A formula over data elements, e.g. `#{HOMICIDES}`.")
    denominator: Formula | None = Field(
        default=None, description="Null for indicators that are not ratios."
    )
    multiplier: float = Field(default=1, gt=0, allow_inf_nan=False)
    goalpost_min: float = Field(allow_inf_nan=False, description="Worst or best plausible value.")
    goalpost_max: float = Field(allow_inf_nan=False)
    standard: str | None = Field(default=None, max_length=100)
    sdmx_series: str | None = Field(default=None, max_length=50)
    sensitivity: Sensitivity = "normal"

    @model_validator(mode="after")
    def _goalposts_ordered(self) -> "LocalIndicatorDefinition":
        if self.goalpost_min >= self.goalpost_max:
            raise ValueError("goalpost_min must be below goalpost_max")
        return self


class CityIndicatorUpdate(BaseModel):
    """Turn an indicator on or off for a city; with `local`, define a city-local indicator."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"is_active": False}, {"is_active": True, "local": _LOCAL_EXAMPLE}]
        },
    )

    is_active: bool
    local: LocalIndicatorDefinition | None = Field(
        default=None,
        description=(
            "Only for a city-local indicator (a code not in the platform catalogue): its "
            "definition, created or replaced."
        ),
    )


class IndicatorRead(BaseModel):
    """An indicator as a city (or the platform catalogue) uses it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "SDG_16_1_1",
                    "origin": "platform",
                    "name_en": "Victims of intentional homicide per 100000 population",
                    "name_es": "Víctimas de homicidio intencional por cada 100000 habitantes",
                    "definition": "Victims of intentional homicide per 100000 population.",
                    "dimension": "personal",
                    "unit": "per 100000 population",
                    "direction": "lower_is_better",
                    "numerator": "#{HOMICIDES}",
                    "denominator": "#{POPULATION}",
                    "multiplier": 100000,
                    "goalpost_min": 0,
                    "goalpost_max": 50,
                    "standard": "SDG 16.1.1",
                    "sdmx_series": "VC_IHR_PSRC",
                    "sensitivity": "normal",
                    "is_active": True,
                }
            ]
        }
    )

    code: str
    origin: Literal["platform", "city"]
    name_en: str
    name_es: str
    definition: str
    dimension: Dimension
    unit: str
    direction: Direction
    numerator: str
    denominator: str | None
    multiplier: float
    goalpost_min: float
    goalpost_max: float
    standard: str | None
    sdmx_series: str | None
    sensitivity: Sensitivity
    is_active: bool
