"""Missions in the states the authorization table needs, and its callers.

Everything is set up through the gateway's HTTP API, as a person would: two
approved missions abroad with their evaluation links and an open report
deposit, and two missions waiting for their company. Each mission carries a
marker in its description, so that a response body showing a mission to
someone who may not see it is found by searching for the marker.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from pypdf import PdfWriter

from tests.e2e.journey import (
    ABROAD,
    CAREER_SERVICE,
    TUTORS,
    Journey,
    approve,
    company_completes,
    send_to_company,
    start_mission,
)
from tests.harness.campus import RunningCampus, User, wait_for, wait_for_email

ADMIN = "admin@ecole-campus.fr"
# The deposit of ABROAD (ends 2027-08-27) opens one month before the end,
# and the supervisor's evaluation link is emailed the same morning.
DEPOSIT_OPEN = dt.datetime(2027, 7, 27, 6, 1, tzinfo=dt.UTC)
COMPLETION = "company_completion"
EVALUATION = "company_evaluation"

CALLERS = (
    "anonymous",
    "student",
    "other_student",
    "tutor",
    "other_tutor",
    "career_service",
    "admin",
    "link",
    "other_mission_link",
    "expired_link",
    "other_purpose_link",
)
LINK_CALLERS = CALLERS[7:]
# A path's {token} for callers that hold no link: a session is no link.
NO_LINK = "not-a-link"


def blank_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Fixture:
    """One mission of the world, with what a test needs to reach it."""

    journey: Journey
    marker: str
    links: dict[str, str] = field(default_factory=dict)
    file_id: str = ""

    @property
    def mission_id(self) -> str:
        return self.journey.mission_id


@dataclass
class World:
    campus: RunningCampus
    secret: str
    approved: Fixture
    other_approved: Fixture
    sent: Fixture
    other_sent: Fixture
    users: dict[str, User]
    emails: dict[str, str]
    people: dict[str, set[str]] = field(default_factory=dict)

    def fixtures(self) -> list[Fixture]:
        return [self.approved, self.other_approved, self.sent, self.other_sent]

    def visible_markers(self, caller: str, purpose: str | None) -> set[str]:
        """Markers of the missions this caller may see, by the product's rule.

        A link shows its own mission, and only on the company paths of its
        `purpose`; elsewhere its holder is anonymous.
        """
        if caller in LINK_CALLERS:
            return self._linked_markers(caller, purpose)
        if caller in ("career_service", "admin"):
            return {f.marker for f in self.fixtures()}
        email = self.emails.get(caller)
        if email is None:
            return set()
        return {marker for marker, people in self._people().items() if email in people}

    def _people(self) -> dict[str, set[str]]:
        """The student and the tutor of each mission, by its marker."""
        if not self.people:
            for fixture in self.fixtures():
                mission = fixture.journey.mission()
                tutor = (mission.get("tutor") or {}).get("email")
                people = {mission["student"]["email"], tutor}
                self.people[fixture.marker] = {p for p in people if p}
        return self.people

    def _linked_markers(self, caller: str, purpose: str | None) -> set[str]:
        if purpose is None or caller not in ("link", "other_mission_link"):
            return set()
        own = caller == "link"
        if purpose == COMPLETION:
            return {(self.sent if own else self.other_sent).marker}
        return {(self.approved if own else self.other_approved).marker}


def _marked_mission(campus: RunningCampus) -> tuple[Journey, str]:
    journey = start_mission(campus, ABROAD)
    marker = f"leak-marker-{uuid.uuid4().hex[:12]}"
    saved = journey.student.put(
        f"/missions/{journey.mission_id}/sections/mission",
        {"description": f"Mission surveillée {marker}."},
    )
    assert saved.status_code == 200, saved.text
    return journey, marker


def _upload_insurance(journey: Journey) -> str:
    uploaded = journey.student.post(
        f"/missions/{journey.mission_id}/insurance",
        files={"file": ("assurance.pdf", blank_pdf("assurance"), "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id: str = uploaded.json()["id"]
    return file_id


def _sent(campus: RunningCampus) -> Fixture:
    journey, marker = _marked_mission(campus)
    token = send_to_company(journey)
    fixture = Fixture(journey, marker, {COMPLETION: token})
    fixture.file_id = _upload_insurance(journey)
    return fixture


def _approved(campus: RunningCampus) -> Fixture:
    journey, marker = _marked_mission(campus)
    company_completes(journey, send_to_company(journey))
    approve(journey)
    fixture = Fixture(journey, marker)
    fixture.file_id = _upload_insurance(journey)
    return fixture


def _evaluation_link(campus: RunningCampus, fixture: Fixture) -> None:
    # A supervisor abroad is written to in English, "Evaluation of ...".
    email = wait_for_email(campus, fixture.journey.supervisor_email, "valuation")
    match = re.search(r"/company/evaluation/([A-Za-z0-9._-]+)", email["text"])
    assert match is not None, email["text"]
    fixture.links[EVALUATION] = match.group(1)


def _report(campus: RunningCampus, fixture: Fixture) -> None:
    def deposited() -> bool:
        response = fixture.journey.student.post(
            f"/missions/{fixture.mission_id}/report",
            files={"file": ("rapport.pdf", blank_pdf("rapport"), "application/pdf")},
        )
        return response.status_code == 201

    wait_for(deposited, "the report deposit to open")


def move_clock(campus: RunningCampus, moment: dt.datetime) -> None:
    response = httpx.put(
        f"{campus.base_url}/api/v1/dev/clock",
        json={"now": moment.isoformat()},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def link_claims(token: str, secret: str) -> dict[str, Any]:
    payload: dict[str, Any] = URLSafeTimedSerializer(secret, salt="campus.link").loads(
        token
    )
    return payload


class _PastSigner(TimestampSigner):
    """Sign as if it were 400 days ago, past every link's lifetime."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 400 * 86400


