"""The outbox: every message stored for a person becomes one delivery per channel (e-mail,
SMS), written in the same transaction as the change that caused it, and a sender that
works them off at least once.

A delivery is queued → sending → sent, or back to failed (tried again after an
exponentially growing pause) and finally gave_up. The sender claims a batch in one short
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several processes share the work;
on SQLite the single writer), marks it ``sending`` for a lease, and then records the answers as the providers give
them, those of each 50 ms in one transaction: what a provider acknowledged is never sent
again. A sender killed after claiming leaves rows ``sending``;
when their lease ends another round takes them up. Only a crash between the provider's
answer and its recording can send a message twice; the delivery's dedupe key goes with
it (the e-mail's Message-ID, Alibaba's OutId, Tencent's SessionContext) so that the copy
can be recognised.

The sender runs after the commit that queued deliveries (in a thread), from the server's
background loop (consult/schedule.py) and from ``flask --app consult send`` (cron)."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Optional

from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import false as sa_false
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, and_, func, insert, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import from_local, local_today, start_of_local_day, to_local, utcnow
from ..database import on_commit, unit_of_work
from ..extensions import db
from . import channels as channel_registry
from .channels import PermanentError, TemporaryError

log = logging.getLogger(__name__)

# "held": waiting for the person's daily digest; "bundled": carried by a digest (then sent
# or given up with it).
# The sender records the answers that arrived within this many seconds in one transaction.
RECORD_WINDOW = 0.05
STATUSES = ("queued", "sending", "sent", "failed", "gave_up", "held", "bundled")
# Groups of kinds people choose channels for (the first part of a kind: "ballot.opened").
GROUPS = ("ballot", "meeting", "proposal", "motion", "minutes")
# Without a choice of their own: e-mail for everything, SMS (once a number is verified)
# for ballots and meetings, where a quorum depends on reaching people.
DEFAULT_CHANNELS = {"email": set(GROUPS), "sms": {"ballot", "meeting"}, "wechat": set(GROUPS),
                    "push": set(GROUPS)}


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_deliveries_notification_channel"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_deliveries_user_channel_sent", "user_id", "channel", "sent_at"),
        Index("ix_deliveries_channel_sent", "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(10))
    # The address when it was queued: a later change of address does not redirect it.
    address: Mapped[str] = mapped_column(String(120))
    dedupe_key: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[Optional[datetime]]
    sent_at: Mapped[Optional[datetime]]
    provider_message_id: Mapped[Optional[str]] = mapped_column(String(100))
    last_error: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A digest: the ids of the other deliveries whose messages it carries (sent with it).
    bundle: Mapped[Optional[list]] = mapped_column(db.JSON)

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel} {self.status}>"


class DeliverySetting(db.Model):
    """What a person chose: channels per group of messages, quiet hours, the mobile number
    SMS goes to (only once verified by a code sent to it)."""
    __tablename__ = "delivery_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # {"email": ["ballot", …], "sms": […]}; None: the defaults.
    channels: Mapped[Optional[dict]] = mapped_column(db.JSON)
    quiet_start: Mapped[Optional[str]] = mapped_column(String(5))
    quiet_end: Mapped[Optional[str]] = mapped_column(String(5))
    sms_number: Mapped[Optional[str]] = mapped_column(String(20))
    sms_verified_at: Mapped[Optional[datetime]]
    # The person's openid for the site's WeChat official account (web OAuth), once linked.
    wechat_openid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    wechat_linked_at: Mapped[Optional[datetime]]
    # One message a day with everything not urgent, in place of single ones.
    digest: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    code_hash: Mapped[Optional[str]] = mapped_column(String(64))
    code_number: Mapped[Optional[str]] = mapped_column(String(20))
    code_expires_at: Mapped[Optional[datetime]]
    code_attempts: Mapped[int] = mapped_column(default=0)


def dedupe_key(notification_id: int, channel: str) -> str:
    return f"n{notification_id}-{channel}"


def wanted(setting: Optional[DeliverySetting], channel: str, kind: str) -> bool:
    group = kind.split(".")[0]
    if setting is not None and setting.channels is not None:
        return group in (setting.channels.get(channel) or [])
    return group in DEFAULT_CHANNELS.get(channel, set())


# ---------------------------------------------------------------- queueing

def enqueue(notifications: list[tuple[int, int]], kind: str) -> int:
    """Queue deliveries for freshly written notifications, given as (id, user_id), in the
    running transaction: one query for the people's addresses and choices, one insert."""
    if not notifications or not has_app_context():
        return 0
    from ..accounts.models import User
    from .bulk import among
    from .push import PushSubscription

    config = current_app.config
    enabled = [name for name in channel_registry.CHANNELS if channel_registry.enabled(name, config)]

    def templated(name: str, of_kind: str) -> bool:
        templates = channel_registry.TEMPLATED.get(name)
        return templates is None or bool((config.get(templates) or {}).get(of_kind))

    on = [name for name in enabled if templated(name, kind)]
    # Those who chose the daily digest: what is not urgent waits ("held") for it, on the
    # channels that can carry a digest.
    urgent = kind in config["URGENT_KINDS"]
    # (a reminder before a deadline cannot wait for the evening either)
    on_digest = [] if urgent or kind.endswith(".reminder") else [name for name in enabled
                                                                  if templated(name, "digest")]
    if not on and not on_digest:
        return 0
    user_ids = list({user_id for _id, user_id in notifications})
    people = {}
    connection = db.session.connection()   # plain rows: no ORM loading for 10,000 people
    for chunk in _chunks(user_ids, 5000):
        for row in connection.execute(
                select(User.id, User.email, User.active, DeliverySetting.user_id.label("chose"),
                       DeliverySetting.channels, DeliverySetting.sms_number, DeliverySetting.sms_verified_at,
                       DeliverySetting.wechat_openid, DeliverySetting.digest,
                       select(PushSubscription.id).where(PushSubscription.user_id == User.id).exists()
                       .label("browsers"))
                .outerjoin(DeliverySetting, DeliverySetting.user_id == User.id).where(among(User.id, chunk))):
            people[row.id] = row
    now = utcnow()
    digest_at = next_digest(now)
    rows = []
    for notification_id, user_id in notifications:
        person = people.get(user_id)
        if person is None or not person.active:
            continue
        setting = person if person.chose is not None else None   # the row has .channels
        addresses = {"email": person.email,
                     "sms": person.sms_number if person.sms_verified_at else None,
                     "wechat": person.wechat_openid,
                     "push": "browsers" if person.browsers else None}
        held = bool(person.digest) and bool(on_digest)
        for name in (on_digest if held else on):
            if addresses[name] and wanted(setting, name, kind):
                rows.append({"notification_id": notification_id, "user_id": user_id, "channel": name,
                             "address": addresses[name], "dedupe_key": dedupe_key(notification_id, name),
                             "status": "held" if held else "queued", "attempts": 0,
                             "next_attempt_at": digest_at if held else now, "created_at": now})
    if rows:
        # Core, not the ORM's bulk insert: no mapped state per row (bulk.py).
        from .bulk import insert_rows

        insert_rows(Delivery.__table__, rows)
        if config.get("OUTBOX_SEND_AFTER_COMMIT", True):
            on_commit(_start_sender, key="outbox")
    return len(rows)


