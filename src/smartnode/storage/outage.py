"""Which errors mean "the database cannot be reached right now" (a restart, a failover, a
full pool), as opposed to a bug or a refused statement: the edges answer those with 503 and
Retry-After, and the worker's lanes simply try again on their next round."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: Seconds a client is asked to wait before it retries while the database is away.
RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException) -> bool:
    """True for a lost or refused database connection, a server shutting down, a pool timeout."""
    if isinstance(error, ConnectionError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    if isinstance(error, OSError):  # the driver could not connect at all
        return error.errno is not None
    return False
