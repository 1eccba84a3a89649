"""Is this exception the database being unavailable, or a bug?

A database that refuses connections, drops them, times out or (SQLite) cannot open or lock its
file is an outage: the request may succeed later, so callers get 503 with ``Retry-After``
(:class:`pathwise_shared.problems.DatabaseUnavailable`). Everything else the database reports
(a unique violation, bad SQL, a missing table) is a bug of ours and stays a 500, so it is seen and
fixed rather than retried.

Pure classification: no I/O, no driver import (asyncpg's errors are recognised by their SQLSTATE,
raw socket errors by having been raised from inside a database driver).
"""

from types import TracebackType

from sqlalchemy import exc as sa_exc

__all__ = ["is_database_unavailable"]

# SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01 admin shutdown,
# 57P02 crash shutdown, 57P03 cannot connect now (starting up, recovering), 53300 too many
# connections.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_NOT_ACCEPTING = ("55000", "is not currently accepting connections")
# SQLite: the file (or its directory) is gone or unreadable, or another writer held the lock
# past the busy timeout (the engine sets one, so this is not a momentary clash).
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "database is locked",
    "disk i/o error",
)
# Errors that say our SQL or our data is wrong: never an outage, whatever they wrap.
_BUGS = (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError, sa_exc.NotSupportedError)
_DRIVER_MODULES = ("sqlalchemy.", "asyncpg", "aiosqlite", "sqlite3", "psycopg")
_MAX_CHAIN = 8


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) says the database cannot be reached right now."""
    if isinstance(exc, BaseExceptionGroup):
        # Only when every part is an outage: a bug next to an outage must still be seen as one.
        return bool(exc.exceptions) and all(is_database_unavailable(e) for e in exc.exceptions)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        verdict = _verdict(current, raised_by_driver=_raised_by_driver(current.__traceback__))
        if verdict is not None:
            return verdict
        current = current.__cause__ or current.__context__
    return False


def _verdict(exc: BaseException, *, raised_by_driver: bool) -> bool | None:
    """True (outage), False (a bug, stop looking) or None (look at what it wraps)."""
    if isinstance(exc, _BUGS):
        return False
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if _sqlstate_unavailable(exc.orig):
            return True  # whatever class SQLAlchemy gave it (a bare DBAPIError for 55000)
        if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            if _sqlite_unavailable(exc.orig):
                return True
            return None  # asyncpg's own error (or a socket error) may be the cause
        return False
    if _sqlstate_unavailable(exc):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__name__ == "gaierror":
        # A refused connection, a reset, a connect timeout, an unknown host: an outage when the
        # driver raised it (asyncpg lets them through unwrapped); elsewhere it is not ours to say.
        return raised_by_driver
    return None


def _sqlstate_unavailable(exc: BaseException | None) -> bool:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if not isinstance(code, str):
        return False
    if code == _NOT_ACCEPTING[0]:
        # 55000 is a broad class; only "database … is not currently accepting connections" (an
        # operator closed it, or it is being dropped or restored) is an outage.
        return _NOT_ACCEPTING[1] in str(exc)
    return code.startswith(_UNAVAILABLE_SQLSTATE_CLASSES) or code in _UNAVAILABLE_SQLSTATES


def _sqlite_unavailable(exc: BaseException | None) -> bool:
    if exc is None or type(exc).__module__ not in {"sqlite3", "aiosqlite"}:
        return False
    message = str(exc).lower()
    return any(text in message for text in _SQLITE_UNAVAILABLE)


def _raised_by_driver(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False
