"""The event catalogue for analytics consumers, as JSON Schema.

`python -m shared.events.schemas` writes docs/events.schema.json: one entry
per event type with its topic, schema version and the JSON Schema of its
`data`, plus the schema of the envelope every record carries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.events.base import EventEnvelope, event_types
from shared.events.catalogue import EVENT_MODULES, TOPICS

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "events.schema.json"


def catalogue() -> dict[str, Any]:
    modules = {module.__name__ for module in EVENT_MODULES}
    events = {
        name: {
            "topic": TOPICS[event_class.aggregate_type],
            "schema_version": event_class.schema_version,
            "data": event_class.model_json_schema(),
        }
        for name, event_class in sorted(event_types().items())
        if event_class.__module__ in modules
    }
    return {
        "title": "Campus domain events",
        "description": (
            "Each Kafka record's value is an envelope in JSON whose `data` "
            "follows the schema of its `event_type`; records are keyed by "
            "aggregate id, so one aggregate's events stay in order."
        ),
        "envelope": EventEnvelope.model_json_schema(),
        "events": events,
    }


def render() -> str:
    return json.dumps(catalogue(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
