"""Full-text search over the archive (proposals, meeting statements, ballots, motions and
whatever else registers), in Chinese and English, on SQLite FTS5 and PostgreSQL.

``register`` makes a model searchable; ``search`` finds; ``reindex`` rebuilds. Importing
the package installs the kinds and the upkeep of the index after every flush."""
from . import schema  # noqa: F401  (engine objects left out of the models/migrations comparison)
from .index import Document, refresh, register, reindex
from . import kinds  # noqa: F401,E402  (the kinds of the archive)
from .service import Results, search

__all__ = ["Document", "Results", "refresh", "register", "reindex", "search"]
