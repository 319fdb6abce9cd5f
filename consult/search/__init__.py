"""Full-text search over the archive (proposals, meeting statements, ballots, motions and
whatever else registers), in Chinese and English, on SQLite FTS5 and PostgreSQL.

``register`` makes a model searchable (each domain registers its kinds, see
``consult.domains``); ``search`` finds; ``reindex`` rebuilds. Importing the package
installs the upkeep of the index after every flush."""
from . import schema  # noqa: F401  (engine objects left out of the models/migrations comparison)
from .index import Document, refresh, register, reindex
from .service import Results, search

__all__ = ["Document", "Results", "refresh", "register", "reindex", "search"]
