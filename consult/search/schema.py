"""The engine-specific search objects of migration 0009 have no model: SQLite's FTS5 table
(and the shadow tables FTS5 keeps beside it), PostgreSQL's generated tsvector column, its
GIN index and the index on the date. Autogenerate would propose dropping them, and the
comparison of models and migrations would report them; this comparator, run after
Alembic's own, leaves them out."""
from __future__ import annotations

from alembic.autogenerate import comparators
from alembic.operations import ops
from alembic.util import DispatchPriority, PriorityDispatchResult

from .models import DATE_INDEX, FTS_TABLE, TSVECTOR_COLUMN, TSVECTOR_INDEX, SearchDocument


def _is_fts_table(name: str | None) -> bool:
    return name is not None and (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))


def _is_vector_op(op) -> bool:
    if isinstance(op, (ops.DropColumnOp, ops.AlterColumnOp)):
        return op.column_name == TSVECTOR_COLUMN
    if isinstance(op, ops.AddColumnOp):
        return op.column.name == TSVECTOR_COLUMN
    if isinstance(op, (ops.DropIndexOp, ops.CreateIndexOp)):
        return op.index_name in (TSVECTOR_INDEX, DATE_INDEX)
    return False


@comparators.dispatch_for("autogenerate", priority=DispatchPriority.LAST)
def _leave_out_engine_objects(autogen_context, upgrade_ops, *args, **kwargs):
    kept = []
    for op in upgrade_ops.ops:
        if isinstance(op, ops.DropTableOp) and _is_fts_table(op.table_name):
            continue
        if isinstance(op, ops.ModifyTableOps) and op.table_name == SearchDocument.__tablename__:
            op.ops = [o for o in op.ops if not _is_vector_op(o)]
            if not op.ops:
                continue
        kept.append(op)
    upgrade_ops.ops[:] = kept
    return PriorityDispatchResult.CONTINUE
