"""Command-line tools: ``flask --app consult <command>``. Each calls services."""
from __future__ import annotations

import sys

import click
from flask import Flask
from sqlalchemy import func, select

from .database import unit_of_work
from .errors import DomainError
from .extensions import db


def _fail(error: DomainError):
    click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing if places already exist.")
    @click.option("--seed", default=278, show_default=True, help="Seed for the generated households.")
    def demo(if_empty: bool, seed: int):
        """Build the demo area of the 大屯 north cluster, with one account for each role."""
        from .places.models import Place

        if db.session.scalar(select(func.count()).select_from(Place)):
            if if_empty:
                click.echo("The database already holds places; the demo area was not loaded.")
                return
            click.echo("error: the database already holds places; the demo needs an empty one.", err=True)
            sys.exit(1)
        from .demo import build_demo

        try:
            with unit_of_work():
                result = build_demo(seed=seed)
        except DomainError as error:
            _fail(error)
        click.echo(result.summary())
        click.echo("")
        click.echo("Demo accounts (the passwords are shown only now):")
        for role, login, password, where in result.accounts:
            click.echo(f"  {role:<30}  {login:<12}  {password:<14}  {where}")

    @app.cli.command("send-mail")
    def send_mail():
        """Send e-mail copies of messages still waiting (retries failed sends)."""
        from .notifications.mail import deliver_pending

        if not app.config.get("SMTP_HOST"):
            click.echo("error: SMTP_HOST is not set.", err=True)
            sys.exit(1)
        click.echo(f"{deliver_pending()} messages sent.")

    @app.cli.command("follow-up")
    def follow_up():
        """Send due motion reminders and overdue notices, escalate, end rating windows."""
        from .motions.schedule import run_once

        click.echo(f"{run_once(app)} follow-up steps")

    @app.cli.command("create-admin")
    @click.option("--name", required=True)
    @click.option("--username", required=True)
    @click.password_option()
    def create_admin(name: str, username: str, password: str):
        """Create an installation-wide administrator."""
        from .accounts.models import Role, RoleGrant, User
        from .accounts.passwords import hash_password
        from .accounts.service import check_password_strength, clean_person_name, clean_username
        from .audit import service as audit

        try:
            with unit_of_work():
                check_password_strength(password)
                login = clean_username(username)
                if db.session.scalar(select(User.id).where(User.username == login)):
                    raise DomainError("this username is taken")
                user = User(name=clean_person_name(name), username=login, password_hash=hash_password(password))
                db.session.add(user)
                db.session.add(RoleGrant(user=user, role=Role.administrator))
                audit.record("account.create_admin", user, actor=None)
        except DomainError as error:
            _fail(error)
        click.echo(f"Administrator {login} created.")
