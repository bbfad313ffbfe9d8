"""A Campus of the security tests' own, with a known secret and a moved clock.

The authorization table moves the clock, empties the mailbox and guesses
links by the hundred, so it gets a Campus that no other test shares.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.harness.campus import EmbeddedCampus, RunningCampus

# High enough that the table's hundreds of refused links never reach them;
# the rate-limit tests start a Campus with low limits of their own.
GENEROUS_LIMITS = {
    "CAMPUS_SIGN_IN_RATE_LIMIT": "100000/minute",
    "CAMPUS_LINK_RATE_LIMIT": "100000/minute",
}


@pytest.fixture(scope="session")
def security_campus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmbeddedCampus]:
    secret = secrets.token_hex(32)
    env = {"CAMPUS_SECRET_KEY": secret, **GENEROUS_LIMITS}
    campus = EmbeddedCampus(tmp_path_factory.mktemp("security"), env)
    yield campus
    campus.stop()


@pytest.fixture(scope="session")
def strict_campus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmbeddedCampus]:
    """A Campus published over HTTPS, with low limits on guesses."""
    env = {
        "CAMPUS_SECRET_KEY": secrets.token_hex(32),
        "CAMPUS_PUBLIC_URL": "https://campus.ecole-campus.fr",
        "CAMPUS_SIGN_IN_RATE_LIMIT": "3/minute",
        "CAMPUS_LINK_RATE_LIMIT": "4/minute",
    }
    campus = EmbeddedCampus(tmp_path_factory.mktemp("strict"), env)
    yield campus
    campus.stop()


@pytest.fixture(scope="session")
def distributed_security_campus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningCampus]:
    from tests.harness.distributed import DistributedCampus

    campus = DistributedCampus(
        tmp_path_factory.mktemp("security-dist"), GENEROUS_LIMITS
    )
    yield campus
    campus.stop()
