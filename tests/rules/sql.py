# Test cases for bot/analyzers/rules/sql.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import sqlite3

import asyncpg
import pg8000.native
import psycopg
import sqlalchemy
from django.db import connection
from django.db.models.expressions import RawSQL
from psycopg import sql

TABLE = "users"


def direct(cursor, uid, name):
    # ruleid: sql-string-formatting
    cursor.execute(f"SELECT * FROM t WHERE id = {uid}")
    # ruleid: sql-string-formatting
    cursor.execute("SELECT * FROM t WHERE name = '%s'" % name)
    # ruleid: sql-string-formatting
    cursor.execute("SELECT * FROM t WHERE name = '{}'".format(name))
    # ruleid: sql-string-formatting
    cursor.execute("DELETE FROM t WHERE name = '" + name + "'")
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM t WHERE id = %s", (uid,))
    # ok: sql-string-formatting
    cursor.execute(f"SELECT * FROM {TABLE} WHERE id = %s", (uid,))
    # ok: sql-string-formatting
    cursor.execute(f"SELECT * FROM t WHERE id = {int(uid)}")
    # ok: sql-string-formatting
    cursor.execute("SELECT * FROM %s" % "users")
    # ok: sql-string-formatting
    logger.execute(f"hello {name}")


def through_a_variable(cursor, uid, name):
    query = f"SELECT * FROM t WHERE id = {uid}"
    # ruleid: sql-string-formatting
    cursor.execute(query)
    base = "SELECT * FROM t WHERE name = '%s'" % name
    extended = base + " ORDER BY id"
    # ruleid: sql-string-formatting
    cursor.executemany(extended, [])
    query = "SELECT * FROM t WHERE id = %s"
    # ok: sql-string-formatting
    cursor.execute(query, (uid,))
    built = "SELECT * FROM t WHERE a = 1"
    built += " AND name = '" + name + "'"
    # ruleid: sql-string-concatenation
    cursor.execute(built)
    query = "SELECT * FROM t WHERE id = "
    query += uid
    # ruleid: sql-string-concatenation
    cursor.execute(query)


async def drivers(uid, name, dsn):
    conn = await asyncpg.connect(dsn)
    # ruleid: sql-string-formatting
    await conn.fetch(f"SELECT * FROM t WHERE id = {uid}")
    # ruleid: sql-string-formatting
    await conn.fetchrow("SELECT * FROM t WHERE name = '%s'" % name)
    # ok: sql-string-formatting
    await conn.fetch("SELECT * FROM t WHERE id = $1", uid)
    native = pg8000.native.Connection("user")
    # ruleid: sql-string-formatting
    native.run(f"SELECT * FROM t WHERE id = {uid}")
    with psycopg.connect(dsn) as pconn:
        # ruleid: sql-string-formatting
        pconn.execute(f"UPDATE t SET name = '{name}' WHERE id = 1")
        # ok: sql-string-formatting
        pconn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(name)))
    lite = sqlite3.connect(":memory:")
    # ruleid: sql-string-formatting
    lite.executescript(f"INSERT INTO t VALUES ('{name}')")


def orms(session, engine, uid, name, queryset, model):
    # ruleid: sql-string-formatting
    session.execute(sqlalchemy.text(f"SELECT * FROM t WHERE id = {uid}"))
    # ok: sql-string-formatting
    session.execute(sqlalchemy.text("SELECT * FROM t WHERE id = :id"), {"id": uid})
    # ruleid: sql-string-formatting
    model.objects.raw(f"SELECT * FROM t WHERE name = '{name}'")
    # ruleid: sql-string-formatting
    queryset.annotate(v=RawSQL("SELECT col FROM t WHERE name = '%s'" % name, []))
    # ruleid: django-extra-raw-arguments
    queryset.extra(where=[f"name = '{name}'"])
    # ruleid: django-extra-raw-arguments
    queryset.extra(where=[name])
    # ok: django-extra-raw-arguments
    queryset.extra(where=["name = %s"], params=[name])
    with connection.cursor() as cursor:
        # ruleid: sql-string-formatting
        cursor.execute("SELECT * FROM t WHERE name = '%s'" % name)
