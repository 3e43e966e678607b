"""Plain SQL for the hot path, through Django's connection (same transaction, both
backends; errors are Django's, e.g. IntegrityError). The ORM costs 0.3–0.5 ms of client
CPU per statement; these helpers cost a tenth of that, and on PostgreSQL their
statements are prepared. Use them only where a benchmark shows it matters (the order
path)."""

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

from kameng.money import from_cents, to_cents, to_money


def fetch_all(sql: str, params: list | tuple = ()) -> list[tuple]:
    return _run(sql, params, _all)


def fetch_one(sql: str, params: list | tuple = ()) -> tuple | None:
    return _run(sql, params, _one)


def execute(sql: str, params: list | tuple = ()) -> int:
    """Run a statement; returns the number of rows it changed."""
    return _run(sql, params, _rowcount)


def _all(cursor: Any) -> list[tuple]:
    return cursor.fetchall()


def _one(cursor: Any) -> tuple | None:
    return cursor.fetchone()


def _rowcount(cursor: Any) -> int:
    return cursor.rowcount


def _run(sql: str, params: list | tuple, result: Any) -> Any:
    """PostgreSQL: psycopg's own cursor on Django's connection (same transaction): the
    statement is bound and prepared as settings.DATABASES says (KAMENG_PG_PREPARE),
    without the 0.05 ms of Django's cursor wrapper per statement; one cursor per
    connection, reused. SQLite: Django's cursor (it translates the %s style).
    The connection is looked up once (each `connection.x` is a thread-local lookup)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql":
        with wrapper.cursor() as cursor, wrapper.wrap_database_errors:
            cursor.execute(sql, params)
            return result(cursor)
    if wrapper.connection is None:
        wrapper.ensure_connection()
    # Kept on Django's connection wrapper (one per thread), for its current connection.
    cursor = getattr(wrapper, "_kameng_cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not wrapper.connection:
        cursor = wrapper._kameng_cursor = wrapper.connection.cursor()
    with wrapper.wrap_database_errors:
        cursor.execute(sql, params)
        return result(cursor)


def skip_locked(table_alias: str) -> str:
    """Row-lock clause for queue-like reads: PostgreSQL skips rows other transactions
    hold. SQLite has no row locks; its single writer already serialises the work."""
    if connection.vendor == "postgresql":
        return f" FOR UPDATE OF {table_alias} SKIP LOCKED"
    return ""


def db_datetime(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def from_db_datetime(value: object) -> datetime | None:
    """A datetime column read with plain SQL: PostgreSQL returns it aware, SQLite naive
    (or as text) in UTC, which is what it stores."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def db_decimal(value: object) -> Decimal:
    """A plain numeric column (not money) as Decimal: PostgreSQL returns Decimal, SQLite
    a float or int (exact for the four decimals of a level discount; repr gives the
    shortest form)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def db_money(value: object) -> Decimal:
    """A MoneyField column read with plain SQL: numeric on PostgreSQL, cents on SQLite."""
    if connection.vendor == "sqlite":
        return from_cents(value)
    return value if isinstance(value, Decimal) else Decimal(value)


def money_param(value: Decimal) -> object:
    """An amount as a plain-SQL parameter for a MoneyField column (or to compare with one)."""
    return to_cents(value) if connection.vendor == "sqlite" else to_money(value)


@cache
def _insert_sql(model: type[Model]) -> tuple[str, list[Field]]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})", fields


def insert_statement(model: type[Model], values: dict[str, Any]) -> tuple[str, list]:
    """(sql, params) that INSERT a row of `model` with `values` (attname → value; a
    field left out gets its default; the pk is the database's): for `insert(...,
    then=...)`, a row that goes in with another one, in its statement. No model instance
    is built (the order path pays for every microsecond).

    On PostgreSQL the row travels as ONE parameter, a JSON object read back into the
    table's row type (jsonb_populate_record): psycopg parses a statement's text once and
    caches it only while the statement has at most 50 parameters, and a second row's
    twenty fields would push the order's statement past that (0.2 ms of parsing per
    order). Values are given as Python values the JSON encoder or `_json_value` can
    write and PostgreSQL reads back as the column's type (str, int, bool, None, dict,
    list, Decimal, datetime)."""
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy's look-up once, not per field
    if conn.vendor != "postgresql":
        sql, fields = _insert_sql(model)
        return sql, [
            f.get_db_prep_save(values[f.attname] if f.attname in values else f.get_default(), conn)
            for f in fields
        ]
    sql, fields = _insert_one_param_sql(model)
    row = {f.column: values[f.attname] if f.attname in values else f.get_default() for f in fields}
    return sql, [json.dumps(row, separators=(",", ":"), ensure_ascii=False, default=_json_value)]


@cache
def _insert_one_param_sql(model: type[Model]) -> tuple[str, list[Field]]:
    meta = model._meta
    _, fields = _insert_sql(model)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns}"
        f" FROM jsonb_populate_record(NULL::{table}, %s::jsonb)"
    )
    return sql, fields


def _json_value(value: object) -> object:
    """A field's value that JSON has no type for, as text PostgreSQL reads back as the
    column's type (numeric, timestamptz, uuid...)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def insert(
    instance: Model, *, then: Sequence[tuple[str, list]] = (), read_back: str = ""
) -> object:
    """INSERT one model instance and set its pk: `save()` without signals or the
    generic machinery. Each field still prepares its own value (JSON, datetimes,
    auto_now_add), and database constraints still apply.

    `then`: statements (sql, params) to run with it, written with `{id}` where the new
    row's id goes (e.g. the row's first history entries; `insert_statement` of a row
    that goes with it). PostgreSQL runs them all in one statement (data-modifying
    WITHs), one round trip; SQLite one after the other.
    `read_back`: an SQL expression evaluated by the same statement, whose value is
    returned (the order path reads the quote version so, without a round trip of its own).
    """
    sql, fields = _insert_sql(type(instance))
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy's look-up once, not per field
    params = [f.get_db_prep_save(f.pre_save(instance, True), conn) for f in fields]
    extra = f", {read_back}" if read_back else ""
    pk_column = conn.ops.quote_name(instance._meta.pk.column)
    if then and conn.vendor == "postgresql":
        dependents = "".join(
            f", dependent{n} AS ({then_sql.format(id=f'(SELECT {pk_column} FROM new)')})"
            for n, (then_sql, _) in enumerate(then)
        )
        row = fetch_one(
            f"WITH new AS ({sql} RETURNING {pk_column}){dependents}"
            f" SELECT {pk_column}{extra} FROM new",
            [*params, *(p for _, then_params in then for p in then_params)],
        )
    else:
        row = fetch_one(f"{sql} RETURNING {pk_column}{extra}", params)
        for then_sql, then_params in then:
            execute(then_sql.format(id=int(row[0])), then_params)
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return row[1] if read_back else None


def change_token_triggers(
    vendor: str, table: str, token_table: str, *, stamped: bool = False
) -> tuple[list[str], list[str]]:
    """SQL statements (create, drop) for triggers that put a new random token into row 1
    of `token_table` whenever `table` is written (insert, update, delete), in the
    writer's transaction: a cheap "something changed" signal for caches
    (agents.pricing). `stamped`: also the time of the change, as unix seconds in its
    `changed_at` (the product listing's `updated_after`). PostgreSQL: one trigger per
    statement; SQLite: per row (all it has)."""
    name = f"{table}_changes_{token_table}"
    if vendor == "postgresql":
        function = f"{name}_fn"
        columns, values, updates = _stamp(stamped, "extract(epoch from clock_timestamp())")
        create = [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {token_table} (id, token{columns})
                VALUES (1, md5(random()::text){values})
                ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token{updates};
                RETURN NULL;
            END $$""",
            f"""CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"DROP FUNCTION IF EXISTS {function}()",
        ]
        return create, drop
    events = ("insert", "update", "delete")
    columns, values, updates = _stamp(stamped, "(julianday('now') - 2440587.5) * 86400.0")
    create = [
        f"""CREATE TRIGGER {name}_{event} AFTER {event.upper()} ON {table} BEGIN
            INSERT INTO {token_table} (id, token{columns})
            VALUES (1, lower(hex(randomblob(16))){values})
            ON CONFLICT (id) DO UPDATE SET token = excluded.token{updates};
        END"""
        for event in events
    ]
    drop = [f"DROP TRIGGER IF EXISTS {name}_{event}" for event in events]
    return create, drop


def _stamp(stamped: bool, now_sql: str) -> tuple[str, str, str]:
    if not stamped:
        return "", "", ""
    return ", changed_at", f", {now_sql}", ", changed_at = excluded.changed_at"


def change_token_operation(tables: list[str], token_table: str, *, stamped: bool = False) -> Any:
    """A migration operation creating (reversed: dropping) `change_token_triggers` on
    each of `tables` (`stamped`: replacing the unstamped ones; reversed: back to them)."""
    from django.db.migrations import RunPython

    def run(schema_editor: Any, which: int) -> None:
        vendor = schema_editor.connection.vendor
        for table in tables:
            if stamped:  # the unstamped triggers first go, and come back on reversal
                for statement in change_token_triggers(vendor, table, token_table)[1]:
                    schema_editor.execute(statement)
            for statement in change_token_triggers(vendor, table, token_table, stamped=stamped)[
                which
            ]:
                schema_editor.execute(statement)
            if stamped and which == 1:
                for statement in change_token_triggers(vendor, table, token_table)[0]:
                    schema_editor.execute(statement)

    return RunPython(
        lambda apps, schema_editor: run(schema_editor, 0),
        lambda apps, schema_editor: run(schema_editor, 1),
    )
