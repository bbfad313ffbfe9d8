"""The topic catalogue: which aggregate's events go on which Kafka topic."""

from __future__ import annotations

from shared.events import documents, evaluations, missions, notifications

TOPICS: dict[str, str] = {
    "mission": "campus.missions.v1",
    "document": "campus.documents.v1",
    "evaluation": "campus.evaluations.v1",
    "email": "campus.notifications.v1",
}

EVENT_MODULES = (missions, documents, evaluations, notifications)


def topic_for(aggregate_type: str) -> str:
    return TOPICS[aggregate_type]