def next_digest(now: datetime) -> datetime:
    """The next moment of the daily digest (DIGEST_TIME, local), as naive UTC."""
    moment = _clock(current_app.config["DIGEST_TIME"])
    local = to_local(now)
    day = local.date() if local.time() < moment else local.date() + timedelta(days=1)
    return from_local(datetime.combine(day, moment))


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _start_sender() -> None:
    app = current_app._get_current_object()
    threading.Thread(target=_send_in, args=(app,), daemon=True).start()


def _send_in(app) -> None:
    with app.app_context():
        try:
            send_all()
        except Exception:
            log.exception("sending deliveries failed; the next round tries again")
        finally:
            db.session.remove()


# ---------------------------------------------------------------- sending

@dataclass
class Outgoing:
    """One delivery as a channel sees it."""
    id: int
    attempts: int
    user_id: int
    channel: str
    address: str
    dedupe_key: str
    kind: str
    params: dict
    locale: str
    text: str = ""
    link: str = ""
    setting: Optional[Quiet] = field(default=None, repr=False)   # their own quiet hours
    # A digest: the deliveries it carries, and the list of their messages (body).
    bundle: list = field(default_factory=list)
    body: str = ""


@dataclass(frozen=True)
class Quiet:
    """A person's own quiet hours, as the sender reads them."""
    quiet_start: Optional[str]
    quiet_end: Optional[str]


@dataclass
class Round:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    deferred: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.failed + self.gave_up + self.deferred


