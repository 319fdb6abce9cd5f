"""Each domain declares itself, and the application takes what they declare.

A domain's package has a ``domain`` module with one ``DOMAIN = Domain(...)``: its models,
its blueprint, its signal subscriptions, its searchable kinds, its room handlers, the
messages of its notifications and the work that falls due with time. ``create_app`` and
the server's loop iterate over ``DOMAINS``; a new capability adds its package and its name
here, and reaches into no other domain::

    DOMAIN = Domain(
        "voting", models=models, blueprint=views.bp,
        subscriptions=(),                              # (signal, receiver) pairs
        search=searching.register_kinds,
        messages={"ballot.opened": _l("Voting has opened: “%(question)s”")},
        due=(Due("ballots", service.advance_is_due, service.advance_due),),
    )
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from types import ModuleType
from typing import Any, Callable, Mapping, Optional

from flask import Blueprint, Flask

# In the order their blueprints are registered and their due work is done.
DOMAINS = ("main", "accounts", "places", "audit", "proposals", "notifications", "voting", "meetings", "motions",
           "search", "minutes", "visits", "surveys", "wishes", "owners", "turnout", "grids", "councils",
           "conventions", "api", "webhooks", "hotline")


@dataclass(frozen=True)
class Due:
    """Work that falls due with time: ``is_due()`` reads, ``run()`` writes in the caller's
    transaction and returns how many steps it took. Each step is flagged on its row, so
    running it again (every minute, on access, from the CLI) repeats nothing."""
    name: str
    is_due: Callable[[], bool]
    run: Callable[[], int]


@dataclass(frozen=True)
class Domain:
    name: str
    models: Optional[ModuleType] = None
    blueprint: Optional[Blueprint] = None
    # (signal, receiver): what the domain does when another says something happened.
    subscriptions: tuple = ()
    # Registers the domain's searchable kinds (``search.register``).
    search: Optional[Callable[[], None]] = None
    # Registers the domain's Socket.IO handlers with the server.
    socket: Optional[Callable[[], Any]] = None
    # Notification kind → message, translated when shown.
    messages: Mapping[str, Any] = field(default_factory=dict)
    due: tuple[Due, ...] = ()
    # What the domain adds to an owners' decision's evidence pack: ``(ballot) -> (files,
    # requirements)``, ``voting.evidence.EvidenceFile`` and ``Requirement`` lists.
    evidence: Optional[Callable[[Any], tuple]] = None


@cache
def declared() -> tuple[Domain, ...]:
    return tuple(import_module(f"consult.{name}.domain").DOMAIN for name in DOMAINS)


def init_app(app: Flask) -> None:
    """Take what every domain declares (their Socket.IO handlers: ``load_socket_handlers``).
    Connecting a receiver or registering a kind twice (one process, several apps) changes
    nothing."""
    from .notifications.models import MESSAGES

    for domain in declared():
        if domain.blueprint is not None:
            app.register_blueprint(domain.blueprint)
        for signal, receiver in domain.subscriptions:
            signal.connect(receiver, weak=False)
        if domain.search is not None:
            domain.search()
        MESSAGES.update(domain.messages)


def load_socket_handlers() -> None:
    """Load the domains' Socket.IO handlers. Called before ``socketio.init_app``: handlers
    declared before the server exists are kept and given to every app's server."""
    for domain in declared():
        if domain.socket is not None:
            domain.socket()


def evidence_sources() -> list[Callable[[Any], tuple]]:
    return [domain.evidence for domain in declared() if domain.evidence is not None]


def due_work() -> list[Due]:
    return [due for domain in declared() for due in domain.due]
