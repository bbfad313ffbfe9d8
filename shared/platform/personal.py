"""Personal data in events, sealed with a key per person that erasure destroys.

Events are never edited or deleted, so a person's data cannot be cut out of
them. Instead each personal value (see `shared/events/personal.py`) is
encrypted with AES-256-GCM under a key that belongs to one person before the
event is stored or published, and decrypted when it is read. Erasing the
person destroys the key: every copy of the value, in the store, on the log
and in backups of either, can then no longer be read, and reading gives
`ERASED` in its place while the event's type, dates and ids stay as they were.

A sealed value is the string `pd1:<person id>:<base64url of nonce and
ciphertext>`, whose plaintext is the value in JSON. The prefix marks sealed
values, so events written before encryption, whose values are plain, are
still read as they are.

The keys live in `KeyStore`, a small database (`keys.db`, or the PostgreSQL
database named `keys`) that every service opens. It stands in for a key
management service. A person is a random id: emails point to it, so a person
may have several addresses, and the same address may point to several ids.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.events.base import EventEnvelope
from shared.events.personal import Role, personal_fields
from shared.platform.db import Database, Transaction, schema_transaction
from shared.platform.eventlog import BatchHandler

log = structlog.get_logger()

PREFIX = "pd1:"
ERASED = "[erased]"
_TOKEN = re.compile(r"^pd1:([0-9a-f-]{36}):([A-Za-z0-9_-]+={0,2})$")
_NONCE_BYTES = 12


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


@dataclass(frozen=True)
class Erasure:
    """The people one erasure destroyed the keys of, and their roles per mission."""

    person_ids: list[str]
    missions: dict[str, list[str]] = field(default_factory=dict)


class KeyStore:
    """The key of each person, the emails that point to them, and their missions."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with schema_transaction(database) as tx:
            tx.execute(
                """CREATE TABLE IF NOT EXISTS person_keys (
                    person_id TEXT PRIMARY KEY, key_material TEXT,
                    created_at TEXT NOT NULL, erased_at TEXT)"""
            )
            tx.execute(
                """CREATE TABLE IF NOT EXISTS person_emails (
                    email TEXT NOT NULL, person_id TEXT NOT NULL,
                    PRIMARY KEY (email, person_id))"""
            )
            tx.execute(
                """CREATE TABLE IF NOT EXISTS mission_people (
                    mission_id TEXT NOT NULL, role TEXT NOT NULL,
                    person_id TEXT NOT NULL, is_current INTEGER NOT NULL,
                    PRIMARY KEY (mission_id, role, person_id))"""
            )

    # People and their emails

    @staticmethod
    def _new_person(tx: Transaction, email: str | None) -> str:
        person_id = str(uuid.uuid4())
        key = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
        tx.execute(
            "INSERT INTO person_keys (person_id, key_material, created_at) "
            "VALUES (?, ?, ?)",
            (person_id, key, _now()),
        )
        if email:
            KeyStore._link(tx, person_id, email)
        return person_id

    @staticmethod
    def _link(tx: Transaction, person_id: str, email: str) -> None:
        tx.execute(
            "INSERT INTO person_emails (email, person_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (normalise_email(email), person_id),
        )

    @staticmethod
    def _live_person(tx: Transaction, email: str) -> str | None:
        row = tx.fetchone(
            "SELECT k.person_id FROM person_emails e JOIN person_keys k "
            "ON k.person_id = e.person_id WHERE e.email = ? "
            "AND k.key_material IS NOT NULL ORDER BY k.created_at, k.person_id "
            "LIMIT 1",
            (normalise_email(email),),
        )
        return str(row["person_id"]) if row else None

    def person_for_email(self, email: str) -> str:
        """Return the person an email points to, creating one the first time."""
        with self.database.transaction() as tx:
            return self._live_person(tx, email) or self._new_person(tx, email)

    def people_for_email(self, email: str) -> list[str]:
        """Return every person, not erased, that an email points to."""
        with self.database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT k.person_id FROM person_emails e JOIN person_keys k "
                "ON k.person_id = e.person_id WHERE e.email = ? "
                "AND k.key_material IS NOT NULL ORDER BY k.person_id",
                (normalise_email(email),),
            )
        return [str(row["person_id"]) for row in rows]

    def emails_of(self, person_ids: Sequence[str]) -> list[str]:
        if not person_ids:
            return []
        with self.database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT DISTINCT email FROM person_emails WHERE person_id IN "
                f"({_placeholders(len(person_ids))}) ORDER BY email",
                tuple(person_ids),
            )
        return [str(row["email"]) for row in rows]

    # The people of each mission

    def mission_person(
        self, mission_id: str, role: str, email: str | None, start: bool
    ) -> str:
        """Return the person who has `role` in a mission.

        `start` makes the person of `email` the role's holder from now on (a
        mission created, a tutor assigned, a new supervisor). Otherwise the
        current holder stays, and a new `email` is added to their addresses
        (a student correcting the supervisor's address before sending).
        """
        with self.database.transaction() as tx:
            row = tx.fetchone(
                "SELECT person_id FROM mission_people WHERE mission_id = ? "
                "AND role = ? AND is_current = 1",
                (mission_id, role),
            )
            current = str(row["person_id"]) if row else None
            if current is not None and not start:
                if email:
                    self._link(tx, current, email)
                return current
            if email:
                person_id = self._live_person(tx, email) or self._new_person(tx, email)
            else:
                person_id = self._new_person(tx, None)
            if person_id == current:
                return current
            tx.execute(
                "UPDATE mission_people SET is_current = 0 "
                "WHERE mission_id = ? AND role = ?",
                (mission_id, role),
            )
            tx.execute(
                "INSERT INTO mission_people (mission_id, role, person_id, is_current) "
                "VALUES (?, ?, ?, 1) ON CONFLICT (mission_id, role, person_id) "
                "DO UPDATE SET is_current = 1",
                (mission_id, role, person_id),
            )
            return person_id

    def missions_of(self, person_ids: Sequence[str]) -> dict[str, list[str]]:
        """Return, per mission, the roles these people have or had in it."""
        if not person_ids:
            return {}
        with self.database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT DISTINCT mission_id, role FROM mission_people WHERE "
                f"person_id IN ({_placeholders(len(person_ids))}) "
                "ORDER BY mission_id, role",
                tuple(person_ids),
            )
        missions: dict[str, list[str]] = {}
        for row in rows:
            missions.setdefault(str(row["mission_id"]), []).append(str(row["role"]))
        return missions

    # Keys

    def keys_for(self, person_ids: Iterable[str]) -> dict[str, bytes | None]:
        """Return each person's key, or None for an erased or unknown person."""
        wanted = sorted(set(person_ids))
        if not wanted:
            return {}
        with self.database.read() as tx:
            rows = tx.fetchall(
                "SELECT person_id, key_material FROM person_keys WHERE person_id IN "
                f"({_placeholders(len(wanted))})",
                tuple(wanted),
            )
        found = {
            str(row["person_id"]): (
                base64.b64decode(row["key_material"]) if row["key_material"] else None
            )
            for row in rows
        }
        return {person_id: found.get(person_id) for person_id in wanted}

    def people_of_missions(
        self, mission_ids: Sequence[str], roles: Sequence[str]
    ) -> set[str]:
        """Return the people, not erased, who have or had `roles` in the missions."""
        if not mission_ids or not roles:
            return set()
        with self.database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT DISTINCT m.person_id FROM mission_people m JOIN person_keys k "
                "ON k.person_id = m.person_id WHERE k.key_material IS NOT NULL AND "
                f"m.mission_id IN ({_placeholders(len(mission_ids))}) AND "
                f"m.role IN ({_placeholders(len(roles))})",
                (*mission_ids, *roles),
            )
        return {str(row["person_id"]) for row in rows}

    def erase(self, email: str) -> Erasure:
        """Destroy the keys of every person the email points to, and their emails."""
        return self.erase_people(self.people_for_email(email))

    def erase_people(self, person_ids: Sequence[str]) -> Erasure:
        """Destroy these people's keys and forget their emails."""
        person_ids = sorted(set(person_ids))
        missions = self.missions_of(person_ids)
        if person_ids:
            marks = _placeholders(len(person_ids))
            with self.database.transaction() as tx:
                tx.execute(
                    "UPDATE person_keys SET key_material = NULL, erased_at = ? "
                    f"WHERE person_id IN ({marks})",
                    (_now(), *person_ids),
                )
                tx.execute(
                    f"DELETE FROM person_emails WHERE person_id IN ({marks})",
                    tuple(person_ids),
                )
        return Erasure(person_ids=person_ids, missions=missions)


