"""Server-side sessions: the cookie carries only a random id.

Signing out revokes the id, so a copied cookie stops working at once, which
a cookie that carried the user itself could not do.
"""

from __future__ import annotations

import datetime as dt
import secrets

from shared.platform.actors import Actor
from shared.platform.db import Database, schema_transaction
from shared.platform.erasure import reclaim_database

LIFETIME = dt.timedelta(hours=12)


class SessionStore:
    def __init__(self, database: Database) -> None:
        self._database = database
        with schema_transaction(database) as tx:
            tx.execute(
                """CREATE TABLE IF NOT EXISTS sessions (
                    id TEXT PRIMARY KEY, actor TEXT NOT NULL,
                    expires_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)"""
            )

    def open(self, actor: Actor) -> str:
        session_id = secrets.token_urlsafe(32)
        expires_at = dt.datetime.now(dt.UTC) + LIFETIME
        with self._database.transaction() as tx:
            tx.execute(
                "INSERT INTO sessions (id, actor, expires_at) VALUES (?, ?, ?)",
                (session_id, actor.model_dump_json(), expires_at.isoformat()),
            )
        return session_id

    def actor(self, session_id: str) -> Actor | None:
        """Return the session's user, or None once it is revoked or expired."""
        with self._database.read() as tx:
            row = tx.fetchone(
                "SELECT actor, expires_at FROM sessions WHERE id = ? AND revoked = 0",
                (session_id,),
            )
        if row is None:
            return None
        if dt.datetime.fromisoformat(row["expires_at"]) <= dt.datetime.now(dt.UTC):
            return None
        return Actor.model_validate_json(row["actor"])

    def revoke(self, session_id: str) -> None:
        with self._database.transaction() as tx:
            tx.execute("UPDATE sessions SET revoked = 1 WHERE id = ?", (session_id,))

    def end_all_of(self, email: str) -> int:
        """Delete every session of a person, for an erasure; return how many."""
        wanted = email.strip().lower()
        with self._database.transaction() as tx:
            rows = tx.fetchall("SELECT id, actor FROM sessions")
            ids = [
                row["id"]
                for row in rows
                if Actor.model_validate_json(row["actor"]).email.lower() == wanted
            ]
            for session_id in ids:
                tx.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        reclaim_database(self._database, ["sessions"])
        return len(ids)
