"""The topic catalogue: which aggregate's events go on which Kafka topic."""

from __future__ import annotations

from shared.events import documents, evaluations, missions, people, programs

TOPICS: dict[str, str] = {
    "mission": "campus.missions.v1",
    "document": "campus.documents.v1",
    "evaluation": "campus.evaluations.v1",
    "program": "campus.programs.v1",
    "person": "campus.people.v1",
}

EVENT_MODULES = (missions, documents, evaluations, programs, people)


def topic_for(aggregate_type: str) -> str:
    return TOPICS[aggregate_type]