def claim(limit: int) -> list[int]:
    """Take up to ``limit`` due deliveries for this sender, in one short transaction."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    with unit_of_work():
        ids = list(db.session.scalars(
            select(Delivery.id).where(or_(
                and_(Delivery.status.in_(("queued", "failed")), Delivery.next_attempt_at <= now),
                and_(Delivery.status == "sending", Delivery.lease_until < now)))
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if ids:
            from .bulk import among

            db.session.execute(update(Delivery).where(among(Delivery.id, ids)).values(
                status="sending", lease_until=now + lease, attempts=Delivery.attempts + 1))
    return ids


def send_due(limit: int = 200) -> Round:
    """One round: claim a batch and send it. Returns what became of it.

    Sends run on OUTBOX_SEND_CONCURRENCY threads (providers answer in milliseconds, so one
    at a time would leave the process waiting); the answers are recorded by this thread as
    they arrive, all those that arrived meanwhile in one transaction, so that an
    acknowledged send waits at most one commit to be recorded."""
    from ..accounts.models import User
    from .bulk import among
    from .models import Notification, text_of

    result = Round()
    ids = claim(limit)
    if not ids:
        return result
    config = current_app.config
    default_locale = config["BABEL_DEFAULT_LOCALE"]
    site = config["SITE_URL"].rstrip("/")
    # Columns, not entities: nothing of the batch stays in the session's identity map.
    rows = db.session.execute(
        select(Delivery.id, Delivery.attempts, Delivery.user_id, Delivery.channel, Delivery.address,
               Delivery.dedupe_key, Delivery.bundle, Notification.kind, Notification.params, User.locale,
               DeliverySetting.quiet_start, DeliverySetting.quiet_end)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Delivery.user_id)
        .outerjoin(DeliverySetting, DeliverySetting.user_id == Delivery.user_id)
        .where(among(Delivery.id, ids)).order_by(Delivery.id)).all()
    messages = []
    texts: dict[tuple, str] = {}   # a ballot's thousands of messages share a few texts
    for row in rows:
        params = dict(row.params or {})
        locale = row.locale or default_locale
        quiet = Quiet(row.quiet_start, row.quiet_end) if row.quiet_start else None
        message = Outgoing(row.id, row.attempts, row.user_id, row.channel, row.address, row.dedupe_key, row.kind,
                           params, locale, setting=quiet)
        message.link = _link(site, params)
        key = (locale, row.kind, repr(sorted(params.items())))
        if key not in texts:
            with force_locale(locale):
                texts[key] = text_of(row.kind, params)
        message.text = texts[key]
        message.bundle = list(row.bundle or [])
        messages.append(message)
    _fill_digests([m for m in messages if m.bundle])
    limits = Holds(messages)
    db.session.commit()   # end the read: answers are recorded in their own transactions
    ready, answers = [], []
    for message in messages:
        if not channel_registry.enabled(message.channel, config):
            answers.append((message, TemporaryError(f"the {message.channel} channel is off")))
        elif (hold := limits.hold(message)) is not None:
            answers.append((message, hold))
        else:
            ready.append(message)
    if answers:
        _record_answers(answers, result)
    if not ready:
        return result
    app = current_app._get_current_object()
    local = threading.local()

    def send_one(message: Outgoing):
        with app.app_context(), force_locale(message.locale):
            channels = local.__dict__.setdefault("channels", {})
            if message.channel not in channels:
                channels[message.channel] = channel_registry.channel(message.channel, app.config)
            try:
                return channels[message.channel].send(message) or ""
            except (TemporaryError, PermanentError) as error:
                return error
            except Exception as error:   # an adapter's bug must not stop the round
                log.exception("delivery %s failed", message.id)
                return TemporaryError(f"{type(error).__name__}: {error}")

    workers = max(1, min(config["OUTBOX_SEND_CONCURRENCY"], len(ready)))
    with ThreadPoolExecutor(workers) as pool:
        pending = {pool.submit(send_one, message): message for message in ready}
        while pending:
            # the answers of up to RECORD_WINDOW seconds in one transaction (a commit per
            # answer would cost more than the sends); at least one
            done, _waiting = wait(pending, timeout=RECORD_WINDOW, return_when=ALL_COMPLETED)
            if not done:
                done, _waiting = wait(pending, return_when=FIRST_COMPLETED)
            _record_answers([(pending.pop(future), future.result()) for future in done], result)
    return result


def _fill_digests(digests: list[Outgoing]) -> None:
    """A digest's body: one line per message it carries, in the reader's language."""
    if not digests:
        return
    from .models import Notification, text_of

    carried = {}
    wanted_ids = [i for message in digests for i in message.bundle]
    for chunk in _chunks(wanted_ids, 5000):
        for delivery_id, kind, params in db.session.execute(
                select(Delivery.id, Notification.kind, Notification.params)
                .join(Notification, Notification.id == Delivery.notification_id).where(Delivery.id.in_(chunk))):
            carried[delivery_id] = (kind, dict(params or {}))
    for message in digests:
        with force_locale(message.locale):
            message.body = "\n".join("· " + text_of(kind, params)
                                      for kind, params in (carried[i] for i in message.bundle if i in carried))


def _record_answers(answers: list, result: Round) -> None:
    """Write the answers of several deliveries in one transaction: a provider's id (sent),
    an error (retry or give up), or a hold (back in the queue until then). One statement
    per kind of answer, executed for all its rows at once; a row changes only while it is
    still this sender's (``sending``, the same attempt)."""
    from .bulk import update_rows
    from .models import Notification

    config = current_app.config
    now = utcnow()
    groups: dict[tuple, list[dict]] = {}
    emailed, carried = [], {"sent": [], "gave_up": []}
    for message, answer in answers:
        if isinstance(answer, tuple):     # held back: (until, why); the attempt is not counted
            outcome, values = "deferred", {"status": "queued", "next_attempt_at": answer[0],
                                           "last_error": answer[1], "attempts": message.attempts - 1}
        elif isinstance(answer, Exception):
            outcome, values = _failure(message, answer, config, now)
        else:
            outcome, values = "sent", {"status": "sent", "sent_at": now, "last_error": None,
                                       "provider_message_id": answer[:100]}
            if message.channel == "email":
                emailed.append(message.id)
        if message.bundle and outcome in carried:
            carried[outcome].append((message, values.get("provider_message_id")))
        groups.setdefault(tuple(sorted(values)), []).append(
            {"id": message.id, "sent_attempts": message.attempts, **values})
        setattr(result, outcome, getattr(result, outcome) + 1)
    table = Delivery.__table__
    with unit_of_work():
        connection = db.session.connection()
        for rows in groups.values():
            update_rows(table, rows, {"id": table.c.id, "sent_attempts": table.c.attempts},
                        (table.c.status == "sending",), lease_until=None)
        for chunk in _chunks(emailed, 5000):
            connection.execute(update(Notification.__table__).where(
                Notification.__table__.c.id.in_(select(table.c.notification_id).where(
                    table.c.id.in_(chunk), table.c.status == "sent")),
                Notification.__table__.c.emailed_at.is_(None)).values(emailed_at=now))
        for outcome, messages in carried.items():
            # what a digest carried went (or was given up) with it
            for message, provider_id in messages:
                connection.execute(update(table).where(table.c.id.in_(message.bundle), table.c.status == "bundled")
                                   .values(status=outcome, sent_at=now if outcome == "sent" else None,
                                           provider_message_id=provider_id))


