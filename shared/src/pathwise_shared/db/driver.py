"""Hot statements on the driver itself: a Core statement compiled once, run on PostgreSQL through
the session's own asyncpg connection.

Why: on the hottest paths (a profile read, an answer) SQLAlchemy's work around each statement
(the execution context, the cursor adapter, its lock and greenlet hop, the result wrapping) costs
about as much CPU as the driver's. Measured on one connection (``python -m bench driver``,
docs/benchmarks.md "Fifth pass"), the profile read's statement took 0.22 to 0.29 ms of the client's
CPU through ``AsyncConnection.execute`` and 0.16 to 0.19 ms as a ``HotStatement``. So a statement
that runs on every request is written once, as Core, and :class:`HotStatement` runs it:

- **PostgreSQL**: compiled once (``$n`` parameters, the types' bind and result processors looked
  up once), then ``fetch`` on the driver connection underneath the session, in the session's own
  transaction (begun first if the session has not sent its ``BEGIN`` yet, as SQLAlchemy's own
  cursor does). The engine's ``before_cursor_execute`` listeners still see the statement (the
  read-only guard, the tests' statement counts), and a driver error comes out as the same
  ``sqlalchemy.exc`` error the session would raise (a lost connection also invalidates it, so
  the pool drops it).
- **SQLite** (and any other dialect): the ordinary ``execute``; the embedded default is not the
  one a district runs under load, and one code path per backend would be two to test.

Both give the rows as mappings by column name or as tuples. Refused when first compiled: expanding
(``IN``) parameters (the SQL changes with the list's length) and an insert or update that leaves
a column with a Python-side default to SQLAlchemy (it would be written as NULL): name every
column.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["HotStatement"]

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # The parameters in ``$n`` order, each with its type's bind processor (or None).
    binds: tuple[tuple[str, Processor | None], ...]
    compiled: Any
    # Result columns that need a processor (a zone restored, a type decorator): (position,
    # processor). Known after the first run: a processor may depend on the server's column type.
    results: tuple[tuple[int, Processor], ...] | None = None


async def _connection(target: AsyncSession | AsyncConnection) -> AsyncConnection:
    """The session's connection in its transaction, pending ORM changes flushed first (as the
    session's own ``execute`` would: the statements and their locks stay in order)."""
    if isinstance(target, AsyncConnection):
        return target
    if target.new or target.dirty or target.deleted:
        await target.flush()
    return await target.connection()


