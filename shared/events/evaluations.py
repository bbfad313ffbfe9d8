"""Events of the evaluations service, published on `campus.evaluations.v1`."""

from __future__ import annotations

import datetime as dt

from shared.events.base import DomainEvent, register


class EvaluationEvent(DomainEvent):
    aggregate_type = "evaluation"


@register
class ReportDepositScheduled(EvaluationEvent):
    mission_id: str
    opens_on: dt.date
    closes_on: dt.date
