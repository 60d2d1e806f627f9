"""Which database failures are the platform's (retry, 503) and which the request's."""

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from usmkit.db import is_transient


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def dbapi_error(orig: Exception) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", None, orig)


@pytest.mark.parametrize(
    "sqlstate",
    ["57P01", "57P02", "57P03", "08006", "08001", "53300"],
)
def test_a_server_going_away_is_transient(sqlstate: str) -> None:
    assert is_transient(dbapi_error(DriverError(sqlstate)))


@pytest.mark.parametrize("sqlstate", ["22021", "23505", "42P01", "40001"])
def test_the_requests_own_faults_are_not(sqlstate: str) -> None:
    assert not is_transient(dbapi_error(DriverError(sqlstate)))


def test_a_broken_asyncpg_connection_is_transient() -> None:
    wrapped = DriverError("")
    wrapped.__cause__ = asyncpg.exceptions.InternalClientError("cannot switch to state 12")
    assert is_transient(dbapi_error(wrapped))
    assert is_transient(asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(ValueError("bad input"))
