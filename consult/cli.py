"""Command-line tools: ``flask --app consult <command>``. Each calls services."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
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

    @app.cli.command("send")
    @click.option("--batch", default=200, show_default=True, help="Deliveries claimed at a time.")
    def send(batch: int):
        """Send what is due in the outbox (e-mail, SMS), retries included; for cron."""
        from .notifications.outbox import send_all

        result = send_all(batch)
        click.echo(f"{result.sent} sent, {result.failed} to retry, {result.gave_up} given up, "
                   f"{result.deferred} held back.")

    @app.cli.command("send-mail")
    def send_mail():
        """The same as send (kept for existing cron lines)."""
        from .notifications.mail import deliver_pending

        if not app.config.get("SMTP_HOST"):
            click.echo("error: SMTP_HOST is not set.", err=True)
            sys.exit(1)
        click.echo(f"{deliver_pending()} messages sent.")

    @app.cli.command("follow-up")
    def follow_up():
        """Send due motion reminders and overdue notices, escalate, end rating windows."""
        from .schedule import run_once

        click.echo(f"{run_once(app)} follow-up steps")

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(dir_okay=False, writable=True))
    def backup_command(target: str):
        """Write the database and the uploads to TARGET (.tar.gz), signed with the backup key."""
        from pathlib import Path

        from .backup import backup, signing_key_source

        try:
            manifest = backup(Path(target))
        except DomainError as error:
            _fail(error)
        click.echo(f"{target}: {manifest['engine']} database, {len(manifest['files']) - 1} uploaded files")
        if signing_key_source() == "BACKUP_SIGNING_KEY":
            click.echo("signed with the key in BACKUP_SIGNING_KEY")
        else:
            click.echo("signed with a key derived from SECRET_KEY: another installation restores it only with "
                       "the same SECRET_KEY (or set BACKUP_SIGNING_KEY on both)")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="Replace a database that is not empty.")
    @click.option("--accept-unsigned", is_flag=True,
                  help="Restore a backup this installation did not sign (its files are still checked).")
    def restore_command(source: str, force: bool, accept_unsigned: bool):
        """Put the backup SOURCE in place of the database and the uploads."""
        from pathlib import Path

        from flask_babel import gettext as _

        from .backup import printable, restore

        if accept_unsigned:
            click.secho(_("WARNING: --accept-unsigned: the backup's signature will not be required. Anyone who "
                          "could write this file could have changed the database and the uploads in it. Go on only "
                          "with a backup whose origin you know."), err=True, fg="red", bold=True)
        try:
            restored = restore(Path(source), force=force, accept_unsigned=accept_unsigned)
        except DomainError as error:
            _fail(error)
        if restored.unverified is not None:
            click.secho(_("WARNING: restored without a valid signature: %(reason)s", reason=restored.unverified),
                        err=True, fg="red", bold=True)
        manifest = restored.manifest
        signed = "signature not verified" if restored.unverified is not None else "signed by this installation"
        click.echo(f"restored the backup of {printable(str(manifest['created_at']))} ({manifest['engine']}, {signed})")

    figures = AppGroup("figures", help="The accountability figures (接诉即办).")

    @figures.command("rebuild")
    def rebuild_figures():
        """Write the figures' rollups again from the motions and the matters: once after upgrading to the
        version that brought them, after loading motions in bulk, or after changing the
        site's time zone."""
        from .motions.rollups import rebuild
        from .proposals.rollups import rebuild as rebuild_matters

        with unit_of_work():
            counted, matters = rebuild(), rebuild_matters()
        click.echo(f"figures rebuilt from {counted} motions and {matters} matters")

    app.cli.add_command(figures)

    @app.cli.command("stats")
    @click.option("--depth", default=2, show_default=True, help="Levels of the place tree to show.")
    def stats(depth: int):
        """Counts per place: households, residents, proposals, meetings, ballots, motions."""
        from .stats import COLUMNS, counts

        rows = counts(depth)
        names = ["  " * (len(p.path.strip("/").split("/")) - 1) + p.name for p, _ in rows]
        width = max([len(n) for n in names] + [5])
        click.echo(f"{'place':<{width}}  " + "  ".join(f"{c:>12}" for c in COLUMNS))
        for name, (_place, values) in zip(names, rows):
            click.echo(f"{name:<{width}}  " + "  ".join(f"{values[c]:>12}" for c in COLUMNS))

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