def _failure(message: Outgoing, error: Exception, config, now: datetime) -> tuple[str, dict]:
    text = str(error)[:300]
    if isinstance(error, PermanentError) or message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        log.warning("delivery %s given up: %s", message.id, text)
        return "gave_up", {"status": "gave_up", "last_error": text}
    pause = min(config["OUTBOX_RETRY_SECONDS"] * 2 ** (message.attempts - 1), config["OUTBOX_RETRY_MAX_SECONDS"])
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        pause = max(pause, retry_after)
    return "failed", {"status": "failed", "last_error": text, "next_attempt_at": now + timedelta(seconds=pause)}


def send_all(limit: int = 200, rounds: int = 1000) -> Round:
    """Rounds until nothing is due (bounded, so a flood never keeps a thread for ever)."""
    total = Round()
    for _ in range(rounds):
        result = send_due(limit)
        for name in ("sent", "failed", "gave_up", "deferred"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if result.claimed < limit:
            break
    return total


def _link(site: str, params: dict) -> str:
    for key, path in (("proposal", "proposals"), ("ballot", "ballots"), ("meeting", "meetings"),
                      ("motion", "motions")):
        if params.get(key):
            return f"{site}/{path}/{params[key]}"
    return f"{site}/inbox"


# ---------------------------------------------------------------- SMS rules

def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_hours(setting: Optional[DeliverySetting]) -> tuple[time, time]:
    default_start, default_end = current_app.config["QUIET_HOURS"].split("-")
    start = setting.quiet_start if setting is not None and setting.quiet_start else default_start
    end = setting.quiet_end if setting is not None and setting.quiet_end else default_end
    return _clock(start), _clock(end)


def quiet_until(setting: Optional[DeliverySetting], now: datetime) -> Optional[datetime]:
    """When the quiet hours that ``now`` (naive UTC) falls in end, as naive UTC; None
    when it is not quiet. Hours are read in the site's zone and may span midnight."""
    start, end = quiet_hours(setting)
    if start == end:
        return None
    local = to_local(now)
    moment = local.time()
    inside = (start <= moment < end) if start < end else (moment >= start or moment < end)
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return from_local(datetime.combine(day, end))


class Holds:
    """What keeps a delivery waiting in one round: quiet hours on the channels that
    interrupt (SMS, WeChat, push), and the daily SMS limits — today's counts read once for
    the people in the batch and for the installation, then kept up to date as the round
    goes."""

    def __init__(self, messages: list[Outgoing]):
        self.config = current_app.config
        self.now = utcnow()
        people = list({m.user_id for m in messages if m.channel == "sms"})
        self.per_person: dict[int, int] = {}
        self.total = 0
        if not people:
            return
        today = start_of_local_day(local_today())
        self.tomorrow = start_of_local_day(local_today() + timedelta(days=1))
        sent_today = (Delivery.channel == "sms", Delivery.status == "sent", Delivery.sent_at >= today)
        # SMS sent, not deliveries: those a digest carried share its provider's message id
        sms_sent = func.count(func.distinct(Delivery.provider_message_id))
        for chunk in _chunks(people, 5000):
            self.per_person.update(db.session.execute(
                select(Delivery.user_id, sms_sent).where(*sent_today, Delivery.user_id.in_(chunk))
                .group_by(Delivery.user_id)).all())
        self.total = db.session.scalar(select(sms_sent).select_from(Delivery).where(*sent_today)) or 0

    def hold(self, message: Outgoing) -> Optional[tuple[datetime, str]]:
        """Why a delivery must wait, and until when: quiet hours on a channel that
        interrupts (urgent kinds excepted); for SMS the daily limit per person and per
        installation (counted in the site's day). An SMS that may go is counted at once."""
        if message.channel in channel_registry.INTERRUPTING and message.kind not in self.config["URGENT_KINDS"]:
            until = quiet_until(message.setting, self.now)
            if until is not None:
                return until, "quiet hours"
        if message.channel != "sms":
            return None
        morning = quiet_until(message.setting, self.tomorrow) or self.tomorrow
        if self.per_person.get(message.user_id, 0) >= self.config["SMS_DAILY_LIMIT_PER_PERSON"]:
            return morning, "daily limit per person"
        if self.total >= self.config["SMS_DAILY_LIMIT"]:
            return morning, "daily limit of the installation"
        self.per_person[message.user_id] = self.per_person.get(message.user_id, 0) + 1
        self.total += 1
        return None


# ---------------------------------------------------------------- what staff see

def counts(notification_ids) -> dict[str, dict[str, int]]:
    """For a set of notifications (a subquery or ids): per channel, how many deliveries
    are in each state, e.g. {"sms": {"sent": 120, "queued": 3}}."""
    table: dict[str, dict[str, int]] = {}
    for channel, status, number in db.session.execute(
            select(Delivery.channel, Delivery.status, func.count())
            .where(Delivery.notification_id.in_(notification_ids))
            .group_by(Delivery.channel, Delivery.status)):
        table.setdefault(channel, {})[status] = number
    return table


def counts_about(kind_prefix: str, key: str, value: int) -> dict[str, dict[str, int]]:
    """Deliveries of the notifications about one object, e.g. ("ballot.", "ballot", 7)."""
    from .models import Notification

    ids = select(Notification.id).where(Notification.kind.startswith(kind_prefix),
                                        Notification.params[key].as_integer() == value)
    return counts(ids)


def forget(user) -> None:
    """An account deleted: its deliveries (with the addresses they went to) and its choices."""
    from sqlalchemy import delete

    db.session.execute(delete(Delivery).where(Delivery.user_id == user.id))
    db.session.execute(delete(DeliverySetting).where(DeliverySetting.user_id == user.id))
    from .push import PushSubscription

    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id))
