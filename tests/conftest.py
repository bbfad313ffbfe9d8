"""Fixtures shared by the cross-service tests: a running Campus in each mode."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.platform.db import Database, PostgresDatabase, SqliteDatabase
from tests.harness.campus import EmbeddedCampus, RunningCampus
from tests.harness.distributed import run_postgres_script


@pytest.fixture(scope="session")
def embedded_campus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningCampus]:
    campus = EmbeddedCampus(tmp_path_factory.mktemp("embedded"))
    yield campus
    campus.stop()


@pytest.fixture(scope="session")
def distributed_campus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningCampus]:
    from tests.harness.distributed import DistributedCampus

    campus = DistributedCampus(tmp_path_factory.mktemp("distributed"))
    yield campus
    campus.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each kind Campus runs on, closed after the test."""
    if request.param == "sqlite":
        db: Database = SqliteDatabase(tmp_path / "store.db")
    else:
        name = f"store_{secrets.token_hex(4)}"
        run_postgres_script("start")
        run_postgres_script("createdb", name)
        db = PostgresDatabase(run_postgres_script("url", name).strip())
    yield db
    db.close()


@pytest.fixture(scope="session", params=["embedded", "distributed"])
def campus(request: pytest.FixtureRequest) -> RunningCampus:
    """Campus in each way it runs; the same test runs against both."""
    if request.param == "distributed":
        request.applymarker(pytest.mark.distributed)
    fixture: RunningCampus = request.getfixturevalue(f"{request.param}_campus")
    return fixture


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("campus") == "distributed":
            item.add_marker(pytest.mark.distributed)


ROOT = Path(__file__).resolve().parents[1]
