"""Demo report categories for Durban and Ciudad Juárez, posted through the gateway."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx

from usmdev.waiting import retry_while

# Cities reach the reports service by event (`city.registered`): a fresh stack may need
# a moment before the reports service knows them.
CITY_WAIT_S = 60.0


def _values(city: str, *pairs: tuple[str, str, str]) -> list[dict[str, str]]:
    """Allowed answers named in the city's working language (key, English, Spanish)."""
    return [
        {"key": key, "name": spanish if city == "ciudad-juarez" else english}
        for key, english, spanish in pairs
    ]


def _question(city: str, english: str, spanish: str) -> str:
    return spanish if city == "ciudad-juarez" else english


YES_NO = (("yes", "Yes", "Sí"), ("no", "No", "No"))

AGENCIES = {
    "durban": {
        "lighting": "eThekwini Electricity",
        "police": "South African Police Service (SAPS)",
        "stormwater": "eThekwini Coastal, Stormwater and Catchment Management",
        "waste": "Durban Solid Waste (DSW)",
        "parks": "eThekwini Parks, Recreation and Culture",
        "gbv": "SAPS Family Violence, Child Protection and Sexual Offences Unit (FCS)",
        "shelter": "Thuthuzela Care Centres (National Prosecuting Authority)",
    },
    "ciudad-juarez": {
        "lighting": "Dirección de Alumbrado Público",
        "police": "Secretaría de Seguridad Pública Municipal",
        "stormwater": "Dirección Municipal de Protección Civil",
        "waste": "Dirección de Limpia",
        "parks": "Dirección de Parques y Jardines",
        "gbv": "Centro de Justicia para las Mujeres (Fiscalía Zona Norte)",
        "shelter": "Instituto Municipal de las Mujeres",
    },
}


