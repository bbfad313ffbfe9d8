"""Reactions of the evaluations service to the other services' events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.evaluations.commands import EvaluationCommands
from shared.events.base import EventEnvelope
from shared.platform.eventlog import Handler


def make_handler(
    commands: EvaluationCommands, on_append: Callable[[], None]
) -> Handler:
    """Open a file on approval, follow supervisor and tutor changes, certificates.

    Each reaction is idempotent: opening appends at version 0 only once, and
    the others compare with the file's state before appending.
    """

    def react(envelope: EventEnvelope) -> None:
        match envelope.event_type:
            case "MissionApproved":
                if commands.open_file(envelope):
                    on_append()
            case "SupervisorChanged":
                commands.renew_supervisor(envelope)
            case "TutorAssigned":
                commands.renew_tutor(envelope)
            case "FileUploaded" if envelope.data.get("kind") == "certificate":
                commands.record_certificate(envelope)

    async def handle(envelope: EventEnvelope) -> None:
        await asyncio.to_thread(react, envelope)

    return handle
