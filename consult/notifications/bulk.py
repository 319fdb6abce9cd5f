"""Many rows in one statement, for the outbox's large writes (a ballot's 10,000 messages
and their deliveries).

On PostgreSQL the rows go as one array per column, unnested on the server
(``INSERT … SELECT * FROM unnest(…)``): a short statement with a handful of parameters,
whatever the number of rows — a multi-row VALUES of thousands of placeholders costs the
driver more to prepare than the server to run. A value the same in every row is sent once. Elsewhere (SQLite) the rows go as an
executemany that SQLAlchemy sends as multi-row VALUES in batches ("insertmanyvalues",
chosen by asking for RETURNING)."""
from __future__ import annotations

from sqlalchemy import any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db


def insert_rows(table, rows: list[dict], returning: tuple = ()) -> list:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the running
    transaction; the ``returning`` columns of the rows written, in no particular order."""
    if not rows:
        return []
    connection = db.session.connection()
    names = list(rows[0])
    if connection.dialect.name == "postgresql":
        # a value the same in every row (a message's kind and parameters) goes once
        same = {name for name in names if all(row[name] == rows[0][name] for row in rows)}
        varying = [name for name in names if name not in same] or names[:1]
        arrays = [bindparam(f"column_{index}", [row[name] for row in rows], type_=ARRAY(table.c[name].type))
                  for index, name in enumerate(varying)]
        source = func.unnest(*arrays).table_valued(*varying).render_derived(name="source")
        values = [source.c[name] if name in varying else bindparam(f"same_{name}", rows[0][name],
                                                                    type_=table.c[name].type)
                  for name in names]
        statement = insert(table).from_select(names, select(*values))
        if returning:
            statement = statement.returning(*returning)
        result = connection.execute(statement)
        return result.all() if returning else []
    result = connection.execute(insert(table).returning(*(returning or table.primary_key.columns)), rows)
    return result.all() if returning else []


def among(column, values: list):
    """``column IN values`` for thousands of values: on PostgreSQL one array parameter
    (``= ANY(…)``) instead of a placeholder per value."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def update_rows(table, rows: list[dict], match: dict, where: tuple = (), **fixed) -> None:
    """Update many rows, each its own values: ``rows`` are dicts with the keys of ``match``
    (key → the column it must equal) and the columns to set; ``where`` further conditions,
    ``fixed`` values set on every row. On PostgreSQL one ``UPDATE … FROM unnest(…)``;
    elsewhere an executemany."""
    if not rows:
        return
    connection = db.session.connection()
    names = list(rows[0])
    types = {name: (match[name].type if name in match else table.c[name].type) for name in names}
    if connection.dialect.name == "postgresql":
        same = {name for name in names if name not in match and all(row[name] == rows[0][name] for row in rows)}
        varying = [name for name in names if name not in same]
        arrays = [bindparam(f"column_{index}", [row[name] for row in rows], type_=ARRAY(types[name]))
                  for index, name in enumerate(varying)]
        source = func.unnest(*arrays).table_valued(*varying).render_derived(name="source")

        def value(name):
            return source.c[name] if name in varying else bindparam(f"same_{name}", rows[0][name], type_=types[name])

        connection.execute(update(table).where(*(column == source.c[key] for key, column in match.items()), *where)
                           .values(**{name: value(name) for name in names if name not in match}, **fixed))
        return
    statement = update(table).where(*(column == bindparam(f"b_{key}") for key, column in match.items()), *where) \
        .values(**{name: bindparam(f"v_{name}") for name in names if name not in match}, **fixed)
    connection.execute(statement, [{(f"b_{k}" if k in match else f"v_{k}"): v for k, v in row.items()}
                                   for row in rows])