class HotStatement:
    """A Core statement that runs on every request of a hot path (see the module's docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        assert isinstance(compiled, SQLCompiler)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("a hot statement cannot have expanding parameters")
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Python-side defaults are computed by SQLAlchemy's execution context, which the
            # driver path skips: the column would be written as NULL.
            columns = [c.name for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
            raise ValueError(f"a hot statement must name every column with a default: {columns}")
        order = compiled.positiontup or ()
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in order
        )
        return _Compiled(compiled.string, binds, compiled)

    def _result_processors(self, dialect: Dialect, oids: Sequence[int]) -> None:
        assert self._compiled is not None
        results: list[tuple[int, Processor]] = []
        types = [entry[3] for entry in self._compiled.compiled._result_columns]
        if not types:
            # A textual statement declares no columns: nothing to process.
            types = [None] * len(oids)
        for position, (type_, oid) in enumerate(zip(types, oids, strict=True)):
            if type_ is None:
                continue
            proc = type_.dialect_impl(dialect).result_processor(dialect, oid)
            if proc is not None:
                results.append((position, proc))
        self._compiled = replace(self._compiled, results=tuple(results))

    async def mappings(
        self, target: AsyncSession | AsyncConnection, params: Mapping[str, Any]
    ) -> Sequence[Mapping[Any, Any]]:
        """The statement's rows as mappings (column name → value); ``[]`` for a statement that
        returns none."""
        conn = await _connection(target)
        if conn.dialect.name != "postgresql":
            result = await conn.execute(self.statement, dict(params))
            return result.mappings().all() if result.returns_rows else []
        keys, rows = await self._run(conn, params)
        return [dict(zip(keys, row, strict=True)) for row in rows]

    async def rows(
        self, target: AsyncSession | AsyncConnection, params: Mapping[str, Any]
    ) -> Sequence[Sequence[Any]]:
        """The statement's rows as tuples, in the order of its columns."""
        conn = await _connection(target)
        if conn.dialect.name != "postgresql":
            result = await conn.execute(self.statement, dict(params))
            return [tuple(row) for row in result] if result.returns_rows else []
        return (await self._run(conn, params))[1]

    async def execute(
        self, target: AsyncSession | AsyncConnection, params: Mapping[str, Any]
    ) -> None:
        """Run a statement that returns no rows (an insert, an update)."""
        conn = await _connection(target)
        if conn.dialect.name != "postgresql":
            await conn.execute(self.statement, dict(params))
            return
        await self._run(conn, params)

    async def execute_many(
        self, target: AsyncSession | AsyncConnection, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Run a statement that returns no rows once per parameter set, in one round trip
        (asyncpg's ``executemany``; SQLAlchemy's batched execution on SQLite)."""
        if not rows:
            return
        conn = await _connection(target)
        if conn.dialect.name != "postgresql":
            await conn.execute(self.statement, [dict(r) for r in rows])
            return
        c = self._compiled_for(conn)
        many = [self._args(c, r) for r in rows]
        fairy = await self._announce_and_connect(conn, c.sql, many, True)
        adapted: Any = fairy.dbapi_connection
        try:
            await self._begin(adapted)
            driver: Any = fairy.driver_connection
            await driver.executemany(c.sql, many)
        except Exception as error:
            await self._raise_as_sqlalchemy(conn, adapted, c.sql, many, error)

    def _compiled_for(self, conn: AsyncConnection) -> _Compiled:
        if self._compiled is None:
            self._compiled = self._compile(conn.dialect)
        return self._compiled

    @staticmethod
    def _args(c: _Compiled, params: Mapping[str, Any]) -> list[Any]:
        full = c.compiled.construct_params(params)
        return [full[name] if proc is None else proc(full[name]) for name, proc in c.binds]

    @staticmethod
    async def _announce_and_connect(conn: AsyncConnection, sql: str, args: Any, many: bool) -> Any:
        """The engine's ``before_cursor_execute`` listeners see the statement (the read-only
        guards, the tests' counts); then the pool's connection record, whose driver we use."""
        sync = conn.sync_connection
        assert sync is not None
        for listener in sync.dispatch.before_cursor_execute:
            listener(sync, None, sql, args, None, many)
        return await conn.get_raw_connection()

    @staticmethod
    async def _begin(adapted: Any) -> None:
        # SQLAlchemy's asyncpg cursor begins the transaction on a connection's first statement
        # (``BEGIN`` is lazy); so must a statement that goes around it.
        if adapted._transaction is None and adapted.isolation_level != "autocommit":
            await adapted._start_transaction()

    async def _run(
        self, conn: AsyncConnection, params: Mapping[str, Any]
    ) -> tuple[list[str], list[list[Any]]]:
        c = self._compiled_for(conn)
        args = self._args(c, params)
        fairy = await self._announce_and_connect(conn, c.sql, args, False)
        adapted: Any = fairy.dbapi_connection
        try:
            await self._begin(adapted)
            driver: Any = fairy.driver_connection
            if c.results is None:
                prepared = await driver.prepare(c.sql)
                self._result_processors(
                    conn.dialect, [a.type.oid for a in prepared.get_attributes()]
                )
                records = await prepared.fetch(*args)
            else:
                records = await driver.fetch(c.sql, *args)
        except Exception as error:
            await self._raise_as_sqlalchemy(conn, adapted, c.sql, args, error)
        processors = self._compiled_for(conn).results
        assert processors is not None
        rows = [list(record.values()) for record in records]
        for position, proc in processors:
            for row in rows:
                row[position] = proc(row[position])
        return (list(records[0].keys()) if records else []), rows

    @staticmethod
    async def _raise_as_sqlalchemy(
        conn: AsyncConnection, adapted: Any, sql: str, args: Any, error: Exception
    ) -> NoReturn:
        """The error the session would have raised: the driver's error in its DB-API form
        (``IntegrityError``, ``OperationalError``…) wrapped as ``sqlalchemy.exc``; a lost
        connection is invalidated first."""
        dialect = conn.dialect
        try:
            adapted._handle_exception(error)
        except dialect.loaded_dbapi.Error as dbapi_error:  # the adapter raises its DB-API form
            lost = dialect.is_disconnect(dbapi_error, adapted, None)
            if lost:
                await conn.invalidate(dbapi_error)
            raise exc.DBAPIError.instance(
                sql,
                args,
                dbapi_error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        raise error  # not reached: the adapter raises (a non-driver error as it came)
