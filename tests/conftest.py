"""Fixtures shared by the cross-service tests: a running Campus in each mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.campus import EmbeddedCampus, RunningCampus


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
