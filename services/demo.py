"""Demo mission sheets for a first try of the embedded mode.

Added once, when the missions store is still empty: Chloé's sheet waits for
the company (its link is in the mailbox), Liam's abroad sheet is a draft.
"""

from __future__ import annotations

from typing import Any

from services.missions.application import MissionCommands
from shared.platform.actors import Actor

CHLOE = Actor(
    email="chloe.moreau@etu.ecole-campus.fr",
    name="Chloé Moreau",
    role="student",
    language="fr",
)
LIAM = Actor(
    email="liam.oconnor@etu.ecole-campus.fr",
    name="Liam O'Connor",
    role="student",
    language="en",
)

CHLOE_SECTIONS: dict[str, dict[str, Any]] = {
    "student": {
        "first_name": "Chloé",
        "last_name": "Moreau",
        "email": CHLOE.email,
        "student_number": "20260107",
    },
    "organisation": {
        "name": "Boulangeries Dupain & Fils",
        "siret": "552 100 554 00021",
        "country": "FR",
        "sector": "Agroalimentaire",
    },
    "supervisor": {
        "first_name": "Gérard",
        "last_name": "Dupain",
        "email": "gerard.dupain@dupain-fils.fr",
    },
    "mission": {
        "title": "Contrôle de gestion des points de vente",
        "description": "Tableaux de bord mensuels et analyse des marges.",
    },
    "terms": {"weekly_hours": 35},
}

LIAM_SECTIONS: dict[str, dict[str, Any]] = {
    "student": {"first_name": "Liam", "last_name": "O'Connor", "email": LIAM.email},
    "organisation": {"name": "Grün Energie GmbH", "country": "DE"},
}


def seed_demo_missions(commands: MissionCommands) -> bool:
    """Create the demo sheets unless the store already has events; True if created."""
    if commands.store.read_after(0, limit=1):
        return False
    chloe = commands.create(CHLOE, "mge-1-2026", True)
    commands.set_dates(
        CHLOE,
        chloe.id,
        *_dates("2027-04-12", "2027-08-13"),
        "france",
        "FR",
        False,
        None,
    )
    for name, fields in CHLOE_SECTIONS.items():
        commands.save_section(CHLOE, chloe.id, name, fields)
    commands.submit(CHLOE, chloe.id)

    liam = commands.create(LIAM, "mge-1-2026", True)
    commands.set_dates(
        LIAM, liam.id, *_dates("2027-06-01", "2027-08-31"), "abroad", "DE", False, None
    )
    for name, fields in LIAM_SECTIONS.items():
        commands.save_section(LIAM, liam.id, name, fields)
    return True


def _dates(start: str, end: str) -> tuple[Any, Any]:
    import datetime as dt

    return dt.date.fromisoformat(start), dt.date.fromisoformat(end)