def _mission_of(envelope: EventEnvelope) -> str | None:
    if envelope.aggregate_type == "mission":
        return envelope.aggregate_id
    mission_id = envelope.data.get("mission_id")
    return mission_id if isinstance(mission_id, str) else None


def _map_path(value: Any, parts: Sequence[str], change: Callable[[Any], Any]) -> Any:
    """Return `value` with `change` applied at a dotted path; `*` is every item."""
    if not parts:
        return change(value) if value is not None else None
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        keys = list(value) if head == "*" else [head] if head in value else []
        return {
            key: _map_path(item, rest, change) if key in keys else item
            for key, item in value.items()
        }
    if isinstance(value, list) and head == "*":
        return [_map_path(item, rest, change) for item in value]
    return value


class _People:
    """The people of one event's mission, looked up once per role."""

    def __init__(self, keys: KeyStore, envelope: EventEnvelope) -> None:
        self._keys = keys
        self._envelope = envelope
        self._mission_id = _mission_of(envelope)
        self._found: dict[str, str] = {}
        self._by_email: dict[str, str] = {}
        self._key_of: dict[str, bytes | None] = {}

    def for_email(self, email: str) -> str:
        """Return the person of an email, asking the key store once per event."""
        if email not in self._by_email:
            self._by_email[email] = self._keys.person_for_email(email)
        return self._by_email[email]

    def key(self, person_id: str) -> bytes | None:
        if person_id not in self._key_of:
            self._key_of[person_id] = self._keys.keys_for([person_id])[person_id]
        return self._key_of[person_id]

    def _hint(self, role: str) -> tuple[str | None, bool]:
        """Return the role's email given in this event, and whether it starts it."""
        data, kind = self._envelope.data, self._envelope.event_type
        if role == "student":
            email = data.get("student_email")
            if kind == "SectionSaved" and data.get("section") == "student":
                email = (data.get("fields") or {}).get("email")
            return _text(email), kind == "MissionCreated"
        if role == "tutor":
            return _text(data.get("tutor_email")), kind == "TutorAssigned"
        email = data.get("supervisor_email")
        if kind == "SectionSaved" and data.get("section") == "supervisor":
            email = (data.get("fields") or {}).get("email")
        replaced = kind == "SupervisorChanged" and bool(data.get("email_changed"))
        return _text(email), replaced

    def person(self, role: Role, value: Any) -> str | None:
        if role == "email":
            email = _text(value)
            return self.for_email(email) if email else None
        if role not in self._found:
            email, start = self._hint(role)
            if self._mission_id is None:
                self._found[role] = (
                    self.for_email(email)
                    if email
                    else self._keys.mission_person(
                        f"event-{self._envelope.event_id}", role, None, True
                    )
                )
            else:
                self._found[role] = self._keys.mission_person(
                    self._mission_id, role, email, start
                )
        return self._found[role]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


