"""One transaction per user action."""
from contextlib import contextmanager

from .extensions import db


@contextmanager
def unit_of_work():
    """Commit everything the block did, or nothing: a failure rolls the whole action back."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