def forge_link(
    secret: str, mission_id: str, purpose: str, round_: int, expired: bool = False
) -> str:
    """Sign a link as Campus does: a real signature, for the test's own Campus."""
    serializer = URLSafeTimedSerializer(
        secret,
        salt="campus.link",
        signer=_PastSigner if expired else TimestampSigner,
    )
    token: str = serializer.dumps({"m": mission_id, "p": purpose, "r": round_})
    return token


def caller_token(world: World, caller: str, purpose: str) -> str:
    """The {token} of a company path for a caller, on the mission of `purpose`."""
    this = world.sent if purpose == COMPLETION else world.approved
    other = world.other_sent if purpose == COMPLETION else world.other_approved
    if caller not in LINK_CALLERS:
        return NO_LINK
    if caller == "link":
        return this.links[purpose]
    if caller == "other_mission_link":
        return other.links[purpose]
    round_ = link_claims(this.links[purpose], world.secret)["r"]
    if caller == "expired_link":
        return forge_link(world.secret, this.mission_id, purpose, round_, True)
    wrong = EVALUATION if purpose == COMPLETION else COMPLETION
    return forge_link(world.secret, this.mission_id, wrong, round_)


def build_world(campus: RunningCampus, secret: str) -> World:
    approved = _approved(campus)
    other_approved = _approved(campus)
    sent = _sent(campus)
    other_sent = _sent(campus)
    move_clock(campus, DEPOSIT_OPEN)
    for fixture in (approved, other_approved):
        _evaluation_link(campus, fixture)
    _report(campus, approved)
    tutor = approved.journey.mission()["tutor"]["email"]
    emails = {
        "student": approved.journey.student.email,
        "other_student": other_approved.journey.student.email,
        "tutor": tutor,
        "other_tutor": next(t for t in TUTORS if t != tutor),
        "career_service": CAREER_SERVICE,
        "admin": ADMIN,
    }
    users = {caller: User(campus, email) for caller, email in emails.items()}
    for caller in ("anonymous", *LINK_CALLERS):
        users[caller] = User(campus)
    return World(
        campus, secret, approved, other_approved, sent, other_sent, users, emails
    )
