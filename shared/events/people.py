"""Events about people themselves, published on `campus.people.v1`."""

from __future__ import annotations

from pydantic import Field

from shared.events.base import DomainEvent, register


class PersonEvent(DomainEvent):
    aggregate_type = "person"


@register
class PersonErased(PersonEvent):
    """A person's keys were destroyed: their data in events now reads as erased.

    It carries no personal data, only random ids, so that every service can
    scrub what it derived from the person and rebuild its read models.
    """

    person_ids: list[str] = Field(
        description="Ids of the keys destroyed; they appear in sealed values."
    )
    missions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The missions in which the person had a role (student, "
        "supervisor or tutor), by mission id.",
    )
