"""The contacts of each mission, projected from the missions' events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from shared.events.base import EventEnvelope
from shared.events.catalogue import TOPICS
from shared.platform.db import Database, Transaction, schema_transaction
from shared.platform.projection import Projection

TABLE = "mission_contacts"


def create_schema(database: Database) -> None:
    with schema_transaction(database) as tx:
        tx.execute(
            f"""CREATE TABLE IF NOT EXISTS {TABLE} (
                mission_id TEXT PRIMARY KEY, document TEXT NOT NULL)"""
        )


def load(tx: Transaction, mission_id: str) -> dict[str, Any]:
    row = tx.fetchone(
        f"SELECT document FROM {TABLE} WHERE mission_id = ?", (mission_id,)
    )
    return json.loads(row["document"]) if row else {"mission_id": mission_id}


def save(tx: Transaction, contacts: dict[str, Any]) -> None:
    tx.execute(
        f"""INSERT INTO {TABLE} (mission_id, document) VALUES (?, ?)
            ON CONFLICT (mission_id) DO UPDATE SET document = excluded.document""",
        (
            contacts["mission_id"],
            json.dumps(contacts, ensure_ascii=False, sort_keys=True),
        ),
    )


def update(contacts: dict[str, Any], envelope: EventEnvelope) -> dict[str, Any]:
    """Return the contacts after one mission event."""
    data = envelope.data
    updated = dict(contacts)
    match envelope.event_type:
        case "MissionCreated":
            updated.update(
                student_email=data["student_email"],
                student_name=data["student_name"],
                student_language=data["student_language"],
                program_name=data["program_name"],
            )
        case "DatesSet" | "DerogationRequested":
            updated.update(
                location=data["location"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                deadline=data["deadline"],
            )
        case "DerogationRejected":
            updated.update(start_date=None, end_date=None, deadline=None)
        case "SectionSaved":
            section = dict(updated.get(data["section"], {}))
            section.update(data["fields"])
            updated[data["section"]] = section
        case "MissionSentToCompany":
            updated.update(
                supervisor_email=data["supervisor_email"],
                company_language=data["language"],
                company_round=data["company_round"],
                company_involved=True,
            )
        case "SupervisorChanged":
            section = dict(updated.get("supervisor", {}))
            section.update(data["fields"])
            updated.update(
                supervisor=section,
                supervisor_email=data["supervisor_email"],
                company_round=data["company_round"],
                supervisor_round=data["supervisor_round"],
            )
        case "TutorAssigned":
            updated.update(
                tutor_email=data["tutor_email"], tutor_name=data["tutor_name"]
            )
    if envelope.event_type in STATUS_AFTER:
        updated["status"] = STATUS_AFTER[envelope.event_type]
    return updated


# The mission's status after each event that changes it, as the missions
# service defines it; scheduled emails check it before they go out.
STATUS_AFTER = {
    "MissionCreated": "draft",
    "DerogationRequested": "derogation_pending",
    "DerogationApproved": "draft",
    "DerogationRejected": "draft",
    "MissionSentToCompany": "sent_to_company",
    "CompanyCompleted": "company_completed",
    "StudentConfirmed": "tutor_review",
    "TutorApproved": "career_service_review",
    "TutorRefused": "company_completed",
    "MissionSentBack": "company_completed",
    "MissionApproved": "approved",
    "MissionCancelled": "cancelled",
}


def project(tx: Transaction, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply mission events to the contacts only, sending nothing."""
    for envelope in envelopes:
        if envelope.aggregate_type == "mission":
            save(tx, update(load(tx, envelope.aggregate_id), envelope))


PROJECTION = Projection(
    table=TABLE, key="mission_id", project=project, source=TOPICS["mission"]
)