class Sealer:
    """Seal personal values before they are stored, unseal them when read."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    # Sealing

    def seal(self, envelope: EventEnvelope) -> EventEnvelope:
        fields = personal_fields(envelope.event_type, envelope.data)
        if not fields and envelope.actor is None:
            return envelope
        people = _People(self.keys, envelope)
        data: Any = copy.deepcopy(envelope.data)
        for path, role in fields.items():
            data = _map_path(data, path.split("."), self._sealing(people, role))
        actor = envelope.actor
        if actor and not actor.startswith(PREFIX):
            actor = self._encrypt(people, people.for_email(actor), actor)
        return envelope.model_copy(update={"data": data, "actor": actor})

    def _sealing(self, people: _People, role: Role) -> Callable[[Any], Any]:
        def seal_one(value: Any) -> Any:
            if isinstance(value, str) and _TOKEN.match(value):
                return value
            owner = people.person(role, value)
            return value if owner is None else self._encrypt(people, owner, value)

        return seal_one

    @staticmethod
    def _encrypt(people: _People, person_id: str, value: Any) -> str:
        key = people.key(person_id)
        if key is None:
            # The person was erased meanwhile: nothing of theirs is kept.
            return ERASED
        nonce = os.urandom(_NONCE_BYTES)
        plaintext = json.dumps(value, ensure_ascii=False).encode()
        sealed = AESGCM(key).encrypt(nonce, plaintext, person_id.encode())
        blob = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{PREFIX}{person_id}:{blob}"

    # Unsealing

    def unseal(self, envelopes: Sequence[EventEnvelope]) -> list[EventEnvelope]:
        """Return the envelopes with personal values in clear, or `ERASED`."""
        person_ids: set[str] = set()
        for envelope in envelopes:
            _collect(envelope.actor, person_ids)
            _collect(envelope.data, person_ids)
        if not person_ids:
            return list(envelopes)
        keys = self.keys.keys_for(person_ids)
        return [
            envelope.model_copy(
                update={
                    "actor": _open(envelope.actor, keys),
                    "data": _open(envelope.data, keys),
                }
            )
            for envelope in envelopes
        ]

    def unseal_one(self, envelope: EventEnvelope) -> EventEnvelope:
        return self.unseal([envelope])[0]


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        match = _TOKEN.match(value)
        if match:
            found.add(match.group(1))
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _open(value: Any, keys: dict[str, bytes | None]) -> Any:
    if isinstance(value, str):
        match = _TOKEN.match(value)
        if match is None:
            return value
        key = keys.get(match.group(1))
        if key is None:
            return ERASED
        try:
            blob = base64.urlsafe_b64decode(match.group(2))
            plaintext = AESGCM(key).decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], match.group(1).encode()
            )
        except (InvalidTag, ValueError, binascii.Error):
            log.warning("personal.unreadable_value", person_id=match.group(1))
            return ERASED
        return json.loads(plaintext)
    if isinstance(value, dict):
        return {name: _open(item, keys) for name, item in value.items()}
    if isinstance(value, list):
        return [_open(item, keys) for item in value]
    return value


def unsealing(
    sealer: Sealer | None, handler: Callable[[EventEnvelope], Awaitable[None]]
) -> Callable[[EventEnvelope], Awaitable[None]]:
    """Wrap a consumer's handler so that it receives events with values in clear.

    A batch handler stays a batch handler, which unseals each batch with one
    key lookup.
    """
    if sealer is None:
        return handler
    if isinstance(handler, BatchHandler):
        return _UnsealingBatches(sealer, handler)

    async def handle(envelope: EventEnvelope) -> None:
        await handler(await asyncio.to_thread(sealer.unseal_one, envelope))

    return handle


class _UnsealingBatches:
    def __init__(self, sealer: Sealer, handler: BatchHandler) -> None:
        self._sealer = sealer
        self._handler = handler

    async def __call__(self, envelope: EventEnvelope) -> None:
        await self._handler(await asyncio.to_thread(self._sealer.unseal_one, envelope))

    async def handle_batch(self, envelopes: Sequence[EventEnvelope]) -> None:
        clear = await asyncio.to_thread(self._sealer.unseal, envelopes)
        await self._handler.handle_batch(clear)


# Opening whole stored envelopes as JSON text. A sealed value is always a
# whole JSON string whose characters need no escaping. So it can be found and
# replaced in the text before the envelope is parsed, in one pass of a
# regular expression instead of a walk through every value of every event. The
# expression starts with a literal, which `re` searches for quickly; a match
# whose quote is escaped lies inside another string and is left alone.
_SEALED_STRING = re.compile(r'"pd1:([0-9a-f-]{36}):([A-Za-z0-9_-]+={0,2})"')
_ERASED_JSON = json.dumps(ERASED)
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _open_string(match: re.Match[str], ciphers: dict[str, AESGCM | None]) -> str:
    person_id = match.group(1)
    cipher = ciphers.get(person_id)
    if cipher is None:
        return _ERASED_JSON
    try:
        blob = binascii.a2b_base64(match.group(2).encode().translate(_FROM_URLSAFE))
        plaintext = cipher.decrypt(
            blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], person_id.encode()
        )
    except (InvalidTag, ValueError, binascii.Error):
        log.warning("personal.unreadable_value", person_id=person_id)
        return _ERASED_JSON
    return plaintext.decode()


def open_texts(keys: KeyStore, texts: Sequence[str]) -> list[str]:
    """Return stored envelopes' JSON texts with their personal values in clear.

    The same values as `Sealer.unseal` gives, with one key-store read for
    all the texts; a rebuild reads its batches this way.
    """
    found: list[list[re.Match[str]]] = []
    person_ids: set[str] = set()
    for text in texts:
        matches = [
            match
            for match in _SEALED_STRING.finditer(text)
            # A quote escaped inside another string starts no value.
            if match.start() == 0 or text[match.start() - 1] != "\\"
        ]
        person_ids.update(match.group(1) for match in matches)
        found.append(matches)
    if not person_ids:
        return list(texts)
    ciphers = {
        person_id: AESGCM(key) if key is not None else None
        for person_id, key in keys.keys_for(person_ids).items()
    }
    opened = []
    for text, matches in zip(texts, found, strict=True):
        parts: list[str] = []
        last = 0
        for match in matches:
            parts += (text[last : match.start()], _open_string(match, ciphers))
            last = match.end()
        parts.append(text[last:])
        opened.append("".join(parts))
    return opened
