"""Consult (协商议事平台).

The factory lives in ``consult.app``; importing this package stays light so that
``python -m consult.serve`` can let gevent patch the standard library before Flask,
SQLAlchemy or ssl are imported.
"""


def create_app(*args, **kwargs):
    from .app import create_app as factory

    return factory(*args, **kwargs)
