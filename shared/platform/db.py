"""A thin layer over SQLite and PostgreSQL: one SQL text, two dialects.

SQL is written with `?` placeholders; the PostgreSQL connection rewrites them
to `%s`. DDL that differs between the two goes through `Database.ddl`.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

import structlog

Row = dict[str, Any]
log = structlog.get_logger()
# How long `PostgresDatabase.reclaim` waits for transactions that could still
# see the rows it removes.
RECLAIM_WAIT_SECONDS = 30.0
# Reading connections per SQLite file. Readers beyond this wait for one, as
# PostgreSQL's pool makes them wait for a connection.
MAX_SQLITE_READERS = 8


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Database(Protocol):
    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]: ...

    def transaction(self) -> AbstractContextManager[Transaction]: ...
    def read(self) -> AbstractContextManager[Transaction]:
        """Open a transaction that only reads, and may run beside a writer."""
        ...

    def close(self) -> None: ...
    def reclaim(self, tables: Sequence[str]) -> None:
        """Leave no copy of deleted or changed rows of `tables` in the files."""
        ...


class _SqliteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._connection.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(sql, [tuple(row) for row in rows])

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self._connection.execute(sql, tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [dict(row) for row in self._connection.execute(sql, tuple(params))]


class SqliteDatabase:
    """One SQLite file: one writing connection behind a lock, and readers.

    A small school's traffic fits one writer. WAL mode lets readers work
    while the writer commits (each sees the last commit made before it
    began), and lets the `rebuild` command read the file while the service
    runs.
    """

    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        return "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten rows are zeroed in the file, so that erased
        # personal data does not linger in free pages.
        self._connection.execute("PRAGMA secure_delete=ON")
        self._lock = threading.RLock()
        self._readers: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._reader_count = 0
        self._readers_lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTransaction(self._connection)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        connection = self._reader()
        try:
            connection.execute("BEGIN")
            try:
                yield _SqliteTransaction(connection)
            finally:
                connection.execute("ROLLBACK")
        finally:
            self._readers.put(connection)

    def _reader(self) -> sqlite3.Connection:
        """Take an idle reading connection, opening one while under the limit."""
        try:
            return self._readers.get_nowait()
        except queue.Empty:
            pass
        with self._readers_lock:
            opening = self._reader_count < MAX_SQLITE_READERS
            if opening:
                self._reader_count += 1
        if not opening:
            return self._readers.get()
        try:
            connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA query_only=ON")
        except BaseException:
            with self._readers_lock:
                self._reader_count -= 1
            raise
        return connection

    def close(self) -> None:
        self._connection.close()
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break

    def reclaim(self, tables: Sequence[str]) -> None:
        """Move the write-ahead log into the file and empty it.

        With `secure_delete`, the database file holds no deleted rows; the
        log still holds earlier copies of changed pages until this runs.
        """
        with self._lock:
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = self._connection.execute(self._sql(sql), tuple(params))
        return int(cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # psycopg 3 with libpq 14 or later sends the rows in pipeline mode,
        # so they cost one round trip rather than one each.
        with self._connection.cursor() as cursor:
            cursor.executemany(self._sql(sql), [tuple(row) for row in rows])

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self._connection.execute(self._sql(sql), tuple(params)).fetchone()
        return dict(row) if row is not None else None

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._connection.execute(self._sql(sql), tuple(params))
        return [dict(row) for row in cursor.fetchall()]


class PostgresDatabase:
    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        return "postgresql"

    def __init__(self, url: str, max_connections: int = 8) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.url = url
        # A short wait for a connection, so that requests fail fast (503)
        # while the server is down instead of holding the client 30 s.
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"row_factory": dict_row},
            open=True,
            timeout=5,
        )

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PostgresTransaction(connection)

    def read(self) -> AbstractContextManager[Transaction]:
        # The pool already lets readers and writers work side by side.
        return self.transaction()

    def close(self) -> None:
        self._pool.close()

    def reclaim(self, tables: Sequence[str]) -> None:
        """Rewrite the tables into new files, leaving no dead rows behind.

        VACUUM FULL writes a fresh copy and unlinks the old file, whose dead
        rows held the values before a change. It still copies a dead row that
        a transaction started earlier could see, so it first waits, up to
        `RECLAIM_WAIT_SECONDS`, until every such transaction has ended. The
        server's write-ahead log and its archives keep the old rows until
        they are recycled.
        """
        from psycopg import sql

        with self._pool.connection() as connection:
            connection.autocommit = True
            try:
                # VACUUM FULL queues behind any lock on the table and blocks
                # every reader queued after it, so it gives up after a while.
                connection.execute("SET lock_timeout = '5s'")
                self._wait_for_older_snapshots(connection)
                for table in tables:
                    connection.execute(
                        sql.SQL("VACUUM FULL {}").format(sql.Identifier(table))
                    )
            finally:
                connection.execute("RESET lock_timeout")
                connection.autocommit = False

    @staticmethod
    def _wait_for_older_snapshots(connection: Any) -> None:
        row = connection.execute(
            "SELECT txid_current() % 4294967296 AS mark"
        ).fetchone()
        mark = int(row["mark"])
        deadline = time.monotonic() + RECLAIM_WAIT_SECONDS
        while time.monotonic() < deadline:
            # NOTE: compares 32-bit transaction ids without wraparound, so
            # right after a wraparound it may wait for nothing, or in vain.
            older = connection.execute(
                "SELECT count(*) AS older FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND (backend_xmin::text::bigint < %s "
                "OR backend_xid::text::bigint < %s)",
                (mark, mark),
            ).fetchone()
            if int(older["older"]) == 0:
                return
            time.sleep(0.1)
        log.warning("database.reclaim_waited_in_vain", seconds=RECLAIM_WAIT_SECONDS)


@contextmanager
def schema_transaction(database: Database) -> Iterator[Transaction]:
    """Open a transaction for creating tables, one process at a time.

    PostgreSQL's CREATE TABLE IF NOT EXISTS fails with a unique violation when
    two processes (two replicas starting together) run it at the same moment,
    so a transaction-level advisory lock serialises them.
    """
    with database.transaction() as tx:
        if database.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(7262002)")
        yield tx


def ddl(database: Database, sqlite: str, postgresql: str) -> str:
    return sqlite if database.dialect == "sqlite" else postgresql


def open_database(
    service: str, *, data_dir: Path, database_url: str | None
) -> Database:
    """Open the database of one service: its own SQLite file or PostgreSQL database."""
    if database_url is None:
        return SqliteDatabase(data_dir / f"{service}.db")
    if "{service}" not in database_url:
        raise ValueError(
            "CAMPUS_DATABASE_URL must name the database as {service}, for example "
            "postgresql://campus@127.0.0.1/campus_{service}"
        )
    return PostgresDatabase(database_url.replace("{service}", service))