def demo_categories(city: str) -> list[dict[str, Any]]:
    """The demo categories of one city, as `CategoryCreate` bodies."""
    agency = AGENCIES[city]
    danger = {
        "code": "immediate_danger",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 1,
        "description": _question(
            city,
            "Are you or someone else in danger right now? If yes, call 10111 too.",
            "¿Usted u otra persona está en peligro ahora? Si es así, llame también al 911.",
        ),
        "values": _values(city, *YES_NO),
    }
    return [
        {
            "code": "streetlight",
            "names": {
                "en": "Broken streetlight",
                "es": "Alumbrado público descompuesto",
                "zu": "Isibani sasemgwaqweni esingasebenzi",
            },
            "descriptions": {
                "en": "A streetlight that is out, flickering or on during the day.",
                "es": "Una luminaria apagada, intermitente o encendida de día.",
                "zu": "Isibani sasemgwaqweni esicimile, esicwazimulayo noma esivutha emini.",
            },
            "group": "Lighting and public space",
            "keywords": ["light", "lamp", "dark", "luz", "luminaria", "isibani"],
            "dimension": "personal",
            "sensitivity": "normal",
            "agency_responsible": agency["lighting"],
            "attributes": [
                {
                    "code": "light_state",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "order": 1,
                    "description": _question(
                        city, "What is wrong with the light?", "¿Qué falla tiene la luminaria?"
                    ),
                    "values": _values(
                        city,
                        ("out", "It is out", "Está apagada"),
                        ("flickering", "It flickers", "Parpadea"),
                        ("day", "It is on during the day", "Está encendida de día"),
                        ("damaged", "The pole is damaged", "El poste está dañado"),
                    ),
                },
                {
                    "code": "pole_number",
                    "datatype": "string",
                    "required": False,
                    "order": 2,
                    "description": _question(
                        city,
                        "The number painted on the pole, if you can see it.",
                        "El número pintado en el poste, si lo ve.",
                    ),
                },
            ],
        },
        {
            "code": "dark-path",
            "names": {
                "en": "Dark or unsafe path",
                "es": "Camino oscuro o inseguro",
                "zu": "Indlela emnyama noma engaphephile",
            },
            "descriptions": {
                "en": "A footpath, underpass or open space that feels unsafe to walk.",
                "es": "Un andador, paso a desnivel o baldío que se siente inseguro.",
                "zu": "Indlela yabahamba ngezinyawo noma indawo evulekile engaphephile.",
            },
            "group": "Lighting and public space",
            "keywords": ["path", "underpass", "bushes", "camino", "baldío", "indlela"],
            "dimension": "personal",
            "sensitivity": "normal",
            "agency_responsible": agency["parks"],
            "attributes": [
                {
                    "code": "problems",
                    "datatype": "multivaluelist",
                    "required": False,
                    "order": 1,
                    "description": _question(
                        city, "What makes it unsafe?", "¿Qué lo hace inseguro?"
                    ),
                    "values": _values(
                        city,
                        ("no_lighting", "No lighting", "Sin alumbrado"),
                        ("overgrown", "Overgrown bushes", "Maleza crecida"),
                        ("abandoned", "Abandoned building", "Edificio abandonado"),
                        ("isolated", "Nobody around", "Lugar aislado"),
                    ),
                }
            ],
        },
        {
            "code": "burglary",
            "names": {
                "en": "Burglary or break-in",
                "es": "Robo a casa habitación",
                "zu": "Ukugqekezwa kwendlu",
            },
            "descriptions": {
                "en": "A home or business was broken into.",
                "es": "Entraron a robar a una vivienda o negocio.",
                "zu": "Kugqekezwe ekhaya noma ebhizinisini.",
            },
            "group": "Crime",
            "keywords": ["burglary", "break-in", "robo", "ukugqekeza"],
            "dimension": "personal",
            "sensitivity": "normal",
            "agency_responsible": agency["police"],
            "attributes": [
                {
                    "code": "occurred_at",
                    "datatype": "datetime",
                    "required": False,
                    "order": 1,
                    "description": _question(
                        city, "When did it happen, roughly?", "¿Cuándo ocurrió, más o menos?"
                    ),
                },
                {
                    "code": "reported_to_police",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "order": 2,
                    "description": _question(
                        city,
                        "Has it been reported to the police?",
                        "¿Ya se denunció ante la policía?",
                    ),
                    "values": _values(city, *YES_NO),
                },
            ],
        },
        {
            "code": "flooding",
            "names": {
                "en": "Flooding or blocked drain",
                "es": "Inundación o alcantarilla tapada",
                "zu": "Izikhukhula noma umsele ovalekile",
            },
            "descriptions": {
                "en": "Standing water on a road or path, or a blocked stormwater drain.",
                "es": "Agua estancada en calle o andador, o una alcantarilla pluvial tapada.",
                "zu": "Amanzi amile emgwaqweni noma umsele wamanzi emvula ovalekile.",
            },
            "group": "Environment",
            "keywords": ["flood", "water", "drain", "inundación", "charco", "amanzi"],
            "dimension": "environmental",
            "sensitivity": "normal",
            "agency_responsible": agency["stormwater"],
            "attributes": [
                {
                    "code": "water_depth_cm",
                    "datatype": "number",
                    "required": False,
                    "order": 1,
                    "description": _question(
                        city,
                        "About how deep is the water, in centimetres?",
                        "¿Qué profundidad tiene el agua, en centímetros?",
                    ),
                },
                {
                    "code": "road_passable",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "order": 2,
                    "description": _question(
                        city, "Can cars still pass?", "¿Todavía pueden pasar autos?"
                    ),
                    "values": _values(city, *YES_NO),
                },
            ],
        },
        {
            "code": "illegal-dumping",
            "names": {
                "en": "Illegal dumping",
                "es": "Tiradero clandestino",
                "zu": "Ukulahlwa kukadoti ngokungemthetho",
            },
            "descriptions": {
                "en": "Rubbish dumped on a verge, open plot or riverbank.",
                "es": "Basura tirada en banquetas, lotes baldíos o a la orilla del río.",
                "zu": "Udoti olahlwe eceleni komgwaqo, esizeni esingenalutho noma ngasemfuleni.",
            },
            "group": "Environment",
            "keywords": ["dumping", "rubbish", "waste", "basura", "tiradero", "udoti"],
            "dimension": "environmental",
            "sensitivity": "normal",
            "agency_responsible": agency["waste"],
            "attributes": [
                {
                    "code": "waste_types",
                    "datatype": "multivaluelist",
                    "required": False,
                    "order": 1,
                    "description": _question(
                        city, "What kind of waste is it?", "¿Qué tipo de residuos son?"
                    ),
                    "values": _values(
                        city,
                        ("household", "Household rubbish", "Basura doméstica"),
                        ("rubble", "Building rubble", "Escombro"),
                        ("garden", "Garden waste", "Residuos de jardín"),
                        ("tyres", "Tyres", "Llantas"),
                        ("hazardous", "Chemicals or medical waste", "Residuos peligrosos"),
                    ),
                }
            ],
        },
        {
            "code": "gbv",
            "names": {
                "en": "Gender-based violence",
                "es": "Violencia de género",
                "zu": "Udlame olubhekiswe ebulilini",
            },
            "descriptions": {
                "en": "Violence against someone because of their gender. Handled confidentially.",
                "es": "Violencia contra una persona por su género. Se atiende con "
                "confidencialidad.",
                "zu": "Udlame olubhekiswe kumuntu ngenxa yobulili bakhe. Kuphathwa ngemfihlo.",
            },
            "group": "Violence and abuse",
            "keywords": ["gbv", "violence", "violencia", "udlame"],
            "dimension": "personal",
            "sensitivity": "sensitive",
            "agency_responsible": agency["gbv"],
            "attributes": [danger],
        },
        {
            "code": "sexual-harassment",
            "names": {
                "en": "Sexual harassment in public space",
                "es": "Acoso sexual en el espacio público",
                "zu": "Ukuhlukunyezwa ngokocansi endaweni yomphakathi",
            },
            "descriptions": {
                "en": "Unwanted sexual comments, touching or following, e.g. at a taxi rank.",
                "es": "Comentarios, tocamientos o persecución de tipo sexual no deseados, "
                "por ejemplo en el transporte.",
                "zu": "Amazwi, ukuthintwa noma ukulandelwa ngokocansi okungafunwa, "
                "isibonelo erenke yamatekisi.",
            },
            "group": "Violence and abuse",
            "keywords": ["harassment", "acoso", "ukuhlukunyezwa"],
            "dimension": "personal",
            "sensitivity": "sensitive",
            "agency_responsible": agency["gbv"],
            "attributes": [
                {
                    "code": "place_type",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "order": 1,
                    "description": _question(city, "Where did it happen?", "¿Dónde ocurrió?"),
                    "values": _values(
                        city,
                        ("transport", "Taxi rank, bus or stop", "Transporte o parada"),
                        ("street", "Street", "Calle"),
                        ("market", "Market", "Mercado"),
                        ("school", "School", "Escuela"),
                        ("workplace", "Workplace", "Trabajo"),
                        ("other", "Somewhere else", "Otro lugar"),
                    ),
                }
            ],
        },
        {
            "code": "domestic-violence",
            "names": {
                "en": "Domestic violence",
                "es": "Violencia familiar",
                "zu": "Udlame lwasekhaya",
            },
            "descriptions": {
                "en": "Violence or abuse in the home. Handled confidentially.",
                "es": "Violencia o maltrato en el hogar. Se atiende con confidencialidad.",
                "zu": "Udlame noma ukuhlukunyezwa ekhaya. Kuphathwa ngemfihlo.",
            },
            "group": "Violence and abuse",
            "keywords": ["domestic", "abuse", "familiar", "maltrato", "ekhaya"],
            "dimension": "personal",
            "sensitivity": "sensitive",
            "agency_responsible": agency["shelter"],
            "attributes": [
                danger,
                {
                    "code": "children_present",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "order": 2,
                    "description": _question(
                        city, "Are children in the home?", "¿Hay niñas o niños en el hogar?"
                    ),
                    "values": _values(city, *YES_NO),
                },
            ],
        },
    ]


DEMO_CITIES = ("durban", "ciudad-juarez")


def seed_reports(client: httpx.Client) -> None:
    """Create the demo categories; running it twice changes nothing.

    `client` calls the gateway as a platform admin.
    """
    for city in DEMO_CITIES:
        for category in demo_categories(city):
            path = f"/api/v1/reports/cities/{city}/categories"
            # 404 until the reports service has heard of the city.
            response = retry_while(
                partial(
                    client.post,
                    path,
                    json=category,
                    headers={"Idempotency-Key": f"seed-category-{city}-{category['code']}"},
                ),
                status=404,
                timeout_s=CITY_WAIT_S,
                what=f"reports to know {city}",
            )
            if response.status_code not in (201, 409):
                raise RuntimeError(
                    f"seeding category {city}/{category['code']} failed: {response.text}"
                )
